package evidence

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/finding"
)

// State is what the evidence says about one finding key during an interval.
type State string

const (
	StatePass       State = "pass"
	StateFail       State = "fail"
	StateSuppressed State = "suppressed"
	// StateUnknown: the run evaluated the resource but could not decide.
	StateUnknown State = "unknown"
	// StateError: the resource is missing from a run that reported errors, so
	// it may not have been reached.
	StateError State = "error"
	// StateNoEvidence: no run covers the interval (before the first run of the
	// scope, or beyond StaleAfter since the last one).
	StateNoEvidence State = "no-evidence"
	// StateAbsent: the resource is missing from a clean run of its scope: it
	// did not exist then. Absent time is outside the denominator.
	StateAbsent State = "absent"
)

// IsGap reports whether the state is a gap in the evidence.
func (s State) IsGap() bool { return s == StateUnknown || s == StateError || s == StateNoEvidence }

// Durations accumulates seconds per state.
type Durations struct {
	Pass       float64 `json:"pass"`
	Fail       float64 `json:"fail"`
	Suppressed float64 `json:"suppressed"`
	Unknown    float64 `json:"unknown"`
	Error      float64 `json:"error"`
	NoEvidence float64 `json:"no_evidence"`
	Absent     float64 `json:"absent"`
}

func (d *Durations) add(s State, secs float64) {
	switch s {
	case StatePass:
		d.Pass += secs
	case StateFail:
		d.Fail += secs
	case StateSuppressed:
		d.Suppressed += secs
	case StateUnknown:
		d.Unknown += secs
	case StateError:
		d.Error += secs
	case StateNoEvidence:
		d.NoEvidence += secs
	case StateAbsent:
		d.Absent += secs
	}
}

func (d *Durations) merge(o Durations) {
	d.Pass += o.Pass
	d.Fail += o.Fail
	d.Suppressed += o.Suppressed
	d.Unknown += o.Unknown
	d.Error += o.Error
	d.NoEvidence += o.NoEvidence
	d.Absent += o.Absent
}

// InScope is the denominator: every second the resource existed or may have
// existed, gaps included.
func (d Durations) InScope() float64 {
	return d.Pass + d.Fail + d.Suppressed + d.Unknown + d.Error + d.NoEvidence
}

// Gaps is the in-scope time without a verdict.
func (d Durations) Gaps() float64 { return d.Unknown + d.Error + d.NoEvidence }

// Share is Pass / InScope, nil when nothing was in scope. Gaps are in the
// denominator, so they lower the share and are never counted as compliant.
func (d Durations) Share() *float64 {
	in := d.InScope()
	if in == 0 {
		return nil
	}
	s := d.Pass / in
	return &s
}

// Segment is a stretch of time in one state.
type Segment struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	State State     `json:"state"`
	// Seq is the run the state comes from; 0 for no-evidence.
	Seq int64 `json:"seq,omitempty"`
	// Source is "cloudtrail" when CloudTrail decided the state (combine.go),
	// empty for the runs.
	Source string `json:"source,omitempty"`
}

// ResourceReport is one finding key (a control on a resource) over the period.
type ResourceReport struct {
	Key       string    `json:"key"`
	ControlID string    `json:"control_id"`
	Surface   string    `json:"surface"`
	Account   string    `json:"account"`
	Region    string    `json:"region"`
	Address   string    `json:"address"`
	File      string    `json:"file"`
	Label     string    `json:"resource"`
	Durations Durations `json:"seconds"`
	Share     *float64  `json:"compliant_share"`
	Segments  []Segment `json:"timeline"`
	// Witnesses are what AWS Config and Security Hub said about the key in
	// the audit --witnesses results given to the export.
	Witnesses []WitnessMark `json:"witnesses,omitempty"`
}

// Regression is a stretch of fail verdicts on one key.
type Regression struct {
	Key       string `json:"key"`
	ControlID string `json:"control_id"`
	Resource  string `json:"resource"`
	// Kind: "regression" (it passed before), "failing at period start" or
	// "new resource failing".
	Kind    string    `json:"kind"`
	Started time.Time `json:"started"`
	// Ended is nil while still failing at the end of the period.
	Ended *time.Time `json:"ended"`
	// EndedBy: "pass" or "resource removed"; "" while open.
	EndedBy    string `json:"ended_by,omitempty"`
	StartedSeq int64  `json:"started_seq"`
	EndedSeq   int64  `json:"ended_seq,omitempty"`
}

