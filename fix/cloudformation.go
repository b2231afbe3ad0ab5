package fix

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/model"
)

// Names of the parameters added when a notebook has no network.
const (
	subnetParameter        = "NotebookSubnetId"
	securityGroupParameter = "NotebookSecurityGroupIds"
)

// template is one CloudFormation template being edited by text edits at
// node positions, so everything else (comments, quoting, layout) is kept.
type template struct {
	path      string
	src       []byte
	lineStart []int // byte offset of each line (0-based index = line-1)
	json      bool
	root      *yaml.Node
	edits     []textEdit
	res       *Result
	// addedParams are the parameters inserted in this run.
	addedParams map[string]bool
	// paramLines collects parameter declarations to insert, in order.
	paramLines []string
}

type textEdit struct {
	start, end int
	text       string
	seq        int
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func planTemplate(path string, res *Result) {
	src, err := os.ReadFile(path)
	if err != nil {
		res.Errors = append(res.Errors, model.Error{File: path, Message: err.Error()})
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		res.Errors = append(res.Errors, model.Error{File: path, Line: line, Message: err.Error()})
		return
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return
	}
	t := &template{path: path, src: src, root: doc.Content[0], res: res, addedParams: map[string]bool{},
		json: bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n\ufeff"), []byte("{"))}
	t.lineStart = []int{0}
	for i, c := range src {
		if c == '\n' {
			t.lineStart = append(t.lineStart, i+1)
		}
	}
	_, resources := mapGet(t.root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		logical, r := resources.Content[i], resources.Content[i+1]
		if r.Kind != yaml.MappingNode {
			continue
		}
		_, typ := mapGet(r, "Type")
		if typ == nil {
			continue
		}
		switch typ.Value {
		case "AWS::SageMaker::NotebookInstance":
			t.fixNotebook(logical, r)
		case "AWS::SageMaker::Domain":
			var pending []propLine
			t.fixProperty(logical, r, "AppNetworkAccessType", "VpcOnly", controlDomainVpcOnly,
				" (updated in place; the stack update fails while Studio apps are InService, Pending or Deleting: delete them first)", &pending)
			t.insertProperties(logical, r, pending)
		}
	}
	t.flushParameters()
	if out, changed := t.apply(); changed {
		res.Files = append(res.Files, FileEdit{Path: path, Old: src, New: out})
	}
}

// mapGet returns the key and value nodes of key in a mapping.
func mapGet(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// propLine is a property to insert, as YAML and as JSON text.
type propLine struct {
	key, yaml, json string
}

func (t *template) fixNotebook(logical, r *yaml.Node) {
	addr := logical.Value
	var pending []propLine
	replaced := t.fixProperty(logical, r, "DirectInternetAccess", "Disabled", controlDirectInternetAccess, "", &pending)
	if t.fixNetwork(logical, r, &pending) {
		replaced = true
	}
	t.insertProperties(logical, r, pending)
	if replaced {
		t.res.Warnings = append(t.res.Warnings, replacementWarning(addr, t.path,
			"deploy the compliant notebook under a new logical ID (and NotebookInstanceName) beside the old one, move the data, then remove the old one (blue/green)"))
	}
}

// fixProperty makes property key of resource r equal want: in place, in the
// Default of the parameter it references, or by inserting it.
func (t *template) fixProperty(logical, r *yaml.Node, key, want, controlID, note string, pending *[]propLine) bool {
	addr := logical.Value
	_, props := mapGet(r, "Properties")
	_, v := mapGet(props, key)
	unfixable := func(line int, reason string) bool {
		t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: line, Resource: addr, Control: controlID,
			Reason: "cannot fix automatically: " + reason})
		return false
	}
	switch {
	case v == nil:
		*pending = append(*pending, propLine{key: key, yaml: key + ": " + want, json: fmt.Sprintf("%q: %q", key, want)})
		t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: logical.Line, Resource: addr, Control: controlID,
			Message: fmt.Sprintf("added %s: %s (it was omitted; the default is not compliant)%s", key, want, note)})
		return true
	case v.Kind == yaml.ScalarNode && (v.Tag == "!!str" || v.Tag == ""):
		if v.Value == want {
			return false
		}
		t.replaceScalar(v, want)
		t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: v.Line, Resource: addr, Control: controlID,
			Message: fmt.Sprintf("set %s: %s (was %q)%s", key, want, v.Value, note)})
		return true
	}
	param := refTarget(v)
	if param == "" {
		return unfixable(v.Line, fmt.Sprintf("%s at %s:%d is computed (%s); make it %q by hand", key, t.path, v.Line, describeNode(v), want))
	}
	_, params := mapGet(t.root, "Parameters")
	_, p := mapGet(params, param)
	if p == nil {
		return unfixable(v.Line, fmt.Sprintf("%s refers to %s, which is not a parameter of this template", key, param))
	}
	_, def := mapGet(p, "Default")
	if def == nil || def.Kind != yaml.ScalarNode {
		return unfixable(v.Line, fmt.Sprintf("%s comes from parameter %s, which has no Default: its value is given at deploy time; pass %s there", key, param, want))
	}
	if _, allowed := mapGet(p, "AllowedValues"); allowed != nil && allowed.Kind == yaml.SequenceNode {
		ok := false
		for _, a := range allowed.Content {
			ok = ok || a.Value == want
		}
		if !ok {
			return unfixable(allowed.Line, fmt.Sprintf("parameter %s's AllowedValues do not include %s", param, want))
		}
	}
	if def.Value == want {
		return false
	}
	t.replaceScalar(def, want)
	t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: def.Line, Resource: addr, Control: controlID,
		Message: fmt.Sprintf("the value of %s comes from parameter %s: set its Default to %s (was %q; a value passed at deploy time still overrides it)%s",
			key, param, want, def.Value, note)})
	return true
}

