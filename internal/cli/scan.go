package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/config"
	"github.com/sagefence/sagefence/internal/modfetch"
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/redact"
	"github.com/sagefence/sagefence/report"
	"github.com/sagefence/sagefence/surface"
)

// ScanOptions are `sagefence scan`'s inputs.
type ScanOptions struct {
	OutputOptions
	Paths []string
	// VarInputs are --var and --var-file in command-line order.
	VarInputs      []surface.VarInput
	Parameters     []string
	ParameterFiles []string
	Controls       []string
	Region         string
	Account        string
	Record         RecordOptions
	// SkipPaths are --skip-path globs (engine.PathFilter).
	SkipPaths []string
	// Source is the Terraform configuration plan findings are mapped to
	// (--source; engine.Options.PlanSource).
	Source string
	// AllowRead are directories outside the scan roots that file(),
	// templatefile(), module sources and symlinks may read (--allow-read).
	AllowRead []string
	// DownloadModules fetches remote Terraform modules that
	// .terraform/modules does not hold (--download-modules) into ModuleCache
	// (--module-cache; default modfetch.DefaultCacheDir()).
	DownloadModules bool
	ModuleCache     string
}

func newScanCmd(io *IO) *cobra.Command {
	opts := &ScanOptions{}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan Terraform, plan JSON, CloudFormation and CDK output (default: .)",
		Long: `Scan infrastructure as code before it is applied.

Directories are searched recursively. Terraform (.tf, .tf.json with tfvars), Terraform plan
and state JSON (terraform show -json), CloudFormation templates (YAML or JSON, detected by
content) and CDK cloud assemblies (cdk.out) are recognised. Every evaluated resource gets a
finding per control: fail, pass, unknown (with what is missing) or suppressed.

Exit codes: 0 no fail and no error; 1 at least one fail (with --strict, also an unknown or a gap);
2 no fail but an error (bad usage, or an input that could not be read or parsed).`,
		Example: `  # scan the current directory, table on a terminal
  sagefence scan

  # a Terraform root with a var file and an override, JSON for CI
  sagefence scan infra/ --var-file prod.tfvars --var internet_access=Disabled --format json

  # a CloudFormation template with a parameter, only the headline control
  sagefence scan template.yaml --parameter Access=Disabled --control CKV_AWS_122

  # a plan
  terraform show -json plan.out > plan.json && sagefence scan plan.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{"."}
			}
			opts.Record.RecordSet = cmd.Flags().Changed("record")
			return runScan(cmd.Context(), io, opts)
		},
	}
	opts.addFlags(cmd)
	f := cmd.Flags()
	addVarInputFlags(f, &opts.VarInputs)
	f.StringArrayVarP(&opts.Parameters, "parameter", "p", nil, "set a CloudFormation parameter (`KEY=VALUE`, repeatable)")
	f.StringArrayVar(&opts.ParameterFiles, "parameter-file", nil, "read CloudFormation parameters from `FILE` (Key=Value lines or the JSON ParameterKey/ParameterValue list)")
	f.StringArrayVarP(&opts.Controls, "control", "c", nil, "evaluate only this control `ID` or alias (repeatable)")
	f.StringVar(&opts.Region, "region", "", "AWS region for AWS::Region and region-dependent names in templates")
	f.StringVar(&opts.Account, "account", "", "AWS account ID for AWS::AccountId in templates")
	f.StringVar(&opts.Source, "source", "", "map plan findings to the resource blocks (file, line, inline suppressions) of the Terraform configuration in `DIR` (default: the plan's own directory when it holds .tf files)")
	f.StringArrayVar(&opts.SkipPaths, "skip-path", nil, "leave out files and directories matching `GLOB` (repeatable; also exclude: in .sagefence.yaml; ** spans directories, a pattern without / matches any path segment)")
	f.BoolVar(&opts.DownloadModules, "download-modules", false, "download remote Terraform modules that .terraform/modules does not hold (registry, git:: over https, https archives) into the module cache (see README \"Modules on demand\")")
	f.StringVar(&opts.ModuleCache, "module-cache", "", "keep downloaded modules in `DIR` (default: the user cache directory, ~/.cache/sagefence/modules on Linux; needs --download-modules)")
	f.StringArrayVar(&opts.AllowRead, "allow-read", nil, "also let file(), templatefile(), module sources and symlinks read inside `DIR`, outside the scan root (repeatable; see README \"Security model\")")
	opts.Record.addFlags(cmd)
	return cmd
}

// skipFilter combines --skip-path with the configuration file's exclude:
// patterns, which may also be relative to the file's directory.
func (opts *ScanOptions) skipFilter(cfg *config.Config) (*engine.PathFilter, error) {
	patterns := append([]string(nil), opts.SkipPaths...)
	anchors := append([]string(nil), opts.Paths...)
	if cfg != nil && len(cfg.Exclude) > 0 {
		patterns = append(patterns, cfg.Exclude...)
		anchors = append(anchors, filepath.Dir(cfg.Path))
	}
	f, err := engine.NewPathFilter(patterns, anchors)
	if err != nil {
		return nil, usageError{err}
	}
	return f, nil
}

// findingBudget is the memory a scan keeps its findings in before it writes
// them to disk (engine.Options.SpillBudget; zero is the default). Tests
// lower it so that small scans spill too.
var findingBudget int64

func runScan(ctx context.Context, io *IO, opts *ScanOptions) error {
	cfg, err := opts.prepare(opts.Paths[0])
	if err != nil {
		return err
	}
	controls, err := selectControls(opts.Controls, opts.SkipControls, cfg, "scan")
	if err != nil {
		return err
	}
	skip, err := opts.skipFilter(cfg)
	if err != nil {
		return err
	}
	if err := checkVarInputs(opts.VarInputs); err != nil {
		return err
	}
	varInputs := opts.VarInputs
	params, err := parseAssignments("--parameter", opts.Parameters)
	if err != nil {
		return err
	}
	var suppressions []engine.ConfigSuppression
	if cfg != nil {
		// The file's settings come first; flags override them.
		varInputs = append(surface.VarFilesThenVars(cfg.VarFiles, cfg.Vars), varInputs...)
		for k, v := range cfg.Parameters {
			if _, set := params[k]; !set {
				params[k] = v
			}
		}
		suppressions = cfg.Suppressions
	}
	fmtr, err := opts.formatterWith(io, report.Options{Account: opts.Account, Region: opts.Region})
	if err != nil {
		return err
	}
	fetcher, err := opts.moduleDownloader(io.Getenv)
	if err != nil {
		return err
	}
	allow := opts.AllowRead
	var modules surface.ModuleDownloader // stays a nil interface without the flag
	if fetcher != nil {
		modules = fetcher
		allow = append(append([]string(nil), allow...), fetcher.CacheDir())
	}
	if opts.Source != "" {
		if st, err := os.Stat(opts.Source); err != nil || !st.IsDir() {
			return usagef("--source %s: not a directory", opts.Source)
		}
		allow = append(append([]string(nil), allow...), opts.Source)
	}
	jail, err := safefs.NewJail(opts.Paths, allow)
	if err != nil {
		return usageError{err}
	}
	if err := confineDiscoveredConfig(cfg, opts.ConfigFile != "", jail); err != nil {
		return err
	}
	start := time.Now().UTC()
	var found engine.Inputs
	res := engine.Scan(ctx, opts.Paths, engine.Options{
		Options: surface.Options{
			VarInputs:  varInputs,
			Parameters: params, ParameterFiles: opts.ParameterFiles,
			Region: opts.Region, Account: opts.Account,
			Getenv:  io.Getenv,
			Jail:    jail,
			Modules: modules,
		},
		Controls:     controls,
		Suppressions: suppressions,
		Skip:         skip,
		PlanSource:   opts.Source,
		Discovered:   func(in engine.Inputs) { found = in },
		// Findings stay in the scan's store, on disk past its budget, and
		// the JSON report reads them from there (emit).
		StreamFindings: true,
		SpillBudget:    findingBudget,
	})
	defer res.Close()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("scan interrupted: %w", err)
	}
	if err := res.SpillError(); err != nil {
		// The report is whole; only the memory bound is lost.
		fmt.Fprintf(io.ErrOut, "sagefence: warning: findings kept in memory, not in temporary files (%v)\n", err)
	}
	res.Tool = finding.Tool{Name: "sagefence", Version: Version}
	res.Scope = &finding.Scope{Command: "scan", Paths: opts.Paths, Time: start.Format(time.RFC3339), Config: opts.configPath()}
	if res.FindingCount() == 0 && !opts.Quiet {
		hidden := ""
		if n := len(res.Gaps); n > 0 {
			hidden = fmt.Sprintf(" (%d gap(s) may hide some: see the report)", n)
		}
		fmt.Fprintf(io.ErrOut, "sagefence: no SageMaker notebook instance or Studio domain found in %s%s: %s\n",
			strings.Join(opts.Paths, " "), hidden, found.Describe())
	}
	// Secrets leave the result here, before any sink sees it.
	redact.Result(res)
	if fetcher != nil {
		if st := fetcher.Stats(); st != (modfetch.Stats{}) {
			fmt.Fprintf(io.info(opts.Quiet).ErrOut, "modules: %d downloaded, %d from the cache in %s, %d failed (see gaps)\n",
				st.Downloaded, st.Cached, fetcher.CacheDir(), st.Failed)
		}
	}
	recordErr := recordResult(ctx, io.info(opts.Quiet), opts.Record.withConfig(io, cfg), res)
	return withFollowUpError(io, opts.emit(io, fmtr, res), recordErr)
}

// confineDiscoveredConfig refuses a discovered .sagefence.yaml (part of the
// scanned content) whose var_files or SQLite store lie outside the scan
// root: the repository must not steer reads or writes outside itself. A file
// named with --config is the user's own and is trusted.
func confineDiscoveredConfig(cfg *config.Config, explicit bool, jail *safefs.Jail) error {
	if cfg == nil || explicit {
		return nil
	}
	for _, f := range cfg.VarFiles {
		if _, err := jail.Check(f); errors.Is(err, safefs.ErrOutside) {
			return usagef("%s: var_files: %v; name the file with --config to trust it", cfg.Path, err)
		}
	}
	if cfg.Store != "" && !strings.Contains(cfg.Store, "://") {
		if _, err := jail.Check(cfg.Store); errors.Is(err, safefs.ErrOutside) {
			return usagef("%s: store: %v; name the file with --config to trust it", cfg.Path, err)
		}
	}
	return nil
}

// checkAssignments validates NAME=VALUE arguments and returns them unchanged.
func checkAssignments(flag string, kvs []string) ([]string, error) {
	for _, kv := range kvs {
		if k, _, ok := strings.Cut(kv, "="); !ok || strings.TrimSpace(k) == "" {
			return nil, usagef("%s %q: expected NAME=VALUE", flag, kv)
		}
	}
	return kvs, nil
}

// parseAssignments turns KEY=VALUE arguments into a map; later ones win.
func parseAssignments(flag string, kvs []string) (map[string]string, error) {
	if _, err := checkAssignments(flag, kvs); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}

// moduleDownloader returns the module fetcher of --download-modules (nil
// without it), with registry tokens from TF_TOKEN_<host> as Terraform reads
// them. The cache may not lie inside a scanned path: its modules would be
// scanned as roots of their own.
func (o *ScanOptions) moduleDownloader(getenv func(string) string) (*modfetch.Fetcher, error) {
	if !o.DownloadModules {
		if o.ModuleCache != "" {
			return nil, usagef("--module-cache needs --download-modules")
		}
		return nil, nil
	}
	cache := o.ModuleCache
	if cache == "" {
		d, err := modfetch.DefaultCacheDir()
		if err != nil {
			return nil, fmt.Errorf("--download-modules: %w", err)
		}
		cache = d
	}
	cacheAbs, err := filepath.Abs(cache)
	if err != nil {
		return nil, usagef("--module-cache %s: %v", cache, err)
	}
	for _, p := range o.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(abs, cacheAbs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return nil, usagef("--module-cache %s is inside the scanned path %s: its modules would be scanned as roots; choose a directory outside it", cacheAbs, p)
		}
	}
	f, err := modfetch.New(modfetch.Options{CacheDir: cacheAbs, Token: modfetch.EnvToken(getenv)})
	if err != nil {
		return nil, fmt.Errorf("--download-modules: %w", err)
	}
	return f, nil
}
