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
	// Account and Region stand in for findings that have none (IaC) in
	// formats that need them (asff).
	Account string
	Region  string
	// Compact and Width select the compact table wrapped to Width columns.
	Compact bool
	Width   int
	// SARIFIncludeSuppressed, SourceRoot and WorkDir configure sarif (see
	// SARIF).
	SARIFIncludeSuppressed bool
	SourceRoot             string
	WorkDir                string
}

// StreamsFindings reports whether f reads the findings of a streamed
// result (finding.Result.Streamed) one at a time; the other formats need
// them all at once (finding.Result.Materialize first).
func StreamsFindings(f Formatter) bool {
	_, ok := f.(interface{ streamsFindings() })
	return ok
}

// constructors maps format names to formatter constructors.
var constructors = map[string]func(Options) Formatter{
	"json":  func(Options) Formatter { return JSON{} },
	"table": func(o Options) Formatter { return Table{Color: o.Color, Compact: o.Compact, Width: o.Width} },
	"sarif": func(o Options) Formatter {
		return SARIF{IncludeSuppressed: o.SARIFIncludeSuppressed, SourceRoot: o.SourceRoot, WorkDir: o.WorkDir}
	},
	"junit":    func(Options) Formatter { return JUnit{} },
	"csv":      func(Options) Formatter { return CSV{} },
	"markdown": func(Options) Formatter { return Markdown{} },
	"asff":     func(o Options) Formatter { return ASFF{Account: o.Account, Region: o.Region} },
	"html":     func(Options) Formatter { return HTML{} },
	"gitlab-sast": func(o Options) Formatter {
		return GitLabSAST{SourceRoot: o.SourceRoot, WorkDir: o.WorkDir}
	},
	"gitlab-codequality": func(o Options) Formatter {
		return GitLabCodeQuality{SourceRoot: o.SourceRoot, WorkDir: o.WorkDir}
	},
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