// refTarget is the parameter a !Ref / {"Ref": ...} node names, or "".
func refTarget(v *yaml.Node) string {
	if v.Kind == yaml.ScalarNode && v.Tag == "!Ref" {
		return v.Value
	}
	if v.Kind == yaml.MappingNode && len(v.Content) == 2 && v.Content[0].Value == "Ref" && v.Content[1].Kind == yaml.ScalarNode {
		return v.Content[1].Value
	}
	return ""
}

func describeNode(v *yaml.Node) string {
	if v.Kind == yaml.MappingNode && len(v.Content) > 0 {
		return v.Content[0].Value
	}
	if strings.HasPrefix(v.Tag, "!") && !strings.HasPrefix(v.Tag, "!!") {
		return v.Tag
	}
	return "a " + strings.TrimPrefix(v.Tag, "!!")
}

// fixNetwork adds SubnetId / SecurityGroupIds when missing: copied from a
// compliant sibling's !Ref, else as references to new parameters.
func (t *template) fixNetwork(logical, r *yaml.Node, pending *[]propLine) bool {
	_, props := mapGet(r, "Properties")
	_, subnet := mapGet(props, "SubnetId")
	_, sgs := mapGet(props, "SecurityGroupIds")
	needSubnet := subnet == nil || (subnet.Kind == yaml.ScalarNode && subnet.Tag == "!!str" && subnet.Value == "")
	needSGs := sgs == nil || (sgs.Kind == yaml.SequenceNode && len(sgs.Content) == 0)
	if !needSubnet && !needSGs {
		return false
	}
	if (subnet != nil && needSubnet) || (sgs != nil && needSGs) {
		t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: logical.Line, Resource: logical.Value, Control: controlInVPC,
			Reason: "cannot fix automatically: SubnetId or SecurityGroupIds is written but empty; give it a value"})
		return false
	}
	if donorSubnet, donorSGs, donor := t.networkDonor(r); donor != "" {
		if needSubnet {
			*pending = append(*pending, donorSubnet)
		}
		if needSGs {
			*pending = append(*pending, donorSGs)
		}
		t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: logical.Line, Resource: logical.Value, Control: controlInVPC,
			Message: fmt.Sprintf("copied the network (SubnetId, SecurityGroupIds) of %s, which has DirectInternetAccess Disabled", donor)})
		return true
	}
	type input struct {
		prop, param, yaml, json string
		need                    bool
	}
	for _, in := range []input{
		{"SubnetId", subnetParameter,
			subnetParameter + ":\n  Type: AWS::EC2::Subnet::Id\n  Description: Private subnet for SageMaker notebook instances. Added by sagefence fix, a value is needed (the subnet must reach SageMaker and S3 through VPC endpoints or NAT).",
			fmt.Sprintf("%q: {\"Type\": \"AWS::EC2::Subnet::Id\", \"Description\": \"Private subnet for SageMaker notebook instances. Added by sagefence fix, a value is needed.\"}", subnetParameter),
			needSubnet},
		{"SecurityGroupIds", securityGroupParameter,
			securityGroupParameter + ":\n  Type: List<AWS::EC2::SecurityGroup::Id>\n  Description: Security groups for SageMaker notebook instances. Added by sagefence fix, a value is needed (they must allow outbound HTTPS).",
			fmt.Sprintf("%q: {\"Type\": \"List<AWS::EC2::SecurityGroup::Id>\", \"Description\": \"Security groups for SageMaker notebook instances. Added by sagefence fix, a value is needed.\"}", securityGroupParameter),
			needSGs},
	} {
		if !in.need {
			continue
		}
		*pending = append(*pending, refProp(in.prop, in.param))
		_, params := mapGet(t.root, "Parameters")
		if _, exists := mapGet(params, in.param); exists == nil && !t.addedParams[in.param] {
			t.addedParams[in.param] = true
			if t.json {
				t.paramLines = append(t.paramLines, in.json)
			} else {
				t.paramLines = append(t.paramLines, in.yaml)
			}
		}
		t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: logical.Line, Resource: logical.Value, Control: controlInVPC,
			Message: fmt.Sprintf("%s was missing and cannot be derived from this template: set %s to Ref %s; a value is needed for parameter %s (no default was invented)",
				in.prop, in.prop, in.param, in.param),
			NeedsValue: in.param})
	}
	return true
}

