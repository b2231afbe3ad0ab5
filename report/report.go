// Package report renders a finding.Result in the formats users and tools
// read. Every format implements Formatter; New picks one by name.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// Formatter writes one result in one format.
type Formatter interface {
	Format(w io.Writer, r *finding.Result) error
}

// Options tune formatters that have choices.
type Options struct {
	// Color enables ANSI colours (table).
	Color bool
}

// constructors maps format names to formatter constructors.
var constructors = map[string]func(Options) Formatter{
	"json":  func(Options) Formatter { return JSON{} },
	"table": func(o Options) Formatter { return Table{Color: o.Color} },
}

// Names lists the supported format names, sorted.
func Names() []string {
	out := make([]string, 0, len(constructors))
	for n := range constructors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New returns the formatter for a format name.
func New(name string, o Options) (Formatter, error) {
	c, ok := constructors[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	return c(o), nil
}
