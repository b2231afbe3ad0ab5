package bounds

import (
	"bytes"
	"testing"
)

// refScanner is the nesting check as it was first written: one byte at a
// time, no skipping. FuzzScannerMatchesReference holds the faster scanner to
// its verdicts.
type refScanner struct {
	src   []byte
	i     int
	line  int
	limit int
	stack []frame
}

func (s *refScanner) push(f frame) error {
	s.stack = append(s.stack, f)
	if len(s.stack) > s.limit {
		return &DepthError{Line: s.line, Limit: s.limit}
	}
	return nil
}

func (s *refScanner) top() *frame {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

func (s *refScanner) pop() {
	if len(s.stack) > 0 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

func (s *refScanner) at(prefix string) bool { return bytes.HasPrefix(s.src[s.i:], []byte(prefix)) }

func (s *refScanner) run() error {
	for s.i < len(s.src) {
		var err error
		if t := s.top(); t != nil && (t.kind == fString || t.kind == fHeredoc) {
			err = s.literal(t)
		} else {
			err = s.code()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// literal advances one step inside a quoted string or heredoc/template text.
func (s *refScanner) literal(t *frame) error {
	c := s.src[s.i]
	switch {
	case c == '\n':
		s.line++
		s.i++
		if t.kind == fHeredoc && t.marker != nil {
			// The heredoc ends on a line holding only its marker.
			end := bytes.IndexByte(s.src[s.i:], '\n')
			if end < 0 {
				end = len(s.src) - s.i
			}
			if bytes.Equal(bytes.TrimSpace(s.src[s.i:s.i+end]), t.marker) {
				s.i += end
				s.pop()
			}
		}
	case t.kind == fString && c == '\\':
		s.i += 2
	case t.kind == fString && c == '"':
		s.i++
		s.pop()
	case s.at("$${") || s.at("%%{"):
		s.i += 3
	case s.at("${") || s.at("%{"):
		s.i += 2
		return s.push(frame{kind: fInterp})
	default:
		s.i++
	}
	return nil
}

// code advances one step in expression context.
func (s *refScanner) code() error {
	c := s.src[s.i]
	switch {
	case c == '\n':
		s.line++
		s.i++
	case c == '#' || s.at("//"):
		for s.i < len(s.src) && s.src[s.i] != '\n' {
			s.i++
		}
	case s.at("/*"):
		s.i += 2
		for s.i < len(s.src) && !s.at("*/") {
			if s.src[s.i] == '\n' {
				s.line++
			}
			s.i++
		}
		s.i += 2
	case c == '"':
		s.i++
		return s.push(frame{kind: fString})
	case s.at("<<"):
		j := s.i + 2
		if j < len(s.src) && s.src[j] == '-' {
			j++
		}
		k := j
		for k < len(s.src) && (IsIdentByte(s.src[k])) {
			k++
		}
		if k == j {
			s.i += 2 // an operator, not a heredoc
			return nil
		}
		marker := append([]byte(nil), s.src[j:k]...)
		s.i = k
		return s.push(frame{kind: fHeredoc, marker: marker})
	case c == '(' || c == '[' || c == '{':
		s.i++
		return s.push(frame{kind: fBracket})
	case c == ')' || c == ']' || c == '}':
		s.i++
		s.pop() // closes a bracket, or the ${ of an interpolation
	default:
		s.i++
	}
	return nil
}

func refCheckDepth(src []byte, syn Syntax, limit int) error {
	s := &refScanner{src: src, line: 1, limit: limit}
	if syn == HCLTemplate {
		s.stack = append(s.stack, frame{kind: fHeredoc})
	}
	return s.run()
}

// FuzzScannerMatchesReference: the scanner that skips plain text decides
// every input exactly as the byte-at-a-time reference does (same error,
// same line), for native syntax and templates, at a small limit so that
// depth errors are common.
func FuzzScannerMatchesReference(f *testing.F) {
	f.Add([]byte("x = \"${a}\" # c\ny = <<EOT\n${b}\nEOT\nz = [\"$${x}\", \"%%{y}\", /* ( */ 1]\n"), uint8(3))
	f.Add([]byte("a = \"\\\"[\"\nb = ((((\n"), uint8(2))
	f.Add([]byte("x = <<-EOT\n  ${[[\n  EOT\n"), uint8(1))
	f.Fuzz(func(t *testing.T, src []byte, limit uint8) {
		lim := int(limit%8) + 1
		for _, syn := range []Syntax{HCL, HCLTemplate} {
			got, want := CheckDepthLimit(src, syn, lim), refCheckDepth(src, syn, lim)
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("syntax %d limit %d: scanner %v, reference %v", syn, lim, got, want)
			}
		}
	})
}
