package report

import (
	"fmt"
	"io"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// tableWhole is how Table.Format wrote the table before it streamed: every
// finding in memory (r.Findings), grouped by control, then printed. It is
// the reference TestTableStreamMatchesWhole holds the streaming Format to
// (the printing of one finding, the per-line helpers and the footer are
// shared: they are not what streaming changed).
func tableWhole(t Table, w io.Writer, r *finding.Result) error {
	ew := &errWriter{w: w}
	byControl := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byControl[f.ControlID] = append(byControl[f.ControlID], f)
	}
	if t.Compact {
		compactWhole(t, ew, r, byControl)
		t.footer(ew, r, digestWitnesses(r))
		return ew.err
	}
	for _, id := range controlOrder(r.Findings) {
		fs := byControl[id]
		passes := 0
		var shown []finding.Finding
		for _, f := range fs {
			if f.Status == finding.Pass {
				passes++
				continue
			}
			shown = append(shown, f)
		}
		title := id
		if c, ok := control.Lookup(id); ok {
			title = c.Title
		}
		ew.printf("%s %s\n", t.paint(ansiBold, title), t.paint(ansiGrey, fmt.Sprintf("[%s, %s]", id, fs[0].Severity)))
		for i := range shown {
			t.block(ew, &shown[i])
		}
		if passes > 0 {
			ew.printf("  %s %d resource(s)\n", t.status(finding.Pass), passes)
		}
		ew.printf("\n")
	}
	t.footer(ew, r, digestWitnesses(r))
	return ew.err
}

// compactWhole is tableWhole's compact table.
func compactWhole(t Table, ew *errWriter, r *finding.Result, byControl map[string][]finding.Finding) {
	passes := 0
	for _, id := range controlOrder(r.Findings) {
		for _, f := range byControl[id] {
			if f.Status == finding.Pass {
				passes++
				continue
			}
			t.compactBlock(ew, &f)
		}
	}
	if passes > 0 {
		ew.printf("%s %d finding(s) not listed\n", t.status(finding.Pass), passes)
	}
	ew.printf("\n")
}
