package fix

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// editParameterFile sets parameter name to want in a CloudFormation
// parameter file, at the line the scan's provenance names, in any of the
// shapes the scan reads (Key=Value lines; the JSON create-stack list; a JSON
// list of "Key=Value"; a {"Parameters": {...}} or flat JSON object). It
// returns the value that was there, "" when the same place was already
// edited in this run, or the reason it cannot edit.
func (w *workspace) editParameterFile(path, name string, line int, want string) (cur, reason string) {
	f, reason := w.textFile(path)
	if f == nil {
		return "", reason
	}
	starts := []int{0}
	for i, c := range f.src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	if line < 1 || line > len(starts) {
		return "", fmt.Sprintf("%s has no line %d", path, line)
	}
	notFound := fmt.Sprintf("parameter %s is not written at %s:%d as the scan found it; set it to %s by hand", name, path, line, want)
	src := bytes.TrimPrefix(f.src, []byte("\ufeff"))
	bom := len(f.src) - len(src)
	var start, end int
	var text string
	if trim := bytes.TrimSpace(src); len(trim) > 0 && (trim[0] == '[' || trim[0] == '{') {
		node, item := jsonParameterNode(src, name, line)
		if node == nil || node.Kind != yaml.ScalarNode || node.Style&yaml.DoubleQuotedStyle == 0 {
			return "", notFound
		}
		start = starts[line-1] + node.Column - 1
		if line == 1 {
			start += bom
		}
		end = closingQuote(f.src, start)
		if end < 0 {
			return "", notFound
		}
		cur, text = node.Value, strconv.Quote(want)
		if item {
			_, cur, _ = strings.Cut(node.Value, "=")
			text = strconv.Quote(name + "=" + want)
		}
	} else {
		lineEnd := len(f.src)
		if line < len(starts) {
			lineEnd = starts[line] - 1
		}
		raw := string(f.src[starts[line-1]:lineEnd])
		k, v, ok := strings.Cut(raw, "=")
		if !ok || strings.TrimSpace(strings.TrimPrefix(k, "\ufeff")) != name {
			return "", notFound
		}
		value := strings.TrimRight(v, " \t\r")
		lead := len(value) - len(strings.TrimLeft(value, " \t"))
		value = value[lead:]
		start = starts[line-1] + len(k) + 1 + lead
		end = start + len(value)
		cur, text = value, want
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			cur, text = value[1:len(value)-1], string(value[0])+want+string(value[0])
		}
	}
	if !w.once(path, fmt.Sprint(line), name) {
		return "", ""
	}
	f.edits = append(f.edits, textEdit{start: start, end: end, text: text, seq: len(f.edits)})
	return cur, ""
}

// jsonParameterNode finds the value node of parameter name on line in a
// JSON parameter file; item is true when the node is a whole "Key=Value"
// string.
func jsonParameterNode(src []byte, name string, line int) (node *yaml.Node, item bool) {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return nil, false
	}
	root := doc.Content[0]
	switch root.Kind {
	case yaml.SequenceNode:
		for _, it := range root.Content {
			switch it.Kind {
			case yaml.ScalarNode:
				if k, _, ok := strings.Cut(it.Value, "="); ok && k == name && it.Line == line {
					return it, true
				}
			case yaml.MappingNode:
				_, key := mapGet(it, "ParameterKey")
				_, val := mapGet(it, "ParameterValue")
				if key != nil && val != nil && key.Value == name && val.Line == line {
					return val, false
				}
			}
		}
	case yaml.MappingNode:
		params := root
		if _, p := mapGet(root, "Parameters"); p != nil && p.Kind == yaml.MappingNode {
			params = p
		}
		if _, val := mapGet(params, name); val != nil && val.Line == line {
			return val, false
		}
	}
	return nil, false
}

// closingQuote is the offset just past the JSON string that starts at
// start, or -1.
func closingQuote(src []byte, start int) int {
	if start >= len(src) || src[start] != '"' {
		return -1
	}
	for i := start + 1; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		case '\n':
			return -1
		}
	}
	return -1
}
