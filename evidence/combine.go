package evidence

import (
	"sort"
	"strings"
	"time"

	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Sources of a timeline segment or a violation window.
const (
	SourceRuns       = "runs"
	SourceCloudTrail = "cloudtrail"
)

// ViolationWindow is one stretch a resource violated a control, from any
// source: a regression of the recorded runs (when it was seen failing) or a
// CloudTrail window (when the violating setting was made, by whom).
type ViolationWindow struct {
	Key       string    `json:"key"`
	ControlID string    `json:"control_id"`
	Resource  string    `json:"resource"`
	Source    string    `json:"source"`
	Start     time.Time `json:"start"`
	// End is nil while still violating at the end of the period.
	End *time.Time `json:"end"`
	// CausedBy is the principal whose call opened the window (CloudTrail;
	// for a runs window, the principal of a CloudTrail window covering its
	// start), "" when no source knows.
	CausedBy string `json:"caused_by"`
	// EndedBy is the principal that closed it (CloudTrail) or what ended it
	// ("pass", "resource removed", "suppressed" for runs).
	EndedBy string `json:"ended_by,omitempty"`
	// Setting is the violating value (CloudTrail), or the regression kind (runs).
	Setting string `json:"setting"`
}

// WitnessMark is what an AWS witness said about a key, as recorded by an
// audit --witnesses result at its time.
type WitnessMark struct {
	Key       string    `json:"key"`
	ControlID string    `json:"control_id"`
	Resource  string    `json:"resource"`
	At        time.Time `json:"at"`
	Verdict   string    `json:"verdict"`
	finding.Witness
}

// overlayCloudTrail folds CloudTrail's per-control states into the keys'
// timelines (docs/evidence.md, "Combining sources"): where CloudTrail knows
// the state, it replaces the runs' extended verdict (a run's verdict is
// observed at the run and assumed until the next one; CloudTrail's events
// are facts at their times), except that a run's suppressed stays
// suppressed and a run's fail is never turned into a pass. CloudTrail's
// unknown time keeps the runs' state. A resource only CloudTrail knows gets
// a key of its own (surface aws), no-evidence where CloudTrail does not know
// its state.
func overlayCloudTrail(rep *Report, histories []*cloudtrail.History) {
	index := map[string]int{}
	for i, r := range rep.Resources {
		index[strings.ToLower(r.Key)] = i
	}
	for _, h := range histories {
		for _, res := range h.Resources {
			byControl := map[string][]cloudtrail.Span{}
			var controls []string
			for _, sp := range res.Timeline {
				if _, ok := byControl[sp.Control]; !ok {
					controls = append(controls, sp.Control)
				}
				byControl[sp.Control] = append(byControl[sp.Control], sp)
			}
			for _, controlID := range controls {
				key := controlID + "|" + model.SurfaceAWS + "|" + res.Account + "|" + res.Region + "|" + res.Name + "|"
				i, ok := index[strings.ToLower(key)]
				if !ok {
					f := Finding{ControlID: controlID, Surface: model.SurfaceAWS, Account: res.Account, Region: res.Region, Address: res.Name}
					rep.Resources = append(rep.Resources, ResourceReport{Key: key, ControlID: controlID, Surface: model.SurfaceAWS,
						Account: res.Account, Region: res.Region, Address: res.Name, Label: f.ResourceLabel(),
						Segments: []Segment{{Start: rep.From, End: rep.To, State: StateNoEvidence}}})
					i = len(rep.Resources) - 1
					index[strings.ToLower(key)] = i
				}
				rr := &rep.Resources[i]
				rr.Segments = combineSegments(rr.Segments, byControl[controlID], rep.From, rep.To)
				rr.Durations = Durations{}
				for _, s := range rr.Segments {
					rr.Durations.add(s.State, s.End.Sub(s.Start).Seconds())
				}
				rr.Share = rr.Durations.Share()
				for _, w := range res.Windows {
					if w.Control != controlID {
						continue
					}
					vw := ViolationWindow{Key: rr.Key, ControlID: controlID, Resource: rr.Label, Source: SourceCloudTrail,
						Start: w.Start, CausedBy: w.StartedBy, EndedBy: w.EndedBy, Setting: w.Setting}
					if !w.OpenAtEnd {
						end := w.End
						vw.End = &end
					}
					rep.Windows = append(rep.Windows, clipWindow(vw, rep.From, rep.To)...)
				}
			}
		}
	}
	sort.Slice(rep.Resources, func(i, j int) bool { return rep.Resources[i].Key < rep.Resources[j].Key })
}

// clipWindow keeps the part of a window inside [from, to); none when outside.
func clipWindow(w ViolationWindow, from, to time.Time) []ViolationWindow {
	if w.End != nil && !w.End.After(from) || !w.Start.Before(to) {
		return nil
	}
	if w.Start.Before(from) {
		w.Start = from
	}
	if w.End != nil && w.End.After(to) {
		w.End = nil
	}
	return []ViolationWindow{w}
}

// combineSegments applies CloudTrail's spans over the runs' segments (which
// cover [from, to) contiguously) and merges equal neighbours.
func combineSegments(segs []Segment, spans []cloudtrail.Span, from, to time.Time) []Segment {
	cuts := map[int64]time.Time{from.UnixNano(): from, to.UnixNano(): to}
	for _, s := range segs {
		cuts[s.Start.UnixNano()], cuts[s.End.UnixNano()] = s.Start, s.End
	}
	for _, sp := range spans {
		for _, t := range []time.Time{sp.From, sp.To} {
			if t.After(from) && t.Before(to) {
				cuts[t.UnixNano()] = t
			}
		}
	}
	points := make([]time.Time, 0, len(cuts))
	for _, t := range cuts {
		if !t.Before(from) && !t.After(to) {
			points = append(points, t)
		}
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Before(points[j]) })
	var out []Segment
	for i := 0; i+1 < len(points); i++ {
		a, b := points[i], points[i+1]
		run := Segment{Start: a, End: b, State: StateNoEvidence}
		for _, s := range segs {
			if !a.Before(s.Start) && a.Before(s.End) {
				run.State, run.Seq, run.Source = s.State, s.Seq, s.Source
				break
			}
		}
		ct := cloudtrail.SpanUnknown
		for _, sp := range spans {
			if !a.Before(sp.From) && a.Before(sp.To) {
				ct = sp.State
				break
			}
		}
		seg := combineState(run, ct)
		if n := len(out); n > 0 && out[n-1].State == seg.State && out[n-1].Source == seg.Source && out[n-1].Seq == seg.Seq && out[n-1].End.Equal(seg.Start) {
			out[n-1].End = seg.End
			continue
		}
		out = append(out, seg)
	}
	return out
}

