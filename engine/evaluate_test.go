package engine

import (
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
)

// TestEvaluatorKeepsFirstOfEachFinding: a resource reached twice in one set
// (the same notebook listed twice) gives each control's finding once, in
// the order of the controls, the same as when it is listed once.
func TestEvaluatorKeepsFirstOfEachFinding(t *testing.T) {
	once := failingNotebook()
	twice := failingNotebook()
	twice.Notebooks = append(twice.Notebooks, twice.Notebooks[0])
	ev := newEvaluator(nil, nil, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	want := ev.findings(once).findings
	got := ev.findings(twice).findings
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%d findings for the notebook listed twice, %d for it listed once", len(got), len(want))
	}
	for i := range want {
		if idOf(&got[i]) != idOf(&want[i]) {
			t.Errorf("finding %d: %s %q, want %s %q", i, got[i].ControlID, got[i].Message, want[i].ControlID, want[i].Message)
		}
	}
}

// TestSeenBeforeTellsCollisionsApart: two identities with the same hash
// are told apart by comparing them, whichever was indexed.
func TestSeenBeforeTellsCollisionsApart(t *testing.T) {
	a := finding.Finding{ControlID: "c", Resource: finding.Resource{Address: "a"}, Message: "m"}
	b := a
	b.Resource.Address = "b"
	c := a
	c.Resource.Address = "c"
	kept := []finding.Finding{a, b}
	w := &evalScratch{seen: map[uint64]int{
		idHash(idOf(&a)): 0,
		// b and c hash as a does: collisions.
		idHash(idOf(&b)): 0,
		idHash(idOf(&c)): 0,
	}}
	if !w.seenBefore(&a, kept) {
		t.Error("a, kept, is not seen")
	}
	if !w.seenBefore(&b, kept) {
		t.Error("b, kept but indexed under a's place, is not seen")
	}
	if w.seenBefore(&c, kept) {
		t.Error("c, never kept, is seen because its hash is a's")
	}
	// A new identity is indexed at the next place.
	d := a
	d.Message = "other"
	w = &evalScratch{seen: map[uint64]int{}}
	if w.seenBefore(&d, kept) || w.seen[idHash(idOf(&d))] != len(kept) {
		t.Errorf("d is not indexed at %d: %v", len(kept), w.seen)
	}
}
