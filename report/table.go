package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// Table is the human format: findings grouped by control, worst first, each
// with its place (file:line or account/region), the verdict's reason and a
// one-line fix; passes are counted, not listed.
type Table struct {
	Color bool
	// Compact prints one short block per finding with every line wrapped to
	// Width columns (see formatCompact).
	Compact bool
	// Width is the terminal width for Compact; 0 means 80.
	Width int
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiGrey   = "\x1b[90m"
)

func (t Table) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

func (t Table) status(s finding.Status) string {
	label := strings.ToUpper(string(s))
	switch s {
	case finding.Fail:
		return t.paint(ansiRed+ansiBold, label)
	case finding.Pass:
		return t.paint(ansiGreen, label)
	case finding.Unknown:
		return t.paint(ansiYellow, label)
	}
	return t.paint(ansiGrey, label)
}

// Format implements Formatter. The findings are read once, one at a time
// (StreamsFindings): each finding that is not a pass is printed into its
// control's spool while the passes and witnesses are counted; then the
// controls are written in report order with their spooled lines
// (TestTableStreamMatchesWhole).
func (t Table) Format(w io.Writer, r *finding.Result) error {
	var sp spools
	defer sp.close()
	var witnesses witnessDigester
	groups, err := groupByControl(r, &sp, func(f *finding.Finding, rows io.Writer) error {
		witnesses.add(f)
		if f.Status == finding.Pass {
			return nil
		}
		ew := &errWriter{w: rows}
		if t.Compact {
			t.compactBlock(ew, f)
		} else {
			t.block(ew, f)
		}
		return ew.err
	})
	if err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if t.Compact {
		t.formatCompact(ew, groups)
	} else {
		for _, g := range groups {
			ew.printf("%s %s\n", t.paint(ansiBold, controlTitle(g.ID)), t.paint(ansiGrey, fmt.Sprintf("[%s, %s]", g.ID, g.Severity)))
			ew.copy(g.rows)
			if g.Pass > 0 {
				ew.printf("  %s %d resource(s)\n", t.status(finding.Pass), g.Pass)
			}
			ew.printf("\n")
		}
	}
	t.footer(ew, r, witnesses.digest())
	return ew.err
}

// block prints one finding that is not a pass, as the full table lists it
// under its control.
func (t Table) block(ew *errWriter, f *finding.Finding) {
	ew.printf("  %-10s %s  %s\n", t.status(f.Status), place(*f), f.Resource.Address)
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

// footer prints the witness digest d, the input errors and the summary
// lines; the full and the compact table share it. Each line goes through
// labelled, which wraps it in compact mode.
func (t Table) footer(ew *errWriter, r *finding.Result, d witnessDigest) {
	t.witnesses(ew, d)
	for _, e := range r.Errors {
		t.labelled(ew, ansiRed, "ERROR", e.Error())
	}
	for _, g := range r.Gaps {
		t.labelled(ew, ansiYellow, "GAP", g.Where()+"  "+gapLine(g))
	}
	s := r.Summary
	t.labelled(ew, ansiBold, "Summary:", fmt.Sprintf("fail %d, pass %d, unknown %d, suppressed %d, errors %d, gaps %d",
		s.Fail, s.Pass, s.Unknown, s.Suppressed, s.Errors, s.Gaps))
	if b := r.Baseline; b != nil {
		t.labelled(ew, ansiBold, "Baseline:", fmt.Sprintf("%d fail(s) already failing in %s not shown", b.MatchedFails, b.File))
	}
}

// labelled prints "LABEL text" with the label painted; in compact mode the
// line is wrapped to the width.
func (t Table) labelled(ew *errWriter, code, label, text string) {
	if !t.Compact {
		ew.printf("%s %s\n", t.paint(code, label), text)
		return
	}
	for i, l := range wrapText(label+" "+text, t.compactWidth(), "  ") {
		if i == 0 {
			l = t.paint(code, label) + strings.TrimPrefix(l, label)
		}
		ew.printf("%s\n", l)
	}
}

// place renders where a finding is: file:line for IaC, account/region for live.
func place(f finding.Finding) string {
	if f.Location.File != "" {
		if f.Location.StartLine > 0 {
			return fmt.Sprintf("%s:%d", f.Location.File, f.Location.StartLine)
		}
		return f.Location.File
	}
	parts := []string{}
	for _, p := range []string{f.Resource.Account, f.Resource.Region} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// firstSentence keeps a remediation to one line.
// A sentence ends at ". " or ":\n" (the start of an example), never at an
// abbreviation such as "e.g." or "i.e.".
func firstSentence(s string) string {
	for i := 0; i < len(s)-1; i++ {
		switch {
		case s[i] == '\n':
			return strings.TrimRight(s[:i], " :")
		case s[i] == '.' && s[i+1] == ' ' && !endsWithAbbreviation(s[:i+1]):
			return s[:i+1]
		}
	}
	return s
}

func endsWithAbbreviation(s string) bool {
	for _, a := range []string{"e.g.", "i.e.", "etc.", "vs."} {
		if strings.HasSuffix(s, a) {
			return true
		}
	}
	return false
}

// errWriter keeps the first write error so formatters can print freely.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// copy writes a spool's text.
func (e *errWriter) copy(p *spool) {
	if e.err != nil {
		return
	}
	e.err = p.copyTo(e.w)
}

// witnesses prints the witness digest: counts, every disagreement (passes
// included, which the control blocks do not list) and the grouped gaps.
func (t Table) witnesses(ew *errWriter, d witnessDigest) {
	if d.Total == 0 {
		return
	}
	ew.printf("%s %s\n", t.paint(ansiBold, "AWS witnesses:"), d.CountsLine())
	for _, row := range d.Disagreements {
		ew.printf("  %-10s %s  %s  %s is %s\n", t.paint(ansiRed+ansiBold, "DISAGREES"), place(row.F), row.F.Resource.Address, row.F.ControlID, row.F.Status)
		ew.printf("             %s\n             %s\n", witnessText(row.W), t.paint(ansiGrey, row.W.Note))
	}
	for _, g := range d.Gaps {
		ew.printf("  %-10s %s/%s  %s\n", t.paint(ansiYellow, strings.ToUpper(strings.ReplaceAll(g.Outcome, "_", " "))), g.Account, g.Region, gapText(g))
	}
	ew.printf("\n")
}

// streamsFindings: Table reads the findings one at a time
// (StreamsFindings).
func (Table) streamsFindings() {}
