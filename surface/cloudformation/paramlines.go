package cloudformation

import (
	"bufio"
	"bytes"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parameterLines finds the line where a parameter file writes each
// parameter's value, for provenance (and so for `fix`, which edits it
// there). It reads the same shapes as parseParameterFile; a parameter
// written twice gets its last line, the one that wins. A file it cannot
// read gives no lines: the values still apply, without a line.
func parameterLines(data []byte) map[string]int {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	out := map[string]int{}
	trim := bytes.TrimSpace(data)
	if len(trim) > 0 && (trim[0] == '[' || trim[0] == '{') {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
			return out
		}
		root := doc.Content[0]
		switch root.Kind {
		case yaml.SequenceNode:
			for _, it := range root.Content {
				switch it.Kind {
				case yaml.ScalarNode:
					if k, _, ok := strings.Cut(it.Value, "="); ok {
						out[k] = it.Line
					}
				case yaml.MappingNode:
					key, val := mapValue(it, "ParameterKey"), mapValue(it, "ParameterValue")
					if key != nil && val != nil {
						out[key.Value] = val.Line
					}
				}
			}
		case yaml.MappingNode:
			params := root
			if p := mapValue(root, "Parameters"); p != nil && p.Kind == yaml.MappingNode {
				params = p
			}
			for i := 0; i+1 < len(params.Content); i += 2 {
				out[params.Content[i].Value] = params.Content[i+1].Line
			}
		}
		return out
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, _, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = n
		}
	}
	return out
}