// ControlReport aggregates a control's resources.
type ControlReport struct {
	ControlID  string              `json:"control_id"`
	Title      string              `json:"title"`
	Frameworks []finding.Framework `json:"frameworks"`
	Resources  int                 `json:"resources"`
	Durations  Durations           `json:"seconds"`
	Share      *float64            `json:"compliant_share"`
	// AlwaysCompliant counts resources with no fail, suppressed or gap time.
	AlwaysCompliant int `json:"always_compliant"`
	Regressions     int `json:"regressions"`
	// ViolationWindows counts the windows of every source (Report.Windows).
	ViolationWindows int `json:"violation_windows"`
	// Witnesses counts the witness marks by outcome (agrees, disagrees, ...).
	Witnesses map[string]int `json:"witnesses,omitempty"`
}

// FrameworkReport aggregates the controls mapped to one framework.
type FrameworkReport struct {
	Framework string    `json:"framework"`
	IDs       []string  `json:"ids"`
	Controls  []string  `json:"controls"`
	Durations Durations `json:"seconds"`
	Share     *float64  `json:"compliant_share"`
}

// Report is the audit-period report.
type Report struct {
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	GeneratedAt time.Time         `json:"generated_at"`
	StaleAfter  string            `json:"stale_after,omitempty"`
	Runs        []RunInfo         `json:"runs"`
	Chain       *VerifyReport     `json:"chain,omitempty"`
	Controls    []ControlReport   `json:"controls"`
	Frameworks  []FrameworkReport `json:"frameworks"`
	Resources   []ResourceReport  `json:"resources"`
	Regressions []Regression      `json:"regressions"`
	Gaps        []GapReport       `json:"gaps"`
	// Sources are the CloudTrail histories and witness results combined
	// with the runs (ExportOptions.CloudTrail, Witnesses).
	Sources []string `json:"sources"`
	// Windows are every violation window, from the runs (regressions) and
	// from CloudTrail, with who caused them where known.
	Windows []ViolationWindow `json:"violation_windows"`
	// Witnesses are every witness mark, in time order.
	Witnesses []WitnessMark `json:"witnesses"`
}

