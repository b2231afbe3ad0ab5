// Package engine runs a scan: it discovers the inputs under the given paths,
// hands each to its surface, evaluates the selected controls on every
// model.Set and applies suppressions. `sagefence scan` and `sagefence audit`
// both end in Evaluate, so a verdict never depends on where the model came from.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
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
	// StreamFindings leaves the findings in the scan's finding.Store
	// (Result.Streamed): read them with Result.EachFinding, and Close the
	// result. Otherwise Scan reads them into Result.Findings.
	StreamFindings bool
	// SpillBudget is the memory the findings are kept in before they are
	// written to disk (finding.StoreOptions.Budget); zero means the
	// store's default with StreamFindings, and no limit without it (the
	// findings end up in memory then).
	SpillBudget int64
}

// Scan discovers and scans the paths. It never fails as a whole: inputs that
// could not be read are Result.Errors, everything else is still scanned.
//
// Reads the scanned content can steer are confined to opts.Jail; when it is
// nil, Scan confines them to the scan roots of paths (safefs.NewJail) and
// the module cache of opts.Modules.
//
// Each model.Set is evaluated as soon as its surface produces it and then
// released, and its findings go to a finding.Store that keeps them on disk
// past a memory budget, so memory follows the roots in flight, not the
// corpus nor the number of findings (with Options.StreamFindings; without
// it the findings are read into Result.Findings at the end).
func Scan(ctx context.Context, paths []string, opts Options) *finding.Result {
	res, _ := scan(ctx, paths, opts, false)
	return res
}

// ScanSets is Scan that also returns the model sets the findings were
// computed from (what `sagefence fix` plans its edits from); it keeps every
// set in memory until it returns.
func ScanSets(ctx context.Context, paths []string, opts Options) (*finding.Result, []*model.Set) {
	return scan(ctx, paths, opts, true)
}

