package cli

// Shared by scan and audit: several reports from one run (--output-file),
// the directory SARIF URIs are relative to, and which controls run
// (--control, --skip-control, the configuration file).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/config"
	"github.com/sagefence/sagefence/report"
)

// parseOutputFiles checks FORMAT=PATH arguments: a known format, a path,
// and no path named twice (also not the --output file).
func parseOutputFiles(args []string, mainOutput string) ([]outputFile, error) {
	var out []outputFile
	seen := map[string]string{}
	if mainOutput != "" {
		seen[filepath.Clean(mainOutput)] = "--output"
	}
	for _, a := range args {
		format, path, ok := strings.Cut(a, "=")
		format = strings.ToLower(strings.TrimSpace(format))
		if !ok || format == "" || path == "" {
			return nil, usagef("--output-file %q: expected FORMAT=PATH, e.g. sarif=results.sarif", a)
		}
		if _, err := report.New(format, report.Options{}); err != nil {
			return nil, usagef("--output-file %q: %v", a, err)
		}
		if prev, dup := seen[filepath.Clean(path)]; dup {
			return nil, usagef("--output-file %q: %s is already written by %s", a, path, prev)
		}
		seen[filepath.Clean(path)] = "--output-file " + a
		out = append(out, outputFile{format: format, path: path})
	}
	return out, nil
}

// writeOutputFiles writes every --output-file report of the result, each
// atomically and without colour. A report that cannot be written does not
// stop the others; the errors are returned together.
func (o *OutputOptions) writeOutputFiles(res *finding.Result) error {
	var errs []error
	for _, of := range o.outputs {
		ro := o.reportOpts
		ro.Color = false
		f, err := report.New(of.format, ro)
		if err != nil {
			return usageError{err}
		}
		if err := writeFileAtomic(of.path, func(w *os.File) error { return f.Format(w, res) }); err != nil {
			errs = append(errs, fmt.Errorf("writing %s report to %s: %w", of.format, of.path, err))
		}
	}
	return errors.Join(errs...)
}

// sourceRoot returns the absolute directory SARIF URIs are relative to
// (--repo-root, else the git top level above the first scanned path, else
// the working directory) and the working directory.
func (o *OutputOptions) sourceRoot() (root, wd string, err error) {
	if wd, err = os.Getwd(); err != nil {
		return "", "", fmt.Errorf("working directory: %w", err)
	}
	if o.RepoRoot != "" {
		abs, err := filepath.Abs(o.RepoRoot)
		if err != nil {
			return "", "", usagef("--repo-root %s: %v", o.RepoRoot, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return "", "", usagef("--repo-root %s: not a directory", o.RepoRoot)
		}
		return abs, wd, nil
	}
	start := o.root
	if start == "" {
		start = "."
	}
	if top := gitTopLevel(start); top != "" {
		return top, wd, nil
	}
	return wd, wd, nil
}

// gitTopLevel is the nearest directory at or above path that holds .git (a
// directory, or the file of a worktree or submodule), "" when there is none.
// It reads the file system only: git need not be installed.
func gitTopLevel(path string) string {
	dir, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// selectControls resolves which controls run: --control (IDs or aliases;
// an explicit list runs even controls the configuration file switches
// off), else the catalog less the file's disabled controls; then
// --skip-control removes controls by ID or alias. what names the run in
// errors ("scan", "audit").
func selectControls(only, skip []string, cfg *config.Config, what string) ([]*control.Control, error) {
	controls, err := control.Select(only)
	if err != nil {
		return nil, usageError{err}
	}
	if cfg != nil && len(only) == 0 {
		controls = cfg.Enabled(controls)
		if len(controls) == 0 {
			return nil, usagef("%s switches every control off: nothing to %s", cfg.Path, what)
		}
	}
	if len(skip) == 0 {
		return controls, nil
	}
	skipped := map[*control.Control]bool{}
	for _, id := range skip {
		c, ok := control.Lookup(id)
		if !ok {
			return nil, usagef("--skip-control %q: unknown control (run `sagefence controls` for the list)", id)
		}
		skipped[c] = true
	}
	kept := controls[:0:0]
	for _, c := range controls {
		if !skipped[c] {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		return nil, usagef("--skip-control leaves no control: nothing to %s", what)
	}
	return kept, nil
}