// GapReport is one stretch of missing evidence on one key.
type GapReport struct {
	Key       string    `json:"key"`
	ControlID string    `json:"control_id"`
	Resource  string    `json:"resource"`
	State     State     `json:"state"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// ExportOptions bound the period.
type ExportOptions struct {
	From, To time.Time
	// StaleAfter, when positive, ends a run's evidence that long after it ran;
	// the rest of the interval until the next run is no-evidence.
	StaleAfter time.Duration
	Now        time.Time
	// CloudTrail histories (evidence cloudtrail) are folded into the keys'
	// timelines, and their windows listed (combine.go).
	CloudTrail []*cloudtrail.History
	// Witnesses are audit --witnesses results whose witnesses are attached
	// to the keys; they change no state.
	Witnesses []*finding.Result
	// SourceNames name the CloudTrail and witness inputs for the report.
	SourceNames []string
}

// seriesKey groups runs of the same scope: only a run of the same scope can
// say a resource disappeared.
func seriesKey(r RunInfo) string {
	return strings.Join([]string{r.Command, strings.Join(r.Paths, "\x1f"), strings.Join(r.Accounts, "\x1f"), strings.Join(r.Regions, "\x1f")}, "\x1e")
}

// BuildReport loads the period's runs, plus the newest run of each scope
// before From (its verdicts hold at From), and computes the report.
func BuildReport(ctx context.Context, st Store, o ExportOptions) (*Report, error) {
	if !o.To.After(o.From) {
		return nil, fmt.Errorf("empty period: --to %s is not after --from %s", o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	earlier, err := st.Runs(ctx, RunQuery{To: o.From})
	if err != nil {
		return nil, err
	}
	latest := map[string]RunInfo{}
	for _, r := range earlier {
		latest[seriesKey(r)] = r
	}
	var runs []*Run
	for _, info := range latest {
		r, err := st.Run(ctx, info.Seq)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	if err := st.Each(ctx, RunQuery{From: o.From, To: o.To}, func(r *Run) error {
		runs = append(runs, r)
		return nil
	}); err != nil {
		return nil, err
	}
	return ComputeReport(runs, o), nil
}

// ComputeReport is the period arithmetic (docs/evidence.md):
//
// Runs are grouped by scope (command, paths, accounts, regions) and ordered
// by time. A run's verdict on a key holds from the run's time until the next
// run of the same scope, or until To; a run before From contributes from
// From. Before the first run of a scope the key has no evidence. The verdict
// is the finding's status; a key missing from a run is "error" when that run
// reported errors and "absent" otherwise. Each key's seconds per state are
// summed over [From, To); its compliant share is pass / (everything but
// absent), so unknown, error and no-evidence time count against it.
func ComputeReport(runs []*Run, o ExportOptions) *Report {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{From: o.From.UTC(), To: o.To.UTC(), GeneratedAt: now.UTC().Truncate(time.Second),
		Runs: []RunInfo{}, Controls: []ControlReport{}, Frameworks: []FrameworkReport{}, Resources: []ResourceReport{},
		Regressions: []Regression{}, Gaps: []GapReport{}, Sources: append([]string{}, o.SourceNames...),
		Windows: []ViolationWindow{}, Witnesses: []WitnessMark{}}
	if o.StaleAfter > 0 {
		rep.StaleAfter = o.StaleAfter.String()
	}
	series := map[string][]*Run{}
	for _, r := range runs {
		series[seriesKey(r.RunInfo)] = append(series[seriesKey(r.RunInfo)], r)
		if !r.StartedAt.Before(o.From) {
			rep.Runs = append(rep.Runs, r.RunInfo)
		}
	}
	sort.Slice(rep.Runs, func(i, j int) bool { return rep.Runs[i].Seq < rep.Runs[j].Seq })
	names := make([]string, 0, len(series))
	for k := range series {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		rs := series[name]
		sort.SliceStable(rs, func(i, j int) bool {
			if !rs[i].StartedAt.Equal(rs[j].StartedAt) {
				return rs[i].StartedAt.Before(rs[j].StartedAt)
			}
			return rs[i].Seq < rs[j].Seq
		})
		resources, regressions := seriesTimelines(rs, o)
		rep.Resources = append(rep.Resources, resources...)
		rep.Regressions = append(rep.Regressions, regressions...)
	}
	sort.Slice(rep.Resources, func(i, j int) bool { return rep.Resources[i].Key < rep.Resources[j].Key })
	sort.Slice(rep.Regressions, func(i, j int) bool {
		if !rep.Regressions[i].Started.Equal(rep.Regressions[j].Started) {
			return rep.Regressions[i].Started.Before(rep.Regressions[j].Started)
		}
		return rep.Regressions[i].Key < rep.Regressions[j].Key
	})
	overlayCloudTrail(rep, o.CloudTrail)
	runWindows(rep)
	attachWitnesses(rep, o.Witnesses)
	for _, r := range rep.Resources {
		for _, s := range r.Segments {
			if s.State.IsGap() {
				rep.Gaps = append(rep.Gaps, GapReport{Key: r.Key, ControlID: r.ControlID, Resource: r.Label, State: s.State, Start: s.Start, End: s.End})
			}
		}
	}
	aggregate(rep)
	return rep
}

// seriesTimelines computes every key of one scope's runs (sorted by time).
func seriesTimelines(rs []*Run, o ExportOptions) ([]ResourceReport, []Regression) {
	type keyInfo struct {
		f     Finding
		order int
	}
	keys := map[string]*keyInfo{}
	byRun := make([]map[string]Finding, len(rs))
	for i, r := range rs {
		byRun[i] = indexByKey(r.FindingList)
		for k, f := range byRun[i] {
			if _, ok := keys[k]; !ok {
				keys[k] = &keyInfo{f: f, order: len(keys)}
			}
		}
	}
	var out []ResourceReport
	var regs []Regression
	for k, ki := range keys {
		f := ki.f
		rr := ResourceReport{Key: k, ControlID: f.ControlID, Surface: f.Surface, Account: f.Account, Region: f.Region,
			Address: f.Address, File: f.File, Label: f.ResourceLabel(), Segments: []Segment{}}
		addSeg := func(start, end time.Time, st State, seq int64) {
			if start.Before(o.From) {
				start = o.From
			}
			if end.After(o.To) {
				end = o.To
			}
			if !end.After(start) {
				return
			}
			rr.Durations.add(st, end.Sub(start).Seconds())
			if n := len(rr.Segments); n > 0 && rr.Segments[n-1].State == st && rr.Segments[n-1].End.Equal(start) {
				rr.Segments[n-1].End = end
				return
			}
			rr.Segments = append(rr.Segments, Segment{Start: start, End: end, State: st, Seq: seq})
		}
		addSeg(o.From, rs[0].StartedAt, StateNoEvidence, 0)
		var open *Regression
		lastStatus := State("")
		for i, r := range rs {
			end := o.To
			if i+1 < len(rs) {
				end = rs[i+1].StartedAt
			}
			st := StateAbsent
			if ff, ok := byRun[i][k]; ok {
				st = State(ff.Status)
			} else if r.Summary.Errors > 0 {
				st = StateError
			}
			if o.StaleAfter > 0 && end.Sub(r.StartedAt) > o.StaleAfter {
				addSeg(r.StartedAt, r.StartedAt.Add(o.StaleAfter), st, r.Seq)
				addSeg(r.StartedAt.Add(o.StaleAfter), end, StateNoEvidence, 0)
			} else {
				addSeg(r.StartedAt, end, st, r.Seq)
			}
			// Regressions follow the verdicts; unknown and error keep one open.
			at := r.StartedAt
			if at.Before(o.From) {
				at = o.From
			}
			if !at.Before(o.To) {
				continue
			}
			switch {
			case st == StateFail && open == nil:
				// A fail after a pass (or an expired suppression) is a regression;
				// otherwise the resource was failing when the period or its
				// history began.
				kind := "regression"
				if lastStatus != StatePass && lastStatus != StateSuppressed {
					kind = "new resource failing"
					if at.Equal(o.From) {
						kind = "failing at period start"
					}
				}
				open = &Regression{Key: k, ControlID: f.ControlID, Resource: rr.Label, Kind: kind, Started: at, StartedSeq: r.Seq}
			case open != nil && (st == StatePass || st == StateAbsent || st == StateSuppressed):
				t := at
				open.Ended, open.EndedSeq = &t, r.Seq
				open.EndedBy = map[State]string{StatePass: "pass", StateAbsent: "resource removed", StateSuppressed: "suppressed"}[st]
				regs = append(regs, *open)
				open = nil
			}
			if !st.IsGap() {
				lastStatus = st
			}
		}
		if open != nil {
			regs = append(regs, *open)
		}
		rr.Share = rr.Durations.Share()
		out = append(out, rr)
	}
	return out, regs
}

// aggregate fills the per-control and per-framework sections.
func aggregate(rep *Report) {
	byControl := map[string]*ControlReport{}
	var order []string
	for _, r := range rep.Resources {
		c, ok := byControl[r.ControlID]
		if !ok {
			c = &ControlReport{ControlID: r.ControlID, Title: "(not in this sagefence's catalog)", Frameworks: []finding.Framework{}}
			if ctl, found := control.Lookup(r.ControlID); found {
				c.Title, c.Frameworks = ctl.Title, ctl.Frameworks
			}
			byControl[r.ControlID] = c
			order = append(order, r.ControlID)
		}
		c.Resources++
		c.Durations.merge(r.Durations)
		if r.Durations.Fail == 0 && r.Durations.Suppressed == 0 && r.Durations.Gaps() == 0 && r.Durations.Pass > 0 {
			c.AlwaysCompliant++
		}
	}
	for _, g := range rep.Regressions {
		byControl[g.ControlID].Regressions++
	}
	for _, w := range rep.Windows {
		if c := byControl[w.ControlID]; c != nil {
			c.ViolationWindows++
		}
	}
	for _, m := range rep.Witnesses {
		if c := byControl[m.ControlID]; c != nil {
			if c.Witnesses == nil {
				c.Witnesses = map[string]int{}
			}
			c.Witnesses[m.Outcome]++
		}
	}
	sort.Strings(order)
	byFramework := map[string]*FrameworkReport{}
	var fwOrder []string
	for _, id := range order {
		c := byControl[id]
		c.Share = c.Durations.Share()
		rep.Controls = append(rep.Controls, *c)
		for _, fw := range c.Frameworks {
			f, ok := byFramework[fw.Framework]
			if !ok {
				f = &FrameworkReport{Framework: fw.Framework, IDs: []string{}, Controls: []string{}}
				byFramework[fw.Framework] = f
				fwOrder = append(fwOrder, fw.Framework)
			}
			f.Controls = append(f.Controls, id)
			f.IDs = appendMissing(f.IDs, fw.IDs...)
			f.Durations.merge(c.Durations)
		}
	}
	sort.Strings(fwOrder)
	for _, name := range fwOrder {
		f := byFramework[name]
		f.Share = f.Durations.Share()
		rep.Frameworks = append(rep.Frameworks, *f)
	}
}

func appendMissing(xs []string, ys ...string) []string {
	for _, y := range ys {
		found := false
		for _, x := range xs {
			found = found || x == y
		}
		if !found {
			xs = append(xs, y)
		}
	}
	return xs
}
