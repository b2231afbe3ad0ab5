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
}

// Scan discovers and scans the paths. It never fails as a whole: inputs that
// could not be read are Result.Errors, everything else is still scanned.
func Scan(ctx context.Context, paths []string, opts Options) *finding.Result {
	res, _ := ScanSets(ctx, paths, opts)
	return res
}

// ScanSets is Scan that also returns the model sets the findings were
// computed from (what `sagefence fix` plans its edits from).
func ScanSets(ctx context.Context, paths []string, opts Options) (*finding.Result, []*model.Set) {
	in := Discover(paths)
	res := &finding.Result{FormatVersion: finding.FormatVersion}
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
	runBounded(opts.Parallelism, fileJobs(ctx, in, opts), collect)
	res.Findings = Evaluate(sets, opts.Controls, opts.Suppressions, opts.Now)
	res.Finalize()
	return res, sets
}

// Evaluate runs the controls on every set and applies suppressions.
func Evaluate(sets []*model.Set, controls []*control.Control, cfg []ConfigSuppression, now time.Time) []finding.Finding {
	if len(controls) == 0 {
		controls = control.All()
	}
	if now.IsZero() {
		now = time.Now()
	}
	out := []finding.Finding{}
	for _, set := range sets {
		sup := suppressionIndex(set)
		for _, c := range controls {
			for _, f := range c.Evaluate(set) {
				applySuppression(&f, c, sup[f.Resource.Address], cfg, now)
				out = append(out, f)
			}
		}
	}
	return out
}

// fileJobs returns one job per plan file, template and CDK assembly. The
// CloudFormation loader (which reads the parameter files once) is shared by
// templates and assemblies; its own errors are a job of their own.
func fileJobs(ctx context.Context, in Inputs, opts Options) []func() surface.Result {
	var jobs []func() surface.Result
	for _, p := range in.PlanFiles {
		jobs = append(jobs, func() surface.Result { return tfplan.LoadFile(ctx, p, opts.Options) })
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
