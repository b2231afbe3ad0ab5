package fix

import (
	"fmt"
	"strings"
)

// UnifiedDiff returns the unified diff (3 lines of context) that turns
// oldText into newText, with "--- a/<name>" and "+++ b/<name>" headers, or
// "" when they are equal. A last line without a newline is marked with
// "\ No newline at end of file", as diff(1) and patch(1) expect.
//
// The edits sagefence makes are small, so the common prefix and suffix are
// trimmed first and only the middle is compared (longest common
// subsequence); a middle too large to compare is replaced as a whole, which
// is still a correct diff.
func UnifiedDiff(name string, oldText, newText []byte) string {
	if string(oldText) == string(newText) {
		return ""
	}
	a, b := splitLines(string(oldText)), splitLines(string(newText))
	ops := diffLines(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	const context = 3
	// Group the ops into hunks: runs of changes with up to 2*context equal
	// lines between them.
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := i - context
		if start < 0 {
			start = 0
		}
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end += min(context, run-end)
				break
			}
			end = run
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

type lineOp struct {
	kind      byte // ' ', '-', '+'
	text      string
	aLine     int // 1-based line in a (for ' ' and '-')
	bLine     int // 1-based line in b (for ' ' and '+')
	noNewline bool
}

func writeHunk(out *strings.Builder, ops []lineOp) {
	aStart, bStart, aCount, bCount := 0, 0, 0, 0
	for _, op := range ops {
		if op.kind != '+' {
			if aStart == 0 {
				aStart = op.aLine
			}
			aCount++
		}
		if op.kind != '-' {
			if bStart == 0 {
				bStart = op.bLine
			}
			bCount++
		}
	}
	// An empty side starts at the line before the hunk (diff's convention).
	if aCount == 0 {
		aStart = ops[0].aLine - 1
	}
	if bCount == 0 {
		bStart = ops[0].bLine - 1
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aCount), hunkRange(bStart, bCount))
	for _, op := range ops {
		out.WriteByte(op.kind)
		out.WriteString(op.text)
		out.WriteByte('\n')
		if op.noNewline {
			out.WriteString("\\ No newline at end of file\n")
		}
	}
}

func hunkRange(start, count int) string {
	if count == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}

// line is one line of a file without its newline; last is true for a final
// line that had no newline.
type line struct {
	text      string
	noNewline bool
}

func splitLines(s string) []line {
	if s == "" {
		return nil
	}
	parts := strings.SplitAfter(s, "\n")
	var out []line
	for _, p := range parts {
		if p == "" {
			continue
		}
		if strings.HasSuffix(p, "\n") {
			out = append(out, line{text: strings.TrimSuffix(p, "\n")})
		} else {
			out = append(out, line{text: p, noNewline: true})
		}
	}
	return out
}

// maxCompare bounds the LCS table of the differing middle.
const maxCompare = 4_000_000

func diffLines(a, b []line) []lineOp {
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix && a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	var ops []lineOp
	ai, bi := 0, 0
	emit := func(kind byte) {
		switch kind {
		case ' ':
			ops = append(ops, lineOp{kind: ' ', text: a[ai].text, aLine: ai + 1, bLine: bi + 1, noNewline: a[ai].noNewline})
			ai++
			bi++
		case '-':
			ops = append(ops, lineOp{kind: '-', text: a[ai].text, aLine: ai + 1, bLine: bi + 1, noNewline: a[ai].noNewline})
			ai++
		case '+':
			ops = append(ops, lineOp{kind: '+', text: b[bi].text, aLine: ai + 1, bLine: bi + 1, noNewline: b[bi].noNewline})
			bi++
		}
	}
	for i := 0; i < prefix; i++ {
		emit(' ')
	}
	ma, mb := a[prefix:len(a)-suffix], b[prefix:len(b)-suffix]
	if len(ma)*len(mb) > maxCompare {
		for range ma {
			emit('-')
		}
		for range mb {
			emit('+')
		}
	} else {
		// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
		lcs := make([][]int, len(ma)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(mb)+1)
		}
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) || j < len(mb) {
			switch {
			case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
				emit(' ')
				i++
				j++
			case i < len(ma) && (j == len(mb) || lcs[i+1][j] >= lcs[i][j+1]):
				emit('-')
				i++
			default:
				emit('+')
				j++
			}
		}
	}
	for i := 0; i < suffix; i++ {
		emit(' ')
	}
	return ops
}
