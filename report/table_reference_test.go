package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// tableWhole is how Table.Format wrote the table before it streamed: every
// finding in memory (r.Findings), grouped by control, then printed. It is
// the reference TestTableStreamMatchesWhole holds the streaming Format to
// (the per-line helpers and the footer are shared: they are not what
// streaming changed).
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
		for _, f := range shown {
			ew.printf("  %-10s %s  %s\n", t.status(f.Status), place(f), f.Resource.Address)
			ew.printf("             %s\n", f.Message)
			for _, e := range f.Evidence {
				ew.printf("             %s\n", t.paint(ansiGrey, "| "+e))
			}
			for _, w := range f.Witnesses {
				ew.printf("             %s\n", t.paint(ansiGrey, "witness "+strings.ToUpper(w.Outcome)+": "+witnessText(w)))
			}
			switch f.Status {
			case finding.Fail:
				ew.printf("             %s %s\n", t.paint(ansiBold, "fix:"), firstSentence(f.Remediation))
			case finding.Suppressed:
				s := f.Suppression
				line := fmt.Sprintf("suppressed by %s: %s", s.Source, s.Reason)
				if s.Expires != "" {
					line += " (until " + s.Expires + ")"
				}
				ew.printf("             %s\n", t.paint(ansiGrey, line))
			}
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
	width := t.compactWidth()
	passes := 0
	for _, id := range controlOrder(r.Findings) {
		for _, f := range byControl[id] {
			if f.Status == finding.Pass {
				passes++
				continue
			}
			head := fmt.Sprintf("%s %s %s %s %s", strings.ToUpper(string(f.Status)), f.Severity, shortControlID(id), place(f), f.Resource.Address)
			lines := wrapText(head, width, "    ")
			if t.Color {
				label := strings.ToUpper(string(f.Status))
				lines[0] = t.status(f.Status) + strings.TrimPrefix(lines[0], label)
			}
			msg := f.Message
			if msg == "" {
				msg = controlTitle(id)
			}
			lines = append(lines, wrapText("  "+msg, width, "  ")...)
			switch f.Status {
			case finding.Fail:
				if fix := firstSentence(f.Remediation); fix != "" {
					lines = append(lines, wrapText("  fix: "+fix, width, "       ")...)
				}
			case finding.Suppressed:
				lines = append(lines, wrapText("  suppressed by "+suppressionText(f.Suppression), width, "  ")...)
			}
			for _, l := range lines {
				ew.printf("%s\n", l)
			}
		}
	}
	if passes > 0 {
		ew.printf("%s %d finding(s) not listed\n", t.status(finding.Pass), passes)
	}
	ew.printf("\n")
}
