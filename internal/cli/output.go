package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/config"
	"github.com/sagefence/sagefence/internal/gcpolicy"
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
	// Severity is the exit-code gate: one level is a threshold (fails at or
	// above it exit 1), a comma-separated list the exact levels that do
	// (policy.ParseGate).
	Severity string
	// OutputFiles are FORMAT=PATH reports written besides the main output
	// (--output-file, repeatable), all from the same result.
	OutputFiles []string
	// SoftFail makes failing findings exit 0 (input errors still exit 2).
	SoftFail bool
	// FailExitCode is the exit code for failing findings (--exit-code).
	FailExitCode int
	// Compact selects the compact table, wrapped to the terminal width.
	Compact bool
	// SkipControls are control IDs or aliases not evaluated (--skip-control).
	SkipControls []string
	// SARIFIncludeSuppressed lists suppressed findings in SARIF reports.
	SARIFIncludeSuppressed bool
	// RepoRoot is the directory SARIF URIs are relative to (default: the git
	// top level of the first path, else the working directory).
	RepoRoot string

	// Set by prepare and loadPolicy.
	config       *config.Config
	baseline     *policy.Baseline
	gate         policy.Gate
	policyLoaded bool
	outputs      []outputFile
	// root is the first scanned path (or "." for audit), for the
	// repository root.
	root string
	// reportOpts are the format options of the main output, reused for
	// the output files.
	reportOpts report.Options
}

func (o *OutputOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.Format, "format", "f", "", "output format: "+joinNames()+" (default: table on a terminal, json otherwise)")
	f.StringVarP(&o.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	f.BoolVar(&o.NoColor, "no-color", false, "disable colours in the table format (also NO_COLOR)")
	f.BoolVar(&o.Strict, "strict", false, "exit 1 on unknown findings and gaps (what could not be looked at) too")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on standard error but errors (no progress, no \"recorded run\" line)")
	configFrom := "the first scanned path"
	if cmd.Name() == "audit" {
		configFrom = "the working directory"
	}
	f.StringVar(&o.ConfigFile, "config", "", "read settings from `FILE` (default: .sagefence.yaml found from "+configFrom+" upwards, up to the repository root)")
	f.BoolVar(&o.NoConfig, "no-config", false, "do not look for a .sagefence.yaml")
	f.StringVar(&o.Baseline, "baseline", "", "report only fails that are not already failing in this previous JSON result `FILE`")
	f.StringVar(&o.Severity, "severity", "", "exit 1 only for fails at or above `LEVEL` (low, medium, high; critical is high), or of the levels of a comma-separated list (HIGH,CRITICAL); all findings are still reported")
	f.StringArrayVar(&o.OutputFiles, "output-file", nil, "also write the report in `FORMAT=PATH` (repeatable: one run, several reports, e.g. sarif=results.sarif)")
	f.BoolVar(&o.SoftFail, "soft-fail", false, "exit 0 when findings fail (input errors still exit 2)")
	f.IntVar(&o.FailExitCode, "exit-code", ExitFail, "exit with `N` when findings fail (0 is --soft-fail)")
	f.BoolVar(&o.Compact, "compact", false, "table format: one short block per finding, wrapped to the terminal width ($COLUMNS)")
	f.StringArrayVar(&o.SkipControls, "skip-control", nil, "do not evaluate this control `ID` or alias (repeatable)")
	f.BoolVar(&o.SARIFIncludeSuppressed, "sarif-include-suppressed", false, "list suppressed findings in SARIF reports (GitHub code scanning ignores SARIF suppressions and opens alerts for them)")
	f.StringVar(&o.RepoRoot, "repo-root", "", "`DIR` SARIF file URIs are relative to (default: the git top level of the first path, else the working directory)")
}

// outputFile is one parsed --output-file.
type outputFile struct {
	format, path string
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
	o.root = root
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
	gate, err := policy.ParseGate(o.Severity)
	if err != nil {
		return usageError{fmt.Errorf("--severity: %w", err)}
	}
	o.gate = gate
	if o.FailExitCode < 0 || o.FailExitCode > 125 {
		return usagef("--exit-code %d: want 0 to 125", o.FailExitCode)
	}
	if o.outputs, err = parseOutputFiles(o.OutputFiles, o.Output); err != nil {
		return err
	}
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
		// With --output-file the files are the machine reports; standard
		// output gets the table people read in a CI log.
		if toTerminal || (o.Output == "" && len(o.OutputFiles) > 0) {
			name = "table"
		}
	}
	ro.Compact = o.Compact
	ro.Width = io.termWidth()
	ro.SARIFIncludeSuppressed = o.SARIFIncludeSuppressed
	var err error
	if ro.SourceRoot, ro.WorkDir, err = o.sourceRoot(); err != nil {
		return nil, err
	}
	o.reportOpts = ro
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
// for 0). A streamed result's findings are read from its store by each
// report in turn (the baseline recounts them in one more pass first), or
// read into the result once when a format needs them all.
func (o *OutputOptions) emit(io *IO, f report.Formatter, res *finding.Result) error {
	if err := o.loadPolicy(); err != nil {
		return err
	}
	// A streamed result (scan's) stays on disk when every report reads its
	// findings one at a time; the other formats need them all at once.
	if res.Streamed() && !o.allStream(f) {
		if err := readAllFindings(res); err != nil {
			return err
		}
	}
	o.config.ApplySeverity(res)
	if o.baseline != nil {
		o.baseline.Apply(res)
	}
	// Input errors are errors: printed even with --quiet.
	for _, e := range res.Errors {
		fmt.Fprintf(io.ErrOut, "sagefence: error: %s\n", e.Error())
	}
	if o.Output == "" {
		if err := f.Format(io.Out, res); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
	} else if err := writeFileAtomic(o.Output, func(w *os.File) error { return f.Format(w, res) }); err != nil {
		return fmt.Errorf("writing report to %s: %w", o.Output, err)
	}
	if err := o.writeOutputFiles(res); err != nil {
		return err
	}
	gate := o.gate
	gate.Strict = o.Strict
	if code := policy.FailCode(gate.ExitCode(res), res, o.SoftFail, o.FailExitCode); code != ExitOK {
		return resultError{code}
	}
	return nil
}

// readAllFindings reads a streamed result's findings into Result.Findings
// (nothing to do for one that is not streamed), with the collector readied
// for the large live heap that makes (gcpolicy.LargeLiveHeap, by the
// process's own GOGC, as the runtime reads it).
func readAllFindings(res *finding.Result) error {
	if !res.Streamed() {
		return nil
	}
	gcpolicy.LargeLiveHeap(os.Getenv)
	if err := res.Materialize(); err != nil {
		return fmt.Errorf("reading findings: %w", err)
	}
	return nil
}

// allStream reports whether the main report f and every --output-file
// format stream a result's findings (report.StreamsFindings).
func (o *OutputOptions) allStream(f report.Formatter) bool {
	if !report.StreamsFindings(f) {
		return false
	}
	for _, of := range o.outputs {
		g, err := report.New(of.format, o.reportOpts)
		if err != nil || !report.StreamsFindings(g) {
			return false
		}
	}
	return true
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
