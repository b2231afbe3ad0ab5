package cloudformation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
)

// override is a parameter value the user gave, with the file it was given
// in.
type override struct {
	value string
	file  string
	// line is where the file writes the value; 0 when unknown.
	line int
	// failed, when set, says a parameter file that may set this parameter
	// could not be read or parsed: the parameter is unknown, never its Default.
	failed string
}

// failedKey is the entry of readParameterFiles' map that stands for every
// parameter a failed file may have set and no later file sets.
const failedKey = "\x00failed"

// readParameterFiles reads parameter files in order (later files win) in
// any of the formats people use:
//
//   - Key=Value lines, as `aws cloudformation deploy --parameter-overrides`
//     takes them (blank lines and # comments ignored);
//   - the JSON list of create-stack: [{"ParameterKey": .., "ParameterValue": ..}];
//   - the JSON list of Key=Value strings (`deploy --parameter-overrides file://`);
//   - the JSON object {"Parameters": {"Key": "Value"}} of CodePipeline
//     template configuration files, and a flat {"Key": "Value"} object.
//
// A file that cannot be read or parsed is an error, and every parameter it
// may set is failed (unknown) unless a later file sets it.
func readParameterFiles(ctx context.Context, paths []string) (map[string]override, []model.Error) {
	out := map[string]override{}
	var errs []model.Error
	for _, p := range paths {
		if ctx.Err() != nil {
			errs = append(errs, model.Error{File: p, Message: ctx.Err().Error()})
			break
		}
		fail := func(why string) {
			reason := fmt.Sprintf("parameter file %s, which may set it, %s", p, why)
			for k := range out {
				out[k] = override{failed: reason}
			}
			out[failedKey] = override{failed: reason}
		}
		data, err := safefs.ReadFile(p)
		if err != nil {
			errs = append(errs, model.Error{File: p, Message: fmt.Sprintf("reading parameter file: %s", safefs.Describe(err))})
			fail("could not be read")
			continue
		}
		kv, line, err := parseParameterFile(data)
		if err != nil {
			errs = append(errs, model.Error{File: p, Line: line, Message: fmt.Sprintf("parameter file: %v", err)})
			fail("could not be parsed")
			continue
		}
		lines := parameterLines(data)
		for k, v := range kv {
			out[k] = override{value: v, file: p, line: lines[k]}
		}
	}
	return out, errs
}

// parseParameterFile parses one parameter file; on error it returns the line.
func parseParameterFile(data []byte) (map[string]string, int, error) {
	trim := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if len(trim) > 0 && (trim[0] == '[' || trim[0] == '{') {
		return parseJSONParameters(trim)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, n, fmt.Errorf("line %d is not Key=Value", n)
		}
		out[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	return out, 0, nil
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

func parseJSONParameters(data []byte) (map[string]string, int, error) {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		line := 0
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset > 0 && int(se.Offset) <= len(data) {
			line = bytes.Count(data[:se.Offset], []byte("\n")) + 1
		}
		return nil, line, fmt.Errorf("invalid JSON: %w", err)
	}
	out := map[string]string{}
	switch v := raw.(type) {
	case []any:
		for i, it := range v {
			switch it := it.(type) {
			case string:
				k, val, ok := strings.Cut(it, "=")
				if !ok {
					return nil, 0, fmt.Errorf("item %d %q is not Key=Value", i, it)
				}
				out[k] = val
			case map[string]any:
				k, ok := it["ParameterKey"].(string)
				if !ok {
					return nil, 0, fmt.Errorf("item %d has no ParameterKey", i)
				}
				if it["UsePreviousValue"] == true {
					continue
				}
				out[k] = jsonScalar(it["ParameterValue"])
			default:
				return nil, 0, fmt.Errorf("item %d is neither Key=Value nor {ParameterKey, ParameterValue}", i)
			}
		}
	case map[string]any:
		params := v
		if p, ok := v["Parameters"].(map[string]any); ok {
			params = p
		}
		for k, val := range params {
			if k == "Tags" || k == "StackPolicy" {
				continue
			}
			out[k] = jsonScalar(val)
		}
	}
	return out, 0, nil
}

// jsonScalar renders a JSON parameter value as CloudFormation receives it;
// a list becomes a comma-delimited string.
func jsonScalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = jsonScalar(x)
		}
		return strings.Join(parts, ",")
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", v), "0"), ".")
	}
	return fmt.Sprint(v)
}

