package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// defaultWidth is the compact table's width when the terminal's is unknown.
const defaultWidth = 80

// formatCompact is the table for terminals and CI logs (--compact): one
// block per finding that is not a pass, worst control first, no line
// longer than Width columns:
//
//	FAIL high CKV_AWS_122 infra/main.tf:12 aws_sagemaker_notebook_instance.nb
//	  direct_internet_access is omitted and defaults to "Enabled"
//	  fix: Set direct_internet_access = "Disabled" with subnet_id and ...
//
// The control is named by its shortest common alias (Checkov, then Security
// Hub) or its ID; long words (paths, addresses) are broken at the width.
// Passes are counted in one line; the summary follows (footer). The blocks
// are those compactBlock printed into the groups' spools.
func (t Table) formatCompact(ew *errWriter, groups []*controlGroup) {
	passes := 0
	for _, g := range groups {
		ew.copy(g.rows)
		passes += g.Pass
	}
	if passes > 0 {
		ew.printf("%s %d finding(s) not listed\n", t.status(finding.Pass), passes)
	}
	ew.printf("\n")
}

// compactBlock prints one finding that is not a pass, as the compact table
// lists it.
func (t Table) compactBlock(ew *errWriter, f *finding.Finding) {
	width := t.compactWidth()
	head := fmt.Sprintf("%s %s %s %s %s", strings.ToUpper(string(f.Status)), f.Severity, shortControlID(f.ControlID), place(*f), f.Resource.Address)
	lines := wrapText(head, width, "    ")
	if t.Color {
		label := strings.ToUpper(string(f.Status))
		lines[0] = t.status(f.Status) + strings.TrimPrefix(lines[0], label)
	}
	msg := f.Message
	if msg == "" {
		msg = controlTitle(f.ControlID)
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

// compactWidth is Width, defaultWidth when unknown, and never below 20.
func (t Table) compactWidth() int {
	if t.Width <= 0 {
		return defaultWidth
	}
	return max(t.Width, 20)
}

// shortControlID is the control's Checkov or Security Hub ID when it has
// one (what people type), else its own ID.
func shortControlID(id string) string {
	c, ok := control.Lookup(id)
	if !ok {
		return id
	}
	for _, tool := range []string{"Checkov", "Security Hub"} {
		for _, a := range c.Aliases {
			if a.Tool == tool {
				return a.ID
			}
		}
	}
	return id
}

// wrapText breaks s at spaces into lines of at most width runes; lines after
// the first start with indent. A word longer than a line is cut.
func wrapText(s string, width int, indent string) []string {
	var lines []string
	line := ""
	lineLen := 0
	prefix := ""
	flush := func() {
		lines = append(lines, line)
		line, lineLen, prefix = indent, utf8.RuneCountInString(indent), indent
	}
	// The first line's own leading spaces are kept.
	trimmed := strings.TrimLeft(s, " ")
	line = s[:len(s)-len(trimmed)]
	lineLen = len(line)
	prefix = line
	for _, word := range strings.Fields(trimmed) {
		for word != "" {
			wl := utf8.RuneCountInString(word)
			sep := 1
			if line == prefix {
				sep = 0
			}
			if lineLen+sep+wl <= width {
				if sep == 1 {
					line += " "
				}
				line += word
				lineLen += sep + wl
				word = ""
				continue
			}
			if line != prefix {
				flush()
				continue
			}
			// The word alone does not fit: cut it.
			room := max(width-lineLen, 1)
			cut := runePrefix(word, room)
			line += cut
			word = word[len(cut):]
			flush()
		}
	}
	if line != prefix || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// runePrefix is the first n runes of s.
func runePrefix(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