func refProp(key, param string) propLine {
	return propLine{key: key, yaml: key + ": !Ref " + param, json: fmt.Sprintf("%q: {\"Ref\": %q}", key, param)}
}

// networkDonor finds another notebook with DirectInternetAccess Disabled
// whose SubnetId and SecurityGroupIds are literals or Refs (or lists of
// them), and returns them as properties to insert.
func (t *template) networkDonor(self *yaml.Node) (subnet, sgs propLine, logical string) {
	_, resources := mapGet(t.root, "Resources")
	for i := 0; i+1 < len(resources.Content); i += 2 {
		r := resources.Content[i+1]
		if r == self {
			continue
		}
		if _, typ := mapGet(r, "Type"); typ == nil || typ.Value != "AWS::SageMaker::NotebookInstance" {
			continue
		}
		_, props := mapGet(r, "Properties")
		_, dia := mapGet(props, "DirectInternetAccess")
		_, sub := mapGet(props, "SubnetId")
		_, groups := mapGet(props, "SecurityGroupIds")
		if dia == nil || dia.Kind != yaml.ScalarNode || dia.Value != "Disabled" || sub == nil || groups == nil {
			continue
		}
		sy, sj, ok1 := copyValue(sub)
		gy, gj, ok2 := copyValue(groups)
		if ok1 && ok2 && groups.Kind == yaml.SequenceNode && len(groups.Content) > 0 {
			return propLine{key: "SubnetId", yaml: "SubnetId: " + sy, json: `"SubnetId": ` + sj},
				propLine{key: "SecurityGroupIds", yaml: "SecurityGroupIds: " + gy, json: `"SecurityGroupIds": ` + gj},
				resources.Content[i].Value
		}
	}
	return propLine{}, propLine{}, ""
}

// copyValue renders a literal string, a Ref, or a list of those, as YAML
// and JSON text.
func copyValue(v *yaml.Node) (yamlText, jsonText string, ok bool) {
	if p := refTarget(v); p != "" {
		return "!Ref " + p, fmt.Sprintf(`{"Ref": %q}`, p), true
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!str" && v.Value != "" {
			return strconv.Quote(v.Value), strconv.Quote(v.Value), true
		}
	case yaml.SequenceNode:
		var ys, js []string
		for _, item := range v.Content {
			y, j, ok := copyValue(item)
			if !ok || item.Kind == yaml.SequenceNode {
				return "", "", false
			}
			ys, js = append(ys, y), append(js, j)
		}
		return "[" + strings.Join(ys, ", ") + "]", "[" + strings.Join(js, ", ") + "]", true
	}
	return "", "", false
}

// insertProperties inserts the pending property lines into the resource's
// Properties (creating it when absent).
func (t *template) insertProperties(logical, r *yaml.Node, pending []propLine) {
	if len(pending) == 0 {
		return
	}
	propsKey, props := mapGet(r, "Properties")
	fail := func(reason string) {
		t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: logical.Line, Resource: logical.Value,
			Reason: "cannot fix automatically: " + reason})
	}
	if props == nil {
		first := r.Content[0]
		indent, ok := t.indentAt(first)
		if !ok {
			fail("the resource is not written one property per line")
			return
		}
		var b strings.Builder
		if t.json {
			var items []string
			for _, p := range pending {
				items = append(items, p.json)
			}
			fmt.Fprintf(&b, "%s\"Properties\": {%s},\n", indent, strings.Join(items, ", "))
		} else {
			fmt.Fprintf(&b, "%sProperties:\n", indent)
			for _, p := range pending {
				fmt.Fprintf(&b, "%s  %s\n", indent, p.yaml)
			}
		}
		t.insert(t.lineStart[first.Line-1], b.String())
		return
	}
	if props.Kind != yaml.MappingNode || props.Style&yaml.FlowStyle != 0 && !t.json || len(props.Content) == 0 {
		fail(fmt.Sprintf("Properties at line %d is empty or written inline; add %s by hand", propsKey.Line, pending[0].key))
		return
	}
	first := props.Content[0]
	indent, ok := t.indentAt(first)
	if !ok {
		fail("Properties is not written one property per line")
		return
	}
	var b strings.Builder
	for _, p := range pending {
		if t.json {
			fmt.Fprintf(&b, "%s%s,\n", indent, p.json)
		} else {
			fmt.Fprintf(&b, "%s%s\n", indent, p.yaml)
		}
	}
	t.insert(t.lineStart[first.Line-1], b.String())
}