// resolveParameters gives every declared parameter its value: a
// --parameter, else a parameter file, else its Default, else unknown. SSM
// parameter types are always unknown: the value is read at deploy time.
func (e *evaluator) resolveParameters(params *yaml.Node, cli map[string]string, files map[string]override) {
	e.params = map[string]value{}
	if params == nil || params.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(params.Content); i += 2 {
		name := params.Content[i].Value
		decl := params.Content[i+1]
		typ := ""
		if t := mapValue(decl, "Type"); t != nil {
			typ = strings.TrimSpace(t.Value)
		}
		var (
			v        value
			givenVal string
		)
		if s, ok := cli[name]; ok {
			v, givenVal = value{kind: kScalar, s: s, prov: model.Provenance{{Kind: model.StepParameterOverride, Name: name, Detail: s, Via: "--parameter"}}}, s
		} else if o, ok := files[name]; ok && o.failed == "" {
			v, givenVal = value{kind: kScalar, s: o.value, prov: model.Provenance{{Kind: model.StepParameterOverride, Name: name, Detail: o.value, Range: model.Range{File: o.file, StartLine: o.line, EndLine: o.line}}}}, o.value
		} else if reason := failedParameter(files, name); reason != "" {
			v = unknown(fmt.Sprintf("parameter %s is unknown: %s", name, reason))
		} else if d := mapValue(decl, "Default"); d != nil && d.Tag != "!!null" {
			v = e.eval(d)
			v.prov = model.Provenance{{Kind: model.StepParameterDefault, Name: name, Range: model.Range{File: e.src.path, StartLine: d.Line, EndLine: d.Line}}}
			givenVal = v.s
		} else {
			v = unknown(fmt.Sprintf("parameter %s has no Default and no value was given (--parameter %s=...)", name, name))
		}
		if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") {
			what := "parameter " + name
			if givenVal != "" {
				what += fmt.Sprintf(" (SSM parameter %s)", givenVal)
			}
			v = setUnknown(fmt.Sprintf("%s is resolved from SSM at deploy time", what))
		} else if isListType(typ) && v.kind == kScalar {
			list := value{kind: kList, prov: v.prov}
			if v.s != "" {
				for _, p := range strings.Split(v.s, ",") {
					list.items = append(list.items, value{kind: kScalar, s: strings.TrimSpace(p), prov: v.prov})
				}
			}
			v = list
		}
		v.start, v.end = 0, 0
		if noEcho := mapValue(decl, "NoEcho"); noEcho != nil && strings.EqualFold(strings.TrimSpace(noEcho.Value), "true") {
			e.sensitive = append(e.sensitive, v.strings()...)
		}
		e.params[name] = v
	}
}

// failedParameter is why a parameter file that failed may have set name,
// or "" when none did (readParameterFiles).
func failedParameter(files map[string]override, name string) string {
	if o, ok := files[name]; ok {
		return o.failed
	}
	return files[failedKey].failed
}

// strings lists the known scalar strings of a value (a list's items).
func (v value) strings() []string {
	switch v.kind {
	case kScalar:
		if v.s != "" {
			return []string{v.s}
		}
	case kList:
		var out []string
		for _, it := range v.items {
			out = append(out, it.strings()...)
		}
		return out
	}
	return nil
}

func isListType(t string) bool {
	return t == "CommaDelimitedList" || strings.HasPrefix(t, "List<")
}
