package cloudformation

import (
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is one template file: its display path and what is needed to give
// every node an exact last line. yaml.v3 records where a node starts; where
// a JSON object ends (its closing brace) is found by one scan of the text.
type source struct {
	path string
	// closeLine maps the position {line, column} of an opening bracket of a
	// flow (JSON) collection to the line of its matching closing bracket.
	closeLine map[[2]int]int
}

// newSource prepares a source. Brackets are matched only for flow-style
// (JSON) documents: in block YAML a bracket may sit inside a plain scalar.
func newSource(path string, data []byte, root *yaml.Node) *source {
	s := &source{path: path}
	if root != nil && root.Style&yaml.FlowStyle != 0 {
		s.closeLine = matchBrackets(data)
	}
	return s
}

// matchBrackets scans JSON (or YAML flow) text once and pairs brackets
// outside strings. Columns are 1-based and counted in characters, as yaml.v3
// counts them.
func matchBrackets(data []byte) map[[2]int]int {
	out := map[[2]int]int{}
	type open struct{ line, col int }
	var stack []open
	line, col := 1, 0
	var quote rune
	escaped := false
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		data = data[size:]
		col++
		if r == '\n' {
			line, col = line+1, 0
			continue
		}
		if quote != 0 {
			switch {
			case escaped:
				escaped = false
			case r == '\\' && quote == '"':
				escaped = true
			case r == quote:
				quote = 0
			}
			continue
		}
		switch r {
		case '"', '\'':
			quote = r
		case '{', '[':
			stack = append(stack, open{line, col})
		case '}', ']':
			if n := len(stack); n > 0 {
				o := stack[n-1]
				stack = stack[:n-1]
				out[[2]int{o.line, o.col}] = line
			}
		}
	}
	return out
}

// endLine returns the last line a node is written on.
func (s *source) endLine(n *yaml.Node) int {
	return s.endLineDepth(n, 0)
}

func (s *source) endLineDepth(n *yaml.Node, depth int) int {
	if n == nil {
		return 0
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			body := strings.TrimRight(n.Value, "\n")
			return n.Line + strings.Count(body, "\n") + 1
		}
		return n.Line
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
		if n.Style&yaml.FlowStyle != 0 && s.closeLine != nil {
			if l, ok := s.closeLine[[2]int{n.Line, n.Column}]; ok {
				return l
			}
		}
		last := n.Line
		if depth > maxDepth {
			return last
		}
		// The last child ends last in block style; in flow style without a
		// matched bracket this is the best estimate.
		if k := len(n.Content); k > 0 {
			last = max(last, s.endLineDepth(n.Content[k-1], depth+1))
		}
		return last
	}
	return n.Line
}
