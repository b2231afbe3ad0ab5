package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// dataFormatFlags are --format (-f) and the older --json switch of a
// command that prints data other than a scan result (controls, evidence
// list|diff|verify, fix). Every such command takes --format; --json stays
// as an alias of --format json.
type dataFormatFlags struct {
	format  string
	json    bool
	choices []string
	// def is the format when none is given; "" means table on a terminal
	// and json otherwise (OUTPUT.md).
	def string
}

// addDataFormat adds --format/-f with the command's choices and, when
// legacyJSON, the --json alias.
func addDataFormat(cmd *cobra.Command, def string, legacyJSON bool, choices ...string) *dataFormatFlags {
	d := &dataFormatFlags{choices: choices, def: def}
	defText := def
	if def == "" {
		defText = "table on a terminal, json otherwise"
	}
	cmd.Flags().StringVarP(&d.format, "format", "f", "", "output format: "+strings.Join(choices, ", ")+" (default: "+defText+")")
	if legacyJSON {
		cmd.Flags().BoolVar(&d.json, "json", false, "same as --format json")
	}
	return d
}

// resolve returns the format to print in, or a usage error.
func (d *dataFormatFlags) resolve(io *IO) (string, error) {
	f := strings.ToLower(strings.TrimSpace(d.format))
	if d.json {
		if f != "" && f != "json" {
			return "", usagef("--json and --format %s disagree", d.format)
		}
		f = "json"
	}
	if f == "" {
		f = d.def
	}
	if f == "" {
		f = "json"
		if io.OutTTY {
			f = "table"
		}
	}
	if !slices.Contains(d.choices, f) {
		return "", usagef("--format %q: want %s", d.format, strings.Join(d.choices, " or "))
	}
	return f, nil
}
