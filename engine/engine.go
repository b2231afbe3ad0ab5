// Package engine runs a scan: it discovers the inputs under the given paths,
// hands each to its surface, evaluates the selected controls on every
// model.Set and applies suppressions. `sagefence scan` and `sagefence audit`
// both end in Evaluate, so a verdict never depends on where the model came from.
package engine

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
	"github.com/sagefence/sagefence/surface/cdk"
	"github.com/sagefence/sagefence/surface/cloudformation"
	"github.com/sagefence/sagefence/surface/terraform"
	"github.com/sagefence/sagefence/surface/tfplan"
)

// Options configure a scan.
type Options struct {
	surface.Options
	// Controls to evaluate; empty means all.
	Controls []*control.Control
	// Now is the reference time for suppression expiry; zero means time.Now.
	Now time.Time
	// Parallelism bounds concurrent units; zero means GOMAXPROCS.
	Parallelism int
	// Suppressions from the configuration file apply to every resource whose
	// address or name matches (see ConfigSuppression).
	Suppressions []ConfigSuppression
	// Skip leaves paths out of discovery, and drops findings located in a
	// skipped file (see PathFilter); nil skips nothing.
	Skip *PathFilter
	// Discovered, when set, receives what discovery found before the
	// surfaces run.
	Discovered func(Inputs)
	// PlanSource is the Terraform configuration directory plan findings
	// are mapped to (scan --source); empty means each plan file's own
	// directory when it holds .tf files (see mapPlanToSource).
	PlanSource string
}

// Scan discovers and scans the paths. It never fails as a whole: inputs that
// could not be read are Result.Errors, everything else is still scanned.
//
// Reads the scanned content can steer are confined to opts.Jail; when it is
// nil, Scan confines them to the scan roots of paths (safefs.NewJail) and
// the module cache of opts.Modules.
func Scan(ctx context.Context, paths []string, opts Options) *finding.Result {
	res, _ := ScanSets(ctx, paths, opts)
	return res
}

// ScanSets is Scan that also returns the model sets the findings were
// computed from (what `sagefence fix` plans its edits from).
func ScanSets(ctx context.Context, paths []string, opts Options) (*finding.Result, []*model.Set) {
	res := &finding.Result{FormatVersion: finding.FormatVersion}
	if opts.Jail == nil {
		var allow []string
		if opts.Modules != nil {
			allow = append(allow, opts.Modules.CacheDir())
		}
		jail, err := safefs.NewJail(paths, allow)
		if err != nil {
			res.Errors = append(res.Errors, model.Error{Message: err.Error()})
			res.Findings = []finding.Finding{}
			res.Finalize()
			return res, nil
		}
		opts.Jail = jail
	}
	in := DiscoverSkipping(ctx, paths, opts.Jail, opts.Skip)
	if opts.Discovered != nil {
		opts.Discovered(in)
	}
	res.Errors = append(res.Errors, in.Errors...)

	var (
		mu   sync.Mutex
		sets []*model.Set
	)
	collect := func(r surface.Result) {
		mu.Lock()
		defer mu.Unlock()
		sets = append(sets, r.Sets...)
		res.Errors = append(res.Errors, r.Errors...)
	}

	if len(in.TerraformDirs) > 0 {
		collect(terraform.Load(ctx, terraform.Input{Dirs: in.TerraformDirs, Args: in.TerraformArgs}, opts.Options))
	}
	if ctx.Err() == nil {
		runBounded(opts.Parallelism, fileJobs(ctx, in, opts), collect)
	}
	if err := ctx.Err(); err != nil {
		// Interrupted: what was read is incomplete, so nothing is evaluated.
		res.Errors = append(res.Errors, model.Error{Message: "scan interrupted: " + err.Error()})
		res.Findings = []finding.Finding{}
		res.Finalize()
		return res, sets
	}
	var evalErrs []model.Error
	res.Findings, evalErrs = Evaluate(sets, opts.Controls, opts.Suppressions, opts.Now)
	res.Errors = append(res.Errors, evalErrs...)
	res.Sensitive = SensitiveValues(sets)
	res.Gaps = Gaps(sets, opts.Controls)
	if opts.Skip != nil {
		kept := res.Findings[:0]
		for _, f := range res.Findings {
			if !opts.Skip.Match(f.Location.File) {
				kept = append(kept, f)
			}
		}
		res.Findings = kept
		gaps := res.Gaps[:0]
		for _, g := range res.Gaps {
			if !opts.Skip.Match(g.File) {
				gaps = append(gaps, g)
			}
		}
		res.Gaps = gaps
	}
	res.Finalize()
	return res, sets
}

