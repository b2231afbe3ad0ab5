package fix

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
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
	// done records the nodes (line:column) already replaced in this run.
	done map[string]bool
	// texts edits the parameter files values come from (shared with the
	// Terraform workspace, which owns text-edited files).
	texts *workspace
}

type textEdit struct {
	start, end int
	text       string
	seq        int
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// loadTemplate parses a template for editing; nil when it cannot be read
// or parsed (the error is recorded).
func loadTemplate(path string, res *Result, texts *workspace) *template {
	src, err := os.ReadFile(path)
	if err != nil {
		res.Errors = append(res.Errors, model.Error{File: path, Message: err.Error()})
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		res.Errors = append(res.Errors, model.Error{File: path, Line: line, Message: err.Error()})
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	t := &template{path: path, src: src, root: doc.Content[0], res: res, addedParams: map[string]bool{}, done: map[string]bool{}, texts: texts,
		json: bytes.HasPrefix(bytes.TrimLeft(src, " \t\r\n\ufeff"), []byte("{"))}
	t.lineStart = []int{0}
	for i, c := range src {
		if c == '\n' {
			t.lineStart = append(t.lineStart, i+1)
		}
	}
	return t
}

// fix handles one notebook or domain of the template.
func (t *template) fix(it workItem) {
	m := it.meta()
	_, resources := mapGet(t.root, "Resources")
	logical, r := mapGet(resources, m.Address)
	if r == nil || r.Kind != yaml.MappingNode {
		for id := range it.findings {
			t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: m.Range.StartLine, Resource: m.Address, Control: id,
				Reason: "cannot fix automatically: the resource is not in this template's Resources (a nested stack or a transform); fix it where it is declared"})
		}
		return
	}
	if it.domain != nil {
		if it.status(controlDomainVpcOnly) != "" {
			var pending []propLine
			t.fixProperty(logical, r, "AppNetworkAccessType", it.domain.AppNetworkAccessType, "VpcOnly", controlDomainVpcOnly,
				" (updated in place; the stack update fails while Studio apps are InService, Pending or Deleting: delete them first)", &pending)
			t.insertProperties(logical, r, pending)
		}
		return
	}
	var pending []propLine
	replaced := false
	if it.status(controlDirectInternetAccess) != "" {
		replaced = t.fixProperty(logical, r, "DirectInternetAccess", it.notebook.DirectInternetAccess, awsfacts.DirectInternetAccessDisabled, controlDirectInternetAccess, "", &pending)
	}
	if it.status(controlInVPC) == finding.Fail && t.fixNetwork(logical, r, &pending) {
		replaced = true
	}
	t.insertProperties(logical, r, pending)
	if replaced {
		t.res.Warnings = append(t.res.Warnings, replacementWarning(m.Address, t.path,
			"deploy the compliant notebook under a new logical ID (and NotebookInstanceName) beside the old one, move the data, then remove the old one (blue/green)"))
	}
}

