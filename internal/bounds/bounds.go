// Package bounds holds the limits that keep a scan of hostile input finite,
// and the nesting check that runs before any parser sees a file.
//
// The parsers sagefence uses (hclsyntax, HCL's JSON parser, cty's JSON
// decoding) recurse once per nesting level with no limit of their own, so a
// file nested 60,000 levels deep ends the process with a fatal stack
// overflow that no recover can catch. CheckDepth scans the bytes first (one
// linear pass that understands strings, comments, heredocs and template
// interpolations, so brackets inside strings neither count nor hide real
// nesting) and refuses input nested deeper than MaxDepth with an error that
// names the line.
package bounds

import (
	"bytes"
	"fmt"
)

// MaxDepth is the deepest nesting of brackets, braces, parentheses, strings
// and template interpolations accepted in one file. Real configurations
// stay under 20.
const MaxDepth = 256

// Syntax selects the lexical rules CheckDepth applies.
type Syntax int

const (
	// HCL is Terraform's native syntax (.tf, .tfvars).
	HCL Syntax = iota
	// HCLTemplate is a template file (templatefile()): literal text with
	// ${...} and %{...} sequences.
	HCLTemplate
	// JSON is JSON (.tf.json, .tfvars.json, plan JSON, jsondecode()).
	JSON
)

// DepthError is input nested deeper than MaxDepth.
type DepthError struct {
	Line  int
	Limit int
}

func (e *DepthError) Error() string {
	return fmt.Sprintf("nested more than %d levels deep at line %d: not parsed", e.Limit, e.Line)
}

type frameKind uint8

const (
	fBracket frameKind = iota // ( [ { in code
	fInterp                   // ${ or %{ inside a string or template
	fString                   // "..." in HCL code
	fHeredoc                  // <<EOT ... EOT
)

type frame struct {
	kind   frameKind
	marker []byte // heredoc end marker
}

// CheckDepth returns a *DepthError when src nests deeper than MaxDepth.
func CheckDepth(src []byte, syn Syntax) error { return CheckDepthLimit(src, syn, MaxDepth) }

// LineFunc is called by ScanHCL at the start of every line of native-syntax
// code: not inside a string, heredoc or comment (the first line included).
// depth is the nesting there (0 at the top level of the file, 1 directly
// inside a top-level block's braces); rest is the input from the line's
// first byte to the end of the file, and must not be modified or kept.
type LineFunc func(depth int, rest []byte)

// ScanHCL is CheckDepth for native syntax (limit MaxDepth) that also calls
// atLine, when not nil, at the start of every line of code: one linear pass
// gives both the depth check and a view of the file's structure by line
// (used to find module blocks' sources without parsing).
func ScanHCL(src []byte, atLine LineFunc) error {
	s := &scanner{src: src, line: 1, limit: MaxDepth, atLine: atLine}
	if atLine != nil {
		atLine(0, src)
	}
	return s.run()
}

// CheckDepthLimit is CheckDepth with another limit.
func CheckDepthLimit(src []byte, syn Syntax, limit int) error {
	if syn == JSON {
		return checkJSON(src, limit)
	}
	s := &scanner{src: src, line: 1, limit: limit}
	if syn == HCLTemplate {
		s.stack = append(s.stack, frame{kind: fHeredoc}) // never ends
	}
	return s.run()
}

func checkJSON(src []byte, limit int) error {
	depth, line, inStr := 0, 1, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\n' {
			line++
		}
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '[', '{':
			depth++
			if depth > limit {
				return &DepthError{Line: line, Limit: limit}
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

type scanner struct {
	src    []byte
	i      int
	line   int
	limit  int
	stack  []frame
	atLine LineFunc // may be nil
}

func (s *scanner) push(f frame) error {
	s.stack = append(s.stack, f)
	if len(s.stack) > s.limit {
		return &DepthError{Line: s.line, Limit: s.limit}
	}
	return nil
}

func (s *scanner) top() *frame {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

func (s *scanner) pop() {
	if len(s.stack) > 0 {
		s.stack = s.stack[:len(s.stack)-1]
	}
}

// next is the byte after the current one, or 0 at the end of the input.
func (s *scanner) next() byte {
	if s.i+1 < len(s.src) {
		return s.src[s.i+1]
	}
	return 0
}

func (s *scanner) run() error {
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

// literal advances inside a quoted string or heredoc/template text: over a
// run of plain text at once, else one step.
func (s *scanner) literal(t *frame) error {
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
	case c == '$' || c == '%':
		switch n := s.next(); {
		case n == c && s.i+2 < len(s.src) && s.src[s.i+2] == '{': // $${ and %%{ are literal text
			s.i += 3
		case n == '{':
			s.i += 2
			return s.push(frame{kind: fInterp})
		default:
			s.i++
		}
	default:
		// Plain text up to the next byte that can matter here.
		stop := "\n$%"
		if t.kind == fString {
			stop = "\n$%\\\""
		}
		if j := bytes.IndexAny(s.src[s.i+1:], stop); j >= 0 {
			s.i += 1 + j
		} else {
			s.i = len(s.src)
		}
	}
	return nil
}

// code advances one step in expression context.
func (s *scanner) code() error {
	c := s.src[s.i]
	switch {
	case c == '\n':
		s.line++
		s.i++
		if s.atLine != nil {
			s.atLine(len(s.stack), s.src[s.i:])
		}
	case c == '#' || c == '/' && s.next() == '/':
		if j := bytes.IndexByte(s.src[s.i:], '\n'); j >= 0 {
			s.i += j
		} else {
			s.i = len(s.src)
		}
	case c == '/' && s.next() == '*':
		end := bytes.Index(s.src[s.i+2:], []byte("*/"))
		if end < 0 {
			end = len(s.src) - s.i - 2
		}
		s.line += bytes.Count(s.src[s.i+2:s.i+2+end], []byte{'\n'})
		s.i += 2 + end + 2
	case c == '"':
		s.i++
		return s.push(frame{kind: fString})
	case c == '<' && s.next() == '<':
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
		// Plain code: skip to the next byte that can start one of the
		// cases above.
		s.i++
		for s.i < len(s.src) && !codeSpecial[s.src[s.i]] {
			s.i++
		}
	}
	return nil
}

// codeSpecial marks the bytes code() handles by themselves; any other byte
// is skipped with its neighbours.
var codeSpecial = func() (t [256]bool) {
	for _, c := range []byte("\n#/\"<([{)]}") {
		t[c] = true
	}
	return t
}()

// IsIdentByte reports whether c can be part of an HCL identifier (ASCII
// letters, digits, '_' and '-').
func IsIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