// SensitiveValues gathers the sensitive values of the sets, once each, for
// finding.Result.Sensitive.
func SensitiveValues(sets []*model.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		for _, v := range s.Sensitive {
			if v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// Evaluate runs the controls on every set and applies suppressions. The
// controls of one set share one control.Unit, so results such as a
// notebook's network analysis are computed once per set. A control that
// panics gives an input error naming it and the resource, not a crash.
func Evaluate(sets []*model.Set, controls []*control.Control, cfg []ConfigSuppression, now time.Time) ([]finding.Finding, []model.Error) {
	if len(controls) == 0 {
		controls = control.All()
	}
	if now.IsZero() {
		now = time.Now()
	}
	out := []finding.Finding{}
	seen := map[string]bool{}
	var errs []model.Error
	for _, set := range sets {
		sup := suppressionIndex(set)
		unit := control.NewUnit(set)
		for _, c := range controls {
			findings, err := c.Run(unit)
			if err != nil {
				errs = append(errs, *err)
			}
			for _, f := range findings {
				applySuppression(&f, c, sup[f.Resource.Address], cfg, now)
				// The same resource reached twice within one root (or
				// scope) is one finding; reached from two roots, two.
				id := f.Key() + "|" + string(f.Status) + "|" + f.Message
				if seen[id] {
					continue
				}
				seen[id] = true
				out = append(out, f)
			}
		}
	}
	return out, errs
}

// Gaps returns the gaps of the sets that concern at least one of the
// controls (all when empty), once per cause: a gap that may hide only kinds of
// resource no selected control reads (or context no subject of its set
// needs) is left out. Each gap names the controls it concerns and the
// highest severity among them.
func Gaps(sets []*model.Set, controls []*control.Control) []finding.Gap {
	if len(controls) == 0 {
		controls = control.All()
	}
	res := &finding.Result{Gaps: []finding.Gap{}}
	for _, set := range sets {
		for _, g := range set.Gaps {
			out := finding.Gap{
				Kind: g.Kind, Surface: g.Surface, Address: g.Address, Root: g.Root,
				File: g.Range.File, Line: g.Range.StartLine, Account: g.Account, Region: g.Region,
				Source: g.Source, Version: g.Version, Reason: g.Reason, Hint: g.Hint,
				Hides: []string{}, Controls: []string{},
			}
			for _, c := range controls {
				if c.Touches(g, set) {
					out.Controls = append(out.Controls, c.ID)
					if c.Severity.Rank() > out.Severity.Rank() {
						out.Severity = c.Severity
					}
				}
			}
			if len(out.Controls) == 0 {
				continue
			}
			for _, k := range model.AllKinds() {
				if g.HidesKind(k) {
					out.Hides = append(out.Hides, k.TypeName(g.Surface))
				}
			}
			res.AddGap(out)
		}
	}
	return res.Gaps
}

// fileJobs returns one job per plan file, template and CDK assembly. The
// CloudFormation loader (which reads the parameter files once) is shared by
// templates and assemblies; its own errors are a job of their own.
func fileJobs(ctx context.Context, in Inputs, opts Options) []func() surface.Result {
	var jobs []func() surface.Result
	for _, p := range in.PlanFiles {
		jobs = append(jobs, func() surface.Result {
			return mapPlanToSource(ctx, tfplan.LoadFile(ctx, p, opts.Options), planSourceDir(p, opts.PlanSource), opts)
		})
	}
	if len(in.TemplateFiles) == 0 && len(in.CDKAssemblies) == 0 {
		return jobs
	}
	loader, errs := cloudformation.NewLoader(ctx, opts.Options)
	jobs = append(jobs, func() surface.Result { return surface.Result{Errors: errs} })
	for _, p := range in.TemplateFiles {
		jobs = append(jobs, func() surface.Result { return loader.LoadFile(ctx, p) })
	}
	for _, d := range in.CDKAssemblies {
		jobs = append(jobs, func() surface.Result { return cdk.LoadWith(ctx, loader, d) })
	}
	return jobs
}

// runBounded runs jobs on at most parallelism goroutines (GOMAXPROCS when
// zero) and hands each result to collect, which must be safe for concurrent use.
func runBounded(parallelism int, jobs []func() surface.Result, collect func(surface.Result)) {
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	next := make(chan func() surface.Result)
	var wg sync.WaitGroup
	for range min(parallelism, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range next {
				collect(job())
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}
