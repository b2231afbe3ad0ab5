package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// Markdown writes a GitHub-flavoured Markdown summary for pull-request
// comments and $GITHUB_STEP_SUMMARY: a headline with the counts, a table per
// control (fail/pass/unknown/suppressed), then the fails, the unknowns
// (never hidden), the suppressions and the input errors. Cell text is
// escaped so a "|" or a newline in a message cannot break the table.
//
// Each list shows at most MaxRows rows (0 means markdownMaxRows) and then
// says how many more there are, so a large scan stays under the size limits
// of comments (65,536 characters) and step summaries (1 MiB); the counts
// always cover everything.
type Markdown struct {
	MaxRows int
}

// markdownMaxRows keeps a summary of thousands of findings readable and
// within GitHub's limits.
const markdownMaxRows = 100

// Format implements Formatter. It reads the findings once, one at a time
// (StreamsFindings), keeping only the rows it shows.
func (m Markdown) Format(w io.Writer, r *finding.Result) error {
	maxRows := m.MaxRows
	if maxRows <= 0 {
		maxRows = markdownMaxRows
	}
	ew := &errWriter{w: w}
	s := r.Summary
	verdict := "✅ no failing findings"
	if s.Fail > 0 {
		verdict = fmt.Sprintf("❌ %d failing finding(s)", s.Fail)
	}
	ew.printf("## sagefence: %s\n\n", verdict)
	ew.printf("**%d** fail · **%d** pass · **%d** unknown · **%d** suppressed · **%d** error(s) · **%d** gap(s)", s.Fail, s.Pass, s.Unknown, s.Suppressed, s.Errors, s.Gaps)
	if r.Baseline != nil {
		ew.printf(" · %d fail(s) already in the baseline `%s` not shown", r.Baseline.MatchedFails, mdCode(r.Baseline.File))
	}
	ew.printf("\n\n")

	// One pass over the findings (a streamed result's are never all in
	// memory): counts per control, the first maxRows of each status, and
	// the witnesses.
	counts := map[string]*finding.Summary{}
	sev := map[string]finding.Severity{}
	var seen []string
	rows := map[finding.Status][]finding.Finding{}
	total := map[finding.Status]int{}
	var witnesses witnessDigester
	err := r.EachFinding(func(f *finding.Finding) error {
		if counts[f.ControlID] == nil {
			counts[f.ControlID] = &finding.Summary{}
			sev[f.ControlID] = f.Severity
			seen = append(seen, f.ControlID)
		}
		*counts[f.ControlID] = addStatus(*counts[f.ControlID], f.Status)
		if total[f.Status]++; total[f.Status] <= maxRows {
			rows[f.Status] = append(rows[f.Status], *f)
		}
		witnesses.add(f)
		return nil
	})
	if err != nil {
		return err
	}
	if len(seen) > 0 {
		ew.printf("| Control | Severity | Fail | Pass | Unknown | Suppressed |\n")
		ew.printf("|---|---|--:|--:|--:|--:|\n")
		for _, id := range orderControls(seen) {
			c := counts[id]
			ew.printf("| %s<br>`%s` | %s | %d | %d | %d | %d |\n", mdCell(controlTitle(id)), mdCode(id), sev[id], c.Fail, c.Pass, c.Unknown, c.Suppressed)
		}
		ew.printf("\n")
	}

	section := func(title string, status finding.Status, detail func(finding.Finding) string) {
		if total[status] == 0 {
			return
		}
		ew.printf("### %s\n\n", title)
		ew.printf("| Severity | Control | Resource | Where | Details |\n|---|---|---|---|---|\n")
		for _, f := range rows[status] {
			ew.printf("| %s | `%s` | `%s` | %s | %s |\n", f.Severity, mdCode(f.ControlID), mdCode(f.Resource.Address), mdCell(place(f)), mdCell(detail(f)))
		}
		if total[status] > maxRows {
			ew.printf("\n… and %d more; the full list is in the JSON, SARIF or HTML report.\n", total[status]-maxRows)
		}
		ew.printf("\n")
	}
	section("Failing", finding.Fail, func(f finding.Finding) string {
		return f.Message + " — fix: " + firstSentence(f.Remediation)
	})
	section("Could not decide (unknown)", finding.Unknown, func(f finding.Finding) string { return f.Message })
	section("Suppressed", finding.Suppressed, func(f finding.Finding) string { return suppressionText(f.Suppression) })

	if len(r.Gaps) > 0 {
		ew.printf("### Not checked (gaps)\n\n")
		for i, g := range r.Gaps {
			if i == maxRows {
				ew.printf("- … and %d more\n", len(r.Gaps)-maxRows)
				break
			}
			ew.printf("- %s %s\n", mdCode(g.Where()), mdCell(gapLine(g)))
		}
		ew.printf("\n")
	}
	if d := witnesses.digest(); d.Total > 0 {
		ew.printf("### AWS witnesses\n\n%s.\n\n", d.CountsLine())
		if len(d.Disagreements) > 0 {
			ew.printf("| Resource | Where | Control | sagefence | Witness | Note |\n|---|---|---|---|---|---|\n")
			for i, row := range d.Disagreements {
				if i == maxRows {
					ew.printf("\n… and %d more disagreement(s); the full list is in the JSON report.\n", len(d.Disagreements)-maxRows)
					break
				}
				ew.printf("| `%s` | %s | `%s` | %s | %s | %s |\n", mdCode(row.F.Resource.Address), mdCell(place(row.F)), mdCode(row.F.ControlID), row.F.Status, mdCell(witnessText(row.W)), mdCell(row.W.Note))
			}
			ew.printf("\n")
		}
		for i, g := range d.Gaps {
			if i == maxRows {
				ew.printf("- … and %d more\n", len(d.Gaps)-maxRows)
				break
			}
			ew.printf("- **%s** %s/%s: %s\n", strings.ReplaceAll(g.Outcome, "_", " "), g.Account, g.Region, mdCell(gapText(g)))
		}
		if len(d.Gaps) > 0 {
			ew.printf("\n")
		}
	}

	if len(r.Errors) > 0 {
		ew.printf("### Input errors\n\n")
		for i, e := range r.Errors {
			if i == maxRows {
				ew.printf("- … and %d more\n", len(r.Errors)-maxRows)
				break
			}
			ew.printf("- %s\n", mdCell(e.Error()))
		}
		ew.printf("\n")
	}
	if r.Scope != nil {
		ew.printf("<sub>%s %s · %s · %s</sub>\n", r.Tool.Name, r.Tool.Version, r.Scope.Command, r.Scope.Time)
	}
	return ew.err
}

// addStatus counts one finding of a status into a summary.
func addStatus(s finding.Summary, st finding.Status) finding.Summary {
	one := finding.Summarize([]finding.Finding{{Status: st}}, 0)
	s.Fail += one.Fail
	s.Pass += one.Pass
	s.Unknown += one.Unknown
	s.Suppressed += one.Suppressed
	return s
}

// mdCell escapes text for a Markdown table cell: pipes, newlines and HTML
// angle brackets.
func mdCell(s string) string {
	r := strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>", "<", "&lt;", ">", "&gt;")
	return r.Replace(strings.TrimSpace(s))
}

// mdCode makes text safe inside a `code` span within a table cell.
func mdCode(s string) string {
	r := strings.NewReplacer("`", "'", "|", `\|`, "\n", " ", "\r", " ")
	return r.Replace(s)
}

// streamsFindings: Markdown reads the findings one at a time
// (StreamsFindings).
func (Markdown) streamsFindings() {}
