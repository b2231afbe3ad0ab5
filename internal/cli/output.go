package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/report"
)

// OutputOptions are the flags every result-producing command shares.
type OutputOptions struct {
	Format  string
	Output  string
	NoColor bool
	Strict  bool
	Quiet   bool
}

func (o *OutputOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "", "output format: "+joinNames()+" (default: table on a terminal, json otherwise)")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.BoolVar(&o.NoColor, "no-color", false, "disable colours in the table format (also NO_COLOR)")
	f.BoolVar(&o.Strict, "strict", false, "exit 1 on unknown findings too")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "do not print progress or error lines on standard error")
}

func joinNames() string {
	s := ""
	for i, n := range report.Names() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// formatter resolves the format flag against the terminal.
func (o *OutputOptions) formatter(io *IO) (report.Formatter, error) {
	name := o.Format
	toTerminal := o.Output == "" && io.OutTTY
	if name == "" {
		name = "json"
		if toTerminal {
			name = "table"
		}
	}
	color := toTerminal && !o.NoColor && io.Getenv("NO_COLOR") == "" && io.Getenv("TERM") != "dumb"
	f, err := report.New(name, report.Options{Color: color})
	if err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

// emit writes the result, prints each input error on stderr and returns the
// run's exit status as an error (nil for 0).
func (o *OutputOptions) emit(io *IO, f report.Formatter, res *finding.Result) error {
	if !o.Quiet {
		for _, e := range res.Errors {
			fmt.Fprintf(io.ErrOut, "sagefence: error: %s\n", e.Error())
		}
	}
	if o.Output == "" {
		if err := f.Format(io.Out, res); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
	} else if err := writeFileAtomic(o.Output, func(w *os.File) error { return f.Format(w, res) }); err != nil {
		return fmt.Errorf("writing report to %s: %w", o.Output, err)
	}
	if code := resultCode(res, o.Strict); code != ExitOK {
		return resultError{code}
	}
	return nil
}

// resultCode is OUTPUT.md's exit code table.
func resultCode(res *finding.Result, strict bool) int {
	s := res.Summary
	switch {
	case s.Fail > 0, strict && s.Unknown > 0:
		return ExitFail
	case s.Errors > 0:
		return ExitError
	}
	return ExitOK
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so readers never see a half-written report.
func writeFileAtomic(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