// flushParameters inserts the collected parameter declarations.
func (t *template) flushParameters() {
	if len(t.paramLines) == 0 {
		return
	}
	paramsKey, params := mapGet(t.root, "Parameters")
	var b strings.Builder
	if params != nil && params.Kind == yaml.MappingNode && len(params.Content) > 0 {
		first := params.Content[0]
		indent, ok := t.indentAt(first)
		if ok && (t.json || params.Style&yaml.FlowStyle == 0) {
			for _, p := range t.paramLines {
				if t.json {
					fmt.Fprintf(&b, "%s%s,\n", indent, p)
				} else {
					fmt.Fprintf(&b, "%s%s\n", indent, strings.ReplaceAll(p, "\n", "\n"+indent))
				}
			}
			t.insert(t.lineStart[first.Line-1], b.String())
			return
		}
	}
	if paramsKey != nil {
		t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: paramsKey.Line,
			Reason: "cannot fix automatically: Parameters is empty or written inline; declare " + subnetParameter + " / " + securityGroupParameter + " by hand"})
		return
	}
	resourcesKey, _ := mapGet(t.root, "Resources")
	indent, ok := t.indentAt(resourcesKey)
	if !ok {
		return
	}
	if t.json {
		fmt.Fprintf(&b, "%s\"Parameters\": {%s},\n", indent, strings.Join(t.paramLines, ", "))
	} else {
		fmt.Fprintf(&b, "%sParameters:\n", indent)
		for _, p := range t.paramLines {
			fmt.Fprintf(&b, "%s  %s\n", indent, strings.ReplaceAll(p, "\n", "\n"+indent+"  "))
		}
	}
	t.insert(t.lineStart[resourcesKey.Line-1], b.String())
}

// indentAt returns the whitespace before node n on its line, and whether
// only whitespace precedes it (so a line can be inserted before it).
func (t *template) indentAt(n *yaml.Node) (string, bool) {
	if n.Line < 1 || n.Line > len(t.lineStart) {
		return "", false
	}
	start := t.lineStart[n.Line-1]
	col := n.Column - 1
	if start+col > len(t.src) {
		return "", false
	}
	prefix := string(t.src[start : start+col])
	if strings.TrimLeft(prefix, " \t") != "" {
		return "", false
	}
	return prefix, true
}

// replaceScalar replaces the text of scalar node v with want, in v's style.
func (t *template) replaceScalar(v *yaml.Node, want string) {
	start := t.lineStart[v.Line-1] + v.Column - 1
	end := start
	line := t.src[start:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	var text string
	switch {
	case v.Style&yaml.DoubleQuotedStyle != 0:
		i := 1
		for i < len(line) && line[i] != '"' {
			if line[i] == '\\' {
				i++
			}
			i++
		}
		end = start + i + 1
		text = strconv.Quote(want)
	case v.Style&yaml.SingleQuotedStyle != 0:
		i := 1
		for i < len(line) {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i += 2
					continue
				}
				break
			}
			i++
		}
		end = start + i + 1
		text = "'" + want + "'"
	default:
		n := len(line)
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			n = i
		}
		for _, stop := range []byte{',', '}', ']'} {
			if i := bytes.IndexByte(line[:n], stop); i >= 0 {
				n = i
			}
		}
		end = start + len(bytes.TrimRight(line[:n], " \t\r"))
		text = want
	}
	t.edits = append(t.edits, textEdit{start: start, end: end, text: text, seq: len(t.edits)})
}

func (t *template) insert(at int, text string) {
	t.edits = append(t.edits, textEdit{start: at, end: at, text: text, seq: len(t.edits)})
}

// apply performs the edits from the end of the file backwards.
func (t *template) apply() ([]byte, bool) {
	if len(t.edits) == 0 {
		return t.src, false
	}
	edits := append([]textEdit(nil), t.edits...)
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start > edits[j].start
		}
		return edits[i].seq > edits[j].seq
	})
	out := append([]byte(nil), t.src...)
	limit := len(out)
	for _, e := range edits {
		if e.end > limit {
			t.res.Errors = append(t.res.Errors, model.Error{File: t.path, Message: "internal error: overlapping edits; nothing changed in this file"})
			return t.src, false
		}
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
		limit = e.start
	}
	return out, !bytes.Equal(out, t.src)
}