// combineState is one instant's state from the runs' and CloudTrail's.
func combineState(run Segment, ct string) Segment {
	fromTrail := func(st State) Segment {
		return Segment{Start: run.Start, End: run.End, State: st, Source: SourceCloudTrail}
	}
	switch ct {
	case cloudtrail.SpanAbsent:
		return fromTrail(StateAbsent)
	case cloudtrail.SpanViolating:
		if run.State == StateSuppressed || run.State == StateFail {
			return run
		}
		return fromTrail(StateFail)
	case cloudtrail.SpanCompliant:
		if run.State == StateFail || run.State == StateSuppressed || run.State == StatePass {
			return run
		}
		return fromTrail(StatePass)
	}
	return run
}

// attachWitnesses adds the witnesses of audit --witnesses results to the
// keys they speak about (and to Report.Witnesses); they never change a
// state or a share.
func attachWitnesses(rep *Report, results []*finding.Result) {
	index := map[string]int{}
	for i, r := range rep.Resources {
		index[strings.ToLower(r.Key)] = i
	}
	for _, res := range results {
		var at time.Time
		if res.Scope != nil {
			at, _ = time.Parse(time.RFC3339, res.Scope.Time)
		}
		if at.Before(rep.From) || !at.Before(rep.To) {
			continue
		}
		for _, f := range res.Findings {
			for _, w := range f.Witnesses {
				m := WitnessMark{Key: f.Key(), ControlID: f.ControlID, At: at.UTC(), Verdict: string(f.Status), Witness: w}
				if i, ok := index[strings.ToLower(f.Key())]; ok {
					m.Resource = rep.Resources[i].Label
					rep.Resources[i].Witnesses = append(rep.Resources[i].Witnesses, m)
				} else {
					m.Resource = Finding{Account: f.Resource.Account, Region: f.Resource.Region, Address: f.Resource.Address}.ResourceLabel()
				}
				rep.Witnesses = append(rep.Witnesses, m)
			}
		}
	}
	sort.SliceStable(rep.Witnesses, func(i, j int) bool {
		if !rep.Witnesses[i].At.Equal(rep.Witnesses[j].At) {
			return rep.Witnesses[i].At.Before(rep.Witnesses[j].At)
		}
		return rep.Witnesses[i].Key < rep.Witnesses[j].Key
	})
}

// runWindows lists the runs' regressions as violation windows, naming the
// principal of a CloudTrail window on the same key that covers their start.
func runWindows(rep *Report) {
	trail := map[string][]ViolationWindow{}
	for _, w := range rep.Windows {
		trail[strings.ToLower(w.Key)] = append(trail[strings.ToLower(w.Key)], w)
	}
	for _, g := range rep.Regressions {
		vw := ViolationWindow{Key: g.Key, ControlID: g.ControlID, Resource: g.Resource, Source: SourceRuns,
			Start: g.Started, End: g.Ended, EndedBy: g.EndedBy, Setting: g.Kind}
		for _, t := range trail[strings.ToLower(g.Key)] {
			if !g.Started.Before(t.Start) && (t.End == nil || g.Started.Before(*t.End)) {
				vw.CausedBy = t.CausedBy
			}
		}
		rep.Windows = append(rep.Windows, vw)
	}
	sort.SliceStable(rep.Windows, func(i, j int) bool {
		if !rep.Windows[i].Start.Equal(rep.Windows[j].Start) {
			return rep.Windows[i].Start.Before(rep.Windows[j].Start)
		}
		if rep.Windows[i].Key != rep.Windows[j].Key {
			return rep.Windows[i].Key < rep.Windows[j].Key
		}
		return rep.Windows[i].Source < rep.Windows[j].Source
	})
}