func scan(ctx context.Context, paths []string, opts Options, keepSets bool) (*finding.Result, []*model.Set) {
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

	ev := newEvaluator(opts.Controls, opts.Suppressions, opts.Now)
	budget := opts.SpillBudget
	if budget == 0 && !opts.StreamFindings {
		// The findings end up in memory anyway: writing them to disk
		// first would only cost time.
		budget = math.MaxInt64
	}
	store := finding.NewStore(finding.StoreOptions{Budget: budget})
	var (
		mu sync.Mutex
		c  = collector{store: store, skip: opts.Skip}
		// rootSets are the Terraform roots' evaluations (findings
		// aside) by root index; fileSets those of the other inputs, in
		// completion order.
		rootSets  = map[int]setResult{}
		fileSets  []setResult
		sets      []*model.Set
		rootModel = map[int]*model.Set{}
	)
	if len(in.TerraformDirs) > 0 {
		tf := terraform.LoadEach(ctx, terraform.Input{Dirs: in.TerraformDirs, Args: in.TerraformArgs}, opts.Options,
			func(i int, set *model.Set) {
				r := ev.evaluate(set) // on the loader's goroutine: roots are evaluated in parallel
				mu.Lock()
				defer mu.Unlock()
				rootSets[i] = c.add(i, r)
				if keepSets {
					rootModel[i] = set
				}
			})
		res.Errors = append(res.Errors, tf.Errors...)
	}
	if ctx.Err() == nil {
		runBounded(opts.Parallelism, fileJobs(ctx, in, opts), func(r surface.Result) {
			evaluated := make([]setResult, len(r.Sets))
			for i, set := range r.Sets {
				evaluated[i] = ev.evaluate(set)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range evaluated {
				// Every root's findings come before every file's.
				fileSets = append(fileSets, c.add(fileSetBase+len(fileSets), e))
			}
			res.Errors = append(res.Errors, r.Errors...)
			if keepSets {
				sets = append(sets, r.Sets...)
			}
		})
	}
	if keepSets {
		sets = append(sortedByIndex(rootModel), sets...)
	}
	if err := ctx.Err(); err != nil {
		// Interrupted: what was read is incomplete, so nothing is evaluated.
		store.Close()
		res.Errors = append(res.Errors, model.Error{Message: "scan interrupted: " + err.Error()})
		res.Findings = []finding.Finding{}
		res.Finalize()
		return res, sets
	}
	var merged merger
	for _, r := range append(sortedByIndex(rootSets), fileSets...) {
		merged.add(r)
	}
	res.Errors = append(res.Errors, merged.errs...)
	res.Sensitive = merged.sensitive
	res.Gaps = merged.gaps.Gaps
	if opts.Skip != nil {
		gaps := res.Gaps[:0]
		for _, g := range res.Gaps {
			if !opts.Skip.Match(g.File) {
				gaps = append(gaps, g)
			}
		}
		res.Gaps = gaps
	}
	res.UseStore(store)
	res.Finalize()
	if !opts.StreamFindings {
		// The sets are gone and the findings are about to be read into one
		// slice: give the evaluation's garbage back first, so that the
		// peak RSS is the evaluation's or the findings', not both.
		debug.FreeOSMemory()
		if err := res.Materialize(); err != nil {
			res.Errors = append(res.Errors, model.Error{Message: err.Error()})
			res.Findings = []finding.Finding{}
			res.Finalize()
		}
	}
	return res, sets
}

// fileSetBase is the set number (finding.SeqOf) of the first set that is not
// a Terraform root; root indexes stay below it.
const fileSetBase = 1 << 31

// collector puts each evaluated set's findings in the scan's store as the
// set is evaluated, in the place of the order finding.SeqOf(set, position)
// gives: roots by index, then the other inputs in completion order, each
// set's findings as evaluated. Findings in a skipped file are left out. A
// finding without a Terraform root that an earlier place in that order
// already holds is left out (as merger did when the results were merged in
// order), whatever order the sets finish in. It is not safe for concurrent
// use.
type collector struct {
	store *finding.Store
	skip  *PathFilter
	// seen is, for each finding without a root, the digest of its
	// findingID and the place and status of the one kept.
	seen map[[sha256.Size]byte]keptAt
}

type keptAt struct {
	seq    finding.Seq
	status finding.Status
}

// add stores r's findings as set number set and returns r without them:
// the store keeps them in place, so their slice is the store's from then on.
func (c *collector) add(set int, r setResult) setResult {
	for pos := range r.findings.findings {
		f := &r.findings.findings[pos] // the store keeps f itself, not a copy
		if c.skip != nil && c.skip.Match(f.Location.File) {
			continue
		}
		seq := finding.SeqOf(set, pos)
		if f.Resource.Root == "" {
			if c.seen == nil {
				c.seen = map[[sha256.Size]byte]keptAt{}
			}
			d := digestOf(f)
			if prev, ok := c.seen[d]; ok {
				if prev.seq < seq {
					continue
				}
				c.store.Drop(prev.seq, prev.status)
			}
			c.seen[d] = keptAt{seq, f.Status}
		}
		// Add fails only after a read, which comes after every add.
		_ = c.store.Add(f, seq)
	}
	r.findings.findings = nil
	return r
}

// digestOf is a digest of f's findingID: the scan-wide dedupe keeps it
// rather than the finding's strings, which may have gone to disk.
func digestOf(f *finding.Finding) [sha256.Size]byte {
	h := sha256.New()
	id := idOf(f)
	var n [8]byte
	for _, s := range id.fields() {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// sortedByIndex returns the values of m in the order of their keys.
func sortedByIndex[T any](m map[int]T) []T {
	out := make([]T, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// SensitiveValues gathers the sensitive values of the sets, once each, for
// finding.Result.Sensitive.
func SensitiveValues(sets []*model.Set) []string {
	var m merger
	for _, s := range sets {
		m.addSensitive(s.Sensitive)
	}
	return m.sensitive
}

// Evaluate runs the controls on every set and applies suppressions. The
// controls of one set share one control.Unit, so results such as a
// notebook's network analysis are computed once per set. A control that
// panics gives an input error naming it and the resource, not a crash.
//
// A finding without a Terraform root reached from two sets is kept once, the
// first time, by the rule a scan keeps it by (collector).
func Evaluate(sets []*model.Set, controls []*control.Control, cfg []ConfigSuppression, now time.Time) ([]finding.Finding, []model.Error) {
	ev := newEvaluator(controls, cfg, now)
	store := finding.NewStore(finding.StoreOptions{Budget: math.MaxInt64}) // in memory: never written
	defer store.Close()
	c := collector{store: store}
	var errs []model.Error
	for i, set := range sets {
		r := setResult{findings: ev.findings(set)}
		errs = append(errs, r.findings.errs...)
		c.add(i, r)
	}
	out := make([]finding.Finding, 0, store.Len())
	if err := store.Each(func(f *finding.Finding) error {
		out = append(out, *f)
		return nil
	}); err != nil {
		errs = append(errs, model.Error{Message: err.Error()})
	}
	return out, errs
}

// Gaps returns the gaps of the sets that concern at least one of the
// controls (all when empty), once per cause: a gap that may hide only kinds of
// resource no selected control reads (or context no subject of its set
// needs) is left out. Each gap names the controls it concerns and the
// highest severity among them.
func Gaps(sets []*model.Set, controls []*control.Control) []finding.Gap {
	ev := newEvaluator(controls, nil, time.Time{})
	var m merger
	for _, set := range sets {
		for _, g := range ev.gaps(set) {
			m.gaps.AddGap(g)
		}
	}
	if m.gaps.Gaps == nil {
		return []finding.Gap{}
	}
	return m.gaps.Gaps
}

// evaluator evaluates one model.Set at a time with a fixed selection of
// controls and suppressions; it is safe for concurrent use.
type evaluator struct {
	controls []*control.Control
	cfg      []ConfigSuppression
	now      time.Time
}

func newEvaluator(controls []*control.Control, cfg []ConfigSuppression, now time.Time) *evaluator {
	if len(controls) == 0 {
		controls = control.All()
	}
	if now.IsZero() {
		now = time.Now()
	}
	return &evaluator{controls: controls, cfg: cfg, now: now}
}

// setResult is everything a scan keeps of one evaluated set, so that the
// set itself can be released (its findings only until the collector has
// stored them).
type setResult struct {
	findings  setFindings
	gaps      []finding.Gap
	sensitive []string
}

// setFindings are one set's findings (suppressions applied) and the errors
// of controls that failed on it.
type setFindings struct {
	findings []finding.Finding
	errs     []model.Error
}

func (ev *evaluator) evaluate(set *model.Set) setResult {
	return setResult{findings: ev.findings(set), gaps: ev.gaps(set), sensitive: set.Sensitive}
}

// findings evaluates the controls on set. The same finding reached twice
// within the set is kept once, the first time. The findings are returned in
// a slice of their own, without spare capacity (the scan's store keeps it).
func (ev *evaluator) findings(set *model.Set) setFindings {
	var out setFindings
	sup := suppressionIndex(set)
	unit := control.NewUnit(set)
	w := scratchPool.Get().(*evalScratch)
	defer w.release()
	for _, c := range ev.controls {
		start := len(w.findings)
		var err *model.Error
		w.findings, err = c.RunAppend(unit, w.findings)
		if err != nil {
			out.errs = append(out.errs, *err)
		}
		// Keep the new findings that are not duplicates, compacting them
		// in place after those already kept.
		kept := w.findings[:start]
		for i := range w.findings[start:] {
			f := &w.findings[start+i]
			applySuppression(f, c, sup[f.Resource.Address], ev.cfg, ev.now)
			if w.seenBefore(f, kept) {
				continue
			}
			kept = append(kept, *f)
		}
		w.findings = kept
	}
	if len(w.findings) > 0 {
		out.findings = slices.Clone(w.findings)
	}
	return out
}

// evalScratch is the working memory of one set's evaluation: the findings
// of every control gathered in one buffer, and an index of those kept. It
// is reused from set to set (scratchPool), so that evaluating a set
// allocates its findings once, at their final size.
type evalScratch struct {
	findings []finding.Finding
	// seen maps the hash of each kept finding's identity (idHash) to the
	// first kept finding with that hash. A hash, not the identity itself:
	// a map key of more than 128 bytes is allocated on its own.
	seen map[uint64]int
}

var scratchPool = sync.Pool{New: func() any { return &evalScratch{seen: map[uint64]int{}} }}

// seenBefore reports whether kept (the findings kept so far, which seen
// indexes) holds a finding with f's identity; if not, f is indexed as the
// next finding kept, at len(kept).
func (w *evalScratch) seenBefore(f *finding.Finding, kept []finding.Finding) bool {
	id := idOf(f)
	h := idHash(id)
	i, ok := w.seen[h]
	if !ok {
		w.seen[h] = len(kept)
		return false
	}
	if idOf(&kept[i]) == id {
		return true
	}
	// Another identity with the same hash: look at every finding kept.
	for j := range kept {
		if idOf(&kept[j]) == id {
			return true
		}
	}
	return false
}

// idSeed seeds idHash for the process.
var idSeed = maphash.MakeSeed()

// idHash hashes a finding identity: equal identities hash the same;
// different ones rarely do, and evalScratch.seenBefore tells them apart.
func idHash(id findingID) uint64 {
	var h maphash.Hash
	h.SetSeed(idSeed)
	for _, s := range id.fields() {
		h.WriteString(s)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// release empties the scratch, so that it holds on to no string of the
// set, and returns it to the pool.
func (w *evalScratch) release() {
	clear(w.findings[:cap(w.findings)])
	w.findings = w.findings[:0]
	clear(w.seen)
	scratchPool.Put(w)
}

// gaps are the set's gaps that concern at least one of the controls.
func (ev *evaluator) gaps(set *model.Set) []finding.Gap {
	var out []finding.Gap
	kinds := model.AllKinds()
	// controls and hides are gathered in buffers reused from gap to gap,
	// then copied at their final size.
	var controls, hides []string
	for _, g := range set.Gaps {
		fg := finding.Gap{
			Kind: g.Kind, Surface: g.Surface, Address: g.Address, Root: g.Root,
			File: g.Range.File, Line: g.Range.StartLine, Account: g.Account, Region: g.Region,
			Source: g.Source, Version: g.Version, Reason: g.Reason, Hint: g.Hint,
		}
		controls = controls[:0]
		for _, c := range ev.controls {
			if c.Touches(g, set) {
				controls = append(controls, c.ID)
				if c.Severity.Rank() > fg.Severity.Rank() {
					fg.Severity = c.Severity
				}
			}
		}
		if len(controls) == 0 {
			continue
		}
		hides = hides[:0]
		for _, k := range kinds {
			if g.HidesKind(k) {
				hides = append(hides, k.TypeName(g.Surface))
			}
		}
		fg.Controls, fg.Hides = nonNilCopy(controls), nonNilCopy(hides)
		out = append(out, fg)
	}
	return out
}

// nonNilCopy is a copy of xs without spare capacity, an empty list (never
// nil) when xs is empty.
func nonNilCopy(xs []string) []string {
	if len(xs) == 0 {
		return []string{}
	}
	return slices.Clone(xs)
}

// merger combines what evaluated sets leave besides their findings (which
// the collector keeps), in the order they are added: their errors, gaps
// once per cause, sensitive values once each.
type merger struct {
	errs      []model.Error
	gaps      finding.Result // only its Gaps, through AddGap
	sensitive []string
	sensSeen  map[string]bool
}

func (m *merger) add(r setResult) {
	m.errs = append(m.errs, r.findings.errs...)
	for _, g := range r.gaps {
		m.gaps.AddGap(g)
	}
	m.addSensitive(r.sensitive)
}

// findingID is what makes two findings the same: finding.Key's fields,
// status and message (held as the finding's own strings, not copied).
type findingID struct {
	control, surface, account, region, address, file, root string
	status                                                 finding.Status
	message                                                string
}

func idOf(f *finding.Finding) findingID {
	return findingID{f.ControlID, f.Surface, f.Resource.Account, f.Resource.Region, f.Resource.Address,
		f.Location.File, f.Resource.Root, f.Status, f.Message}
}

// fields are the identity's strings, in one order, for the hashes of it
// (digestOf, idHash).
func (id findingID) fields() [9]string {
	return [...]string{id.control, id.surface, id.account, id.region, id.address, id.file, id.root,
		string(id.status), id.message}
}

func (m *merger) addSensitive(values []string) {
	if m.sensSeen == nil {
		m.sensSeen = map[string]bool{}
	}
	for _, v := range values {
		if v != "" && !m.sensSeen[v] {
			m.sensSeen[v] = true
			m.sensitive = append(m.sensitive, v)
		}
	}
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