// finish inserts the collected parameters and records the edited file.
func (t *template) finish() {
	t.flushParameters()
	if out, changed := t.apply(); changed {
		t.res.Files = append(t.res.Files, FileEdit{Path: t.path, Old: t.src, New: out})
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

// fixProperty makes property key of resource r equal want where its value
// comes from: inserted when omitted, in place when written as a literal,
// else at the step its provenance chain ends in (a parameter's Default, a
// Mappings value).
func (t *template) fixProperty(logical, r *yaml.Node, key string, v model.Str, want, controlID, note string, pending *[]propLine) bool {
	addr := logical.Value
	_, props := mapGet(r, "Properties")
	_, node := mapGet(props, key)
	unfixable := func(line int, reason string) bool {
		t.res.Unfixable = append(t.res.Unfixable, Unfixable{File: t.path, Line: line, Resource: addr, Control: controlID,
			Reason: "cannot fix automatically: " + reason})
		return false
	}
	change := func(line int, msg string) bool {
		t.res.Changes = append(t.res.Changes, Change{File: t.path, Line: line, Resource: addr, Control: controlID, Message: msg + note})
		return true
	}
	switch {
	case node == nil:
		*pending = append(*pending, propLine{key: key, yaml: key + ": " + want, json: fmt.Sprintf("%q: %q", key, want)})
		return change(logical.Line, fmt.Sprintf("added %s: %s (it was omitted; the default is not compliant)", key, want))
	case !v.Known():
		return unfixable(node.Line, fmt.Sprintf("%s cannot be resolved: %s; make it %s where it is given", key, v.Reason, want))
	case len(v.Provenance) == 0:
		if node.Kind != yaml.ScalarNode || (node.Tag != "!!str" && node.Tag != "") {
			return unfixable(node.Line, fmt.Sprintf("%s at %s:%d is computed (%s); make it %q by hand", key, t.path, node.Line, describeNode(node), want))
		}
		if !t.once(node) {
			return true
		}
		if why := t.replaceScalar(node, want); why != "" {
			return unfixable(node.Line, fmt.Sprintf("%s at %s:%d %s; make it %q by hand", key, t.path, node.Line, why, want))
		}
		return change(node.Line, fmt.Sprintf("set %s: %s (was %q)", key, want, node.Value))
	}
	chain := v.Provenance.Chain()
	var last model.Step
	if chain != nil {
		last = chain[len(chain)-1]
	}
	switch {
	case chain == nil || !last.Editable() && last.Kind != model.StepParameterOverride:
		return unfixable(node.Line, fmt.Sprintf("%s at %s:%d is computed (%s); make it %q by hand", key, t.path, node.Line, finding.DescribeProvenance(v.Provenance), want))
	case last.Kind == model.StepParameterOverride && last.Range.File == "":
		return unfixable(node.Line, fmt.Sprintf("%s comes from parameter %s, given on the command line (--parameter %s=%s); pass %s there", key, last.Name, last.Name, last.Detail, want))
	case last.Kind == model.StepParameterOverride:
		cur, reason := t.texts.editParameterFile(last.Range.File, last.Name, last.Range.StartLine, want)
		if reason != "" {
			return unfixable(node.Line, fmt.Sprintf("%s comes from parameter %s = %q in the parameter file %s: %s", key, last.Name, last.Detail, last.Range.File, reason))
		}
		if cur == "" {
			return true // already edited for another resource
		}
		t.res.Changes = append(t.res.Changes, Change{File: last.Range.File, Line: last.Range.StartLine, Resource: addr, Control: controlID,
			Message: fmt.Sprintf("the value of %s comes from parameter %s in the parameter file %s: set it to %s there (was %q)%s",
				key, last.Name, last.Range.File, want, cur, note)})
		return true
	case last.Range.File != t.path:
		return unfixable(node.Line, fmt.Sprintf("%s comes from %s, outside this template; set it to %s there", key, finding.DescribeProvenance(model.Provenance{last}), want))
	case last.Kind == model.StepParameterDefault:
		return t.fixParameterDefault(node, key, last, want, unfixable, change)
	case last.Kind == model.StepMapping:
		leaf := t.mappingLeaf(last)
		if leaf == nil || leaf.Kind != yaml.ScalarNode {
			return unfixable(node.Line, fmt.Sprintf("the Mappings value %s at %s is not a plain value; make it %s by hand", last.Name, last.Range, want))
		}
		if !t.once(leaf) {
			return true
		}
		if why := t.replaceScalar(leaf, want); why != "" {
			return unfixable(leaf.Line, fmt.Sprintf("the Mappings value %s at %s %s; make it %s by hand", last.Name, last.Range, why, want))
		}
		return change(leaf.Line, fmt.Sprintf("the value of %s comes from Mappings %s: set it to %s there (was %q; the mapping's other entries are unchanged)", key, last.Name, want, leaf.Value))
	}
	return unfixable(node.Line, fmt.Sprintf("%s comes from %s, which sagefence does not edit", key, finding.DescribeProvenance(v.Provenance)))
}

// fixParameterDefault sets the Default of the parameter step names.
func (t *template) fixParameterDefault(node *yaml.Node, key string, step model.Step, want string,
	unfixable func(int, string) bool, change func(int, string) bool) bool {
	_, params := mapGet(t.root, "Parameters")
	_, p := mapGet(params, step.Name)
	_, def := mapGet(p, "Default")
	if def == nil || def.Kind != yaml.ScalarNode || def.Line != step.Range.StartLine {
		return unfixable(node.Line, fmt.Sprintf("parameter %s's Default is not written at %s as the scan found it; set it to %s by hand", step.Name, step.Range, want))
	}
	if _, allowed := mapGet(p, "AllowedValues"); allowed != nil && allowed.Kind == yaml.SequenceNode {
		ok := false
		for _, a := range allowed.Content {
			ok = ok || a.Value == want
		}
		if !ok {
			return unfixable(allowed.Line, fmt.Sprintf("parameter %s's AllowedValues do not include %s", step.Name, want))
		}
	}
	if !t.once(def) {
		return true
	}
	if why := t.replaceScalar(def, want); why != "" {
		return unfixable(def.Line, fmt.Sprintf("parameter %s's Default at %s %s; set it to %s by hand", step.Name, step.Range, why, want))
	}
	return change(def.Line, fmt.Sprintf("the value of %s comes from parameter %s: set its Default to %s (was %q; a value passed at deploy time still overrides it)",
		key, step.Name, want, def.Value))
}

// mappingLeaf finds the Mappings value a StepMapping names (Name
// "Map.TopKey.SecondKey", Range its line).
func (t *template) mappingLeaf(step model.Step) *yaml.Node {
	_, mappings := mapGet(t.root, "Mappings")
	name, _, _ := strings.Cut(step.Name, ".")
	_, m := mapGet(mappings, name)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		second := m.Content[i+1]
		if second.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(second.Content); j += 2 {
			path := name + "." + m.Content[i].Value + "." + second.Content[j].Value
			if leaf := second.Content[j+1]; path == step.Name && leaf.Line == step.Range.StartLine {
				return leaf
			}
		}
	}
	return nil
}

// once reports whether node was not edited yet in this run, and records it.
func (t *template) once(node *yaml.Node) bool {
	k := fmt.Sprintf("%d:%d", node.Line, node.Column)
	if t.done[k] {
		return false
	}
	t.done[k] = true
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
		if dia == nil || dia.Kind != yaml.ScalarNode || dia.Value != awsfacts.DirectInternetAccessDisabled || sub == nil || groups == nil {
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

// replaceScalar replaces the text of scalar node v with want, in v's style;
// it returns why it cannot ("" when it did). A value written over several
// lines is replaced whole when it is quoted (its end is the closing quote),
// and refused when it is plain or a block scalar (| or >), whose extent only
// the indentation of the lines after it tells.
func (t *template) replaceScalar(v *yaml.Node, want string) string {
	if v.Line < 1 || v.Line > len(t.lineStart) {
		return "is not where the parser placed it"
	}
	start := t.lineStart[v.Line-1] + v.Column - 1
	if start >= len(t.src) {
		return "is not where the parser placed it"
	}
	rest := t.src[start:]
	var end int
	var text string
	switch {
	case v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return "is a block scalar (| or >)"
	case v.Style&yaml.DoubleQuotedStyle != 0:
		i := 1
		for i < len(rest) && rest[i] != '"' {
			if rest[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(rest) {
			return "has no closing quote where the parser found one"
		}
		end = start + i + 1
		text = strconv.Quote(want)
	case v.Style&yaml.SingleQuotedStyle != 0:
		i := 1
		for i < len(rest) {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i += 2
					continue
				}
				break
			}
			i++
		}
		if i >= len(rest) {
			return "has no closing quote where the parser found one"
		}
		end = start + i + 1
		text = "'" + want + "'"
	default:
		line := rest
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		n := len(line)
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			n = i
		}
		for _, stop := range []byte{',', '}', ']'} {
			if i := bytes.IndexByte(line[:n], stop); i >= 0 {
				n = i
			}
		}
		written := bytes.TrimRight(line[:n], " \t\r")
		if string(written) != v.Value {
			return "is written over several lines"
		}
		end = start + len(written)
		text = want
	}
	t.edits = append(t.edits, textEdit{start: start, end: end, text: text, seq: len(t.edits)})
	return ""
}

func (t *template) insert(at int, text string) {
	t.edits = append(t.edits, textEdit{start: at, end: at, text: text, seq: len(t.edits)})
}

// apply performs the edits from the end of the file backwards.
func (t *template) apply() ([]byte, bool) {
	if len(t.edits) == 0 {
		return t.src, false
	}
	out, ok := applyEdits(t.src, t.edits)
	if !ok {
		t.res.Errors = append(t.res.Errors, model.Error{File: t.path, Message: "internal error: overlapping edits; nothing changed in this file"})
		return t.src, false
	}
	return out, !bytes.Equal(out, t.src)
}
