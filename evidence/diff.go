package evidence

import (
	"sort"

	"github.com/sagefence/sagefence/finding"
)

// DiffEntry is one finding key whose state differs between two runs.
type DiffEntry struct {
	Key       string `json:"key"`
	ControlID string `json:"control_id"`
	Resource  string `json:"resource"`
	// Before/After are statuses; "" when the key is absent from that run.
	Before  string `json:"before"`
	After   string `json:"after"`
	Message string `json:"message"`
}

// Diff compares two runs by finding.Key.
type Diff struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// BecameCompliant: pass now, something else before.
	BecameCompliant []DiffEntry `json:"became_compliant"`
	// Regressed: fail now, something else before.
	Regressed []DiffEntry `json:"regressed"`
	// Changed: any other status change (to unknown, to suppressed, ...).
	Changed []DiffEntry `json:"changed"`
	// Appeared/Disappeared: keys present in only one of the runs.
	Appeared    []DiffEntry `json:"appeared"`
	Disappeared []DiffEntry `json:"disappeared"`
	Unchanged   int         `json:"unchanged"`
}

// DiffRuns compares run a (before) with run b (after).
func DiffRuns(a, b *Run) *Diff {
	d := &Diff{From: a.Seq, To: b.Seq, BecameCompliant: []DiffEntry{}, Regressed: []DiffEntry{}, Changed: []DiffEntry{},
		Appeared: []DiffEntry{}, Disappeared: []DiffEntry{}}
	before := indexByKey(a.FindingList)
	after := indexByKey(b.FindingList)
	for k, fb := range after {
		e := DiffEntry{Key: k, ControlID: fb.ControlID, Resource: fb.ResourceLabel(), After: fb.Status, Message: fb.Message}
		fa, ok := before[k]
		switch {
		case !ok:
			d.Appeared = append(d.Appeared, e)
		case fa.Status == fb.Status:
			d.Unchanged++
		case fb.Status == string(finding.Pass):
			e.Before = fa.Status
			d.BecameCompliant = append(d.BecameCompliant, e)
		case fb.Status == string(finding.Fail):
			e.Before = fa.Status
			d.Regressed = append(d.Regressed, e)
		default:
			e.Before = fa.Status
			d.Changed = append(d.Changed, e)
		}
	}
	for k, fa := range before {
		if _, ok := after[k]; !ok {
			d.Disappeared = append(d.Disappeared, DiffEntry{Key: k, ControlID: fa.ControlID, Resource: fa.ResourceLabel(), Before: fa.Status, Message: fa.Message})
		}
	}
	for _, l := range [][]DiffEntry{d.BecameCompliant, d.Regressed, d.Changed, d.Appeared, d.Disappeared} {
		sort.Slice(l, func(i, j int) bool { return l[i].Key < l[j].Key })
	}
	return d
}

// indexByKey maps finding keys to findings; a key repeated within one run
// keeps its first finding.
func indexByKey(fs []Finding) map[string]Finding {
	m := make(map[string]Finding, len(fs))
	for _, f := range fs {
		if _, dup := m[f.Key()]; !dup {
			m[f.Key()] = f
		}
	}
	return m
}
