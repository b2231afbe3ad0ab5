package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/config"
	"github.com/sagefence/sagefence/internal/policy"
	"github.com/sagefence/sagefence/report"
)

// OutputOptions are the flags every result-producing command shares.
type OutputOptions struct {
	Format  string
	Output  string
	NoColor bool
	Strict  bool
	Quiet   bool
	// ConfigFile names the configuration file; empty means discover
	// .sagefence.yaml from the scan root upwards (internal/config).
	ConfigFile string
	// NoConfig disables configuration file discovery.
	NoConfig bool
	// Baseline is a previous JSON result: fails already failing there are
	// not reported (internal/policy).
	Baseline string
	// Severity is the exit-code threshold: only fails at or above it exit 1.
	Severity string

	// Set by prepare and loadPolicy.
	config       *config.Config
	baseline     *policy.Baseline
	gate         policy.Gate
	policyLoaded bool
}

func (o *OutputOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "", "output format: "+joinNames()+" (default: table on a terminal, json otherwise)")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.BoolVar(&o.NoColor, "no-color", false, "disable colours in the table format (also NO_COLOR)")
	f.BoolVar(&o.Strict, "strict", false, "exit 1 on unknown findings too")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "do not print progress or error lines on standard error")
	f.StringVar(&o.ConfigFile, "config", "", "read settings from `FILE` (default: .sagefence.yaml found from the scan root upwards)")
	f.BoolVar(&o.NoConfig, "no-config", false, "do not look for a .sagefence.yaml")
	f.StringVar(&o.Baseline, "baseline", "", "report only fails that are not already failing in this previous JSON result `FILE`")
	f.StringVar(&o.Severity, "severity", "", "exit 1 only for fails at or above `LEVEL` (low, medium, high; default low); all findings are still reported")
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

// prepare loads what the output step needs before a run starts, so a bad
// configuration, baseline or threshold stops the run with exit 2 before any
// work: the configuration file (explicit, or discovered from root), the
// baseline and the severity gate. It returns the configuration (nil when
// there is none) for the command to apply to its inputs. A command that
// skips prepare still gets --baseline and --severity: emit loads them.
func (o *OutputOptions) prepare(root string) (*config.Config, error) {
	if err := o.loadPolicy(); err != nil {
		return nil, err
	}
	path := o.ConfigFile
	if path == "" && !o.NoConfig {
		var err error
		if path, err = config.Discover(root); err != nil {
			return nil, usageError{err}
		}
	}
	if path != "" {
		cfg, err := config.Load(path)
		if err != nil {
			return nil, usageError{err}
		}
		o.config = cfg
	}
	return o.config, nil
}

// configPath is the configuration file prepare loaded, for scope.config;
// nil when there is none.
func (o *OutputOptions) configPath() *string {
	if o.config == nil {
		return nil
	}
	p := o.config.Path
	return &p
}

// loadPolicy parses --severity and reads --baseline, once.
func (o *OutputOptions) loadPolicy() error {
	if o.policyLoaded {
		return nil
	}
	sev, err := policy.ParseSeverity(o.Severity)
	if err != nil {
		return usageError{fmt.Errorf("--severity: %w", err)}
	}
	o.gate = policy.Gate{Threshold: sev}
	if o.Baseline != "" {
		if o.baseline, err = policy.LoadBaseline(o.Baseline); err != nil {
			return usageError{err}
		}
	}
	o.policyLoaded = true
	return nil
}

// formatter resolves the format flag against the terminal.
func (o *OutputOptions) formatter(io *IO) (report.Formatter, error) {
	return o.formatterWith(io, report.Options{})
}

// formatterWith is formatter with format options (the account and region
// that IaC findings stand in, for asff). The configuration file's format
// applies when --format is not given.
func (o *OutputOptions) formatterWith(io *IO, ro report.Options) (report.Formatter, error) {
	name := o.Format
	if name == "" && o.config != nil {
		name = o.config.Format
	}
	toTerminal := o.Output == "" && io.OutTTY
	if name == "" {
		name = "json"
		if toTerminal {
			name = "table"
		}
	}
	color := toTerminal && !o.NoColor && io.Getenv("NO_COLOR") == "" && io.Getenv("TERM") != "dumb"
	ro.Color = color
	f, err := report.New(name, ro)
	if err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

// emit applies the configuration's severity overrides and the baseline,
// writes the result, prints each input error on stderr and returns the
// run's exit status (policy.Gate: --severity, --strict) as an error (nil
// for 0).
func (o *OutputOptions) emit(io *IO, f report.Formatter, res *finding.Result) error {
	if err := o.loadPolicy(); err != nil {
		return err
	}
	o.config.ApplySeverity(res)
	if o.baseline != nil {
		o.baseline.Apply(res)
	}
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
	gate := o.gate
	gate.Strict = o.Strict
	if code := gate.ExitCode(res); code != ExitOK {
		return resultError{code}
	}
	return nil
}

// resultCode is OUTPUT.md's exit code table without a severity threshold.
func resultCode(res *finding.Result, strict bool) int {
	return policy.Gate{Strict: strict}.ExitCode(res)
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it into place, so readers never see a half-written report. A
// target that exists and is not a regular file (/dev/null, /dev/stdout, a
// named pipe) is written in place: renaming over it would replace the device
// with a file.
func writeFileAtomic(path string, write func(*os.File) error) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// A report is an ordinary file: readable like one written by a shell
	// redirection (0644 before umask), or with the mode it already had.
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
