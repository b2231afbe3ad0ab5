// Package engine runs a scan: it discovers the inputs under the given paths,
// hands each to its surface, evaluates the selected controls on every
// model.Set and applies suppressions. `sagefence scan` and `sagefence audit`
// both end in Evaluate, so a verdict never depends on where the model came from.
package engine

import (
	"context"
	"sync"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
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

	_ = ctx
	_ = collect
	scanPlanFiles(ctx, in.PlanFiles, opts.Options, opts.Parallelism, collect)
	res.Findings = Evaluate(sets, opts.Controls, opts.Suppressions, opts.Now)
	res.Finalize()
	return res
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
