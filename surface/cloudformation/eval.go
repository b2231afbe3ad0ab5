package cloudformation

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/model"
)

// evaluator applies CloudFormation intrinsic functions to template nodes.
// It is built for one template and is not safe for concurrent use.
type evaluator struct {
	src *source
	// params are the resolved template parameters.
	params map[string]value
	// pseudo are the pseudo parameters (AWS::Region, ...).
	pseudo map[string]value
	// mappings is the template's Mappings node (nil when absent).
	mappings *yaml.Node
	// conditions are the template's Conditions by name.
	conditions map[string]*yaml.Node
	condCache  map[string]condResult
	// resources maps every logical ID to its type.
	resources map[string]string
	// steps bounds the work on hostile input (alias bombs).
	steps int
	// sensitive are the values of NoEcho parameters (model.Set.Sensitive).
	sensitive []string
	// work is the bytes Fn::Join and Fn::Sub have built (maxWorkBytes).
	work int
	// ctx stops evaluation when the scan is cancelled (nil: never).
	ctx context.Context
}

// maxSteps and maxDepth bound evaluation of one template.
const (
	maxSteps = 400_000 // a 1 MB template (the CloudFormation limit) has far fewer nodes
	maxDepth = 256
	// maxStringBytes bounds one string built by Fn::Join or Fn::Sub, and
	// maxWorkBytes all of them in one template.
	maxStringBytes = 4 << 20
	maxWorkBytes   = 64 << 20
)

// truth is a three-valued condition result.
type truth int

const (
	tUnknown truth = iota
	tTrue
	tFalse
)

type condResult struct {
	t      truth
	reason string // why unknown
	done   bool
	busy   bool
}

func truthOf(b bool) truth {
	if b {
		return tTrue
	}
	return tFalse
}

// identityAttributes are Fn::GetAtt attributes that return the resource's
// physical ID (or name) exactly as Ref would for look-up purposes, so they
// link resources the same way: !GetAtt SG.GroupId, !GetAtt LC.NotebookInstanceLifecycleConfigName.
var identityAttributes = map[string]bool{
	"GroupId": true, "SubnetId": true, "VpcId": true, "RouteTableId": true, "Id": true,
	"NatGatewayId": true, "NotebookInstanceLifecycleConfigName": true, "NotebookInstanceName": true,
	"DomainId": true, "InternetGatewayId": true,
}

// intrinsic recognizes a function call: a short-form tag (!Ref X) or a
// one-key mapping whose key is Ref or Fn::*. It returns the function name in
// long form and its argument node.
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	if n == nil {
		return "", nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name := n.Tag[1:]
		arg := *n
		arg.Tag = ""
		switch name {
		case "Ref", "Condition":
			return name, &arg
		}
		return "Fn::" + name, &arg
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1]
		}
	}
	return "", nil
}

// eval evaluates a node. The result carries the node's lines.
func (e *evaluator) eval(n *yaml.Node) value {
	return e.evalDepth(n, 0)
}

func (e *evaluator) evalDepth(n *yaml.Node, depth int) value {
	if n == nil {
		return value{}
	}
	e.steps++
	if e.steps > maxSteps || depth > maxDepth {
		return unknown("the template is too deeply nested or too large to evaluate")
	}
	if e.steps%1024 == 0 && e.ctx != nil && e.ctx.Err() != nil {
		return unknown("evaluation stopped: " + e.ctx.Err().Error())
	}
	if n.Kind == yaml.AliasNode {
		return e.evalDepth(n.Alias, depth+1)
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return value{}
		}
		return e.evalDepth(n.Content[0], depth+1)
	}
	var v value
	if fn, arg := intrinsic(n); fn != "" {
		v = e.call(fn, arg, depth+1)
	} else {
		switch n.Kind {
		case yaml.ScalarNode:
			switch {
			case n.Tag == "!!null":
				v = value{}
			case dynamicReference(n.Value) != "":
				// CloudFormation replaces the reference with the parameter
				// or secret at deploy: never the literal text.
				v = setUnknown(fmt.Sprintf("the dynamic reference %s is resolved at deploy time", dynamicReference(n.Value)))
				v.text = n.Value
			default:
				v = scalar(n.Value)
			}
		case yaml.SequenceNode:
			v = value{kind: kList, items: make([]value, 0, len(n.Content))}
			for _, c := range n.Content {
				it := e.evalDepth(c, depth+1)
				if it.kind == kAbsent {
					continue // AWS::NoValue in a list removes the item
				}
				v.items = append(v.items, it)
			}
		case yaml.MappingNode:
			v = value{kind: kMap}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				v.fields = append(v.fields, field{key: k.Value, keyLine: k.Line, v: e.evalDepth(n.Content[i+1], depth+1)})
			}
		}
	}
	v.start, v.end = n.Line, e.src.endLine(n)
	return v
}

// call applies one intrinsic function.
func (e *evaluator) call(fn string, arg *yaml.Node, depth int) value {
	switch fn {
	case "Ref":
		name, ok := e.scalarArg(arg, depth)
		if !ok {
			return unknown("Ref takes a name")
		}
		return e.ref(name)
	case "Fn::GetAtt":
		return e.getAtt(arg, depth)
	case "Fn::Sub":
		return e.sub(arg, depth)
	case "Fn::Join":
		return e.join(arg, depth)
	case "Fn::Select":
		return e.selectFn(arg, depth)
	case "Fn::Split":
		return e.split(arg, depth)
	case "Fn::If":
		return e.ifFn(arg, depth)
	case "Fn::FindInMap":
		return e.findInMap(arg, depth)
	case "Fn::Base64":
		v := e.evalDepth(arg, depth)
		switch v.kind {
		case kScalar:
			return scalar(base64.StdEncoding.EncodeToString([]byte(v.s))).computed("Fn::Base64", v.prov)
		case kUnknown:
			return unknown(v.reason)
		}
		return unknown("Fn::Base64 takes a string")
	case "Fn::GetAZs":
		return unknown("Fn::GetAZs is resolved at deploy time")
	case "Fn::Cidr":
		return unknown("Fn::Cidr is resolved at deploy time")
	case "Fn::ImportValue":
		name := e.evalDepth(arg, depth)
		// An import never yields an empty value: the stack cannot deploy
		// when the export does not exist.
		switch name.kind {
		case kScalar:
			return setUnknown(fmt.Sprintf("Fn::ImportValue %s is resolved at deploy time", name.s))
		case kUnknown:
			return setUnknown(fmt.Sprintf("Fn::ImportValue %s is resolved at deploy time", cmp.Or(name.text, "(export name: "+name.reason+")")))
		}
		return setUnknown("Fn::ImportValue is resolved at deploy time")
	case "Fn::Transform":
		name := "a macro"
		if m := e.evalDepth(arg, depth); m.kind == kMap {
			if nv, ok := m.get("Name"); ok && nv.kind == kScalar {
				name = nv.s
			}
		}
		return unknown(fmt.Sprintf("Fn::Transform %s is applied at deploy time", name))
	case "Fn::Length":
		v := e.evalDepth(arg, depth)
		if v.kind == kList {
			return scalar(strconv.Itoa(len(v.items)))
		}
		return unknown(cmp.Or(v.reason, "Fn::Length takes a list"))
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition":
		t, reason := e.condCall(fn, arg, depth)
		switch t {
		case tTrue:
			return scalar("true")
		case tFalse:
			return scalar("false")
		}
		return unknown(reason)
	}
	return unknown(fmt.Sprintf("%s is not evaluated by sagefence", fn))
}

// scalarArg evaluates an argument that must be a string.
func (e *evaluator) scalarArg(arg *yaml.Node, depth int) (string, bool) {
	v := e.evalDepth(arg, depth)
	return v.s, v.kind == kScalar
}

// ref resolves Ref NAME: a pseudo parameter, a parameter or a resource.
func (e *evaluator) ref(name string) value {
	if name == "AWS::NoValue" {
		return value{prov: model.Provenance{{Kind: model.StepNoValue, Name: "AWS::NoValue"}}}
	}
	if v, ok := e.pseudo[name]; ok {
		return v
	}
	if strings.HasPrefix(name, "AWS::") {
		return unknown(fmt.Sprintf("pseudo parameter %s is resolved at deploy time", name))
	}
	if v, ok := e.params[name]; ok {
		return v
	}
	if _, ok := e.resources[name]; ok {
		return value{kind: kRef, ref: name, prov: model.Provenance{{Kind: model.StepRef, Name: name}}}
	}
	return unknown(fmt.Sprintf("Ref %s names neither a parameter nor a resource of this template", name))
}

// getAtt resolves Fn::GetAtt: the physical ID of a resource for identity
// attributes, otherwise unknown until deploy.
func (e *evaluator) getAtt(arg *yaml.Node, depth int) value {
	var res, att string
	switch arg.Kind {
	case yaml.ScalarNode:
		res, att, _ = strings.Cut(arg.Value, ".")
	case yaml.SequenceNode:
		if len(arg.Content) != 2 {
			return unknown("Fn::GetAtt takes [resource, attribute]")
		}
		res = arg.Content[0].Value
		a := e.evalDepth(arg.Content[1], depth)
		if a.kind != kScalar {
			return unknown(fmt.Sprintf("Fn::GetAtt %s with an attribute that cannot be resolved: %s", res, a.reason))
		}
		att = a.s
	default:
		return unknown("Fn::GetAtt takes [resource, attribute]")
	}
	name := res + "." + att
	if _, ok := e.resources[res]; !ok {
		return unknown(fmt.Sprintf("Fn::GetAtt %s names no resource of this template", name))
	}
	if identityAttributes[att] {
		return value{kind: kRef, ref: res, prov: model.Provenance{{Kind: model.StepGetAtt, Name: name}}}
	}
	return setUnknown(fmt.Sprintf("Fn::GetAtt %s is resolved at deploy time", name))
}

// part is one piece of a string built by Fn::Sub or Fn::Join; placeholder is
// how the piece is written in the template, kept in best-effort text when
// the piece is unknown.
type part struct {
	v           value
	placeholder string
}

// concat joins evaluated parts into one string value. A single reference
// with nothing around it stays a reference (Fn::Sub "${Subnet}").
func (e *evaluator) concat(fn string, parts []part) value {
	var nonEmpty []part
	for _, p := range parts {
		if p.v.kind == kScalar && p.v.s == "" || p.v.kind == kAbsent {
			continue
		}
		nonEmpty = append(nonEmpty, p)
	}
	if len(nonEmpty) == 1 && nonEmpty[0].v.kind == kRef {
		return nonEmpty[0].v
	}
	size := 0
	for _, p := range parts {
		size += len(p.v.s) + len(p.v.text) + len(p.placeholder)
	}
	if size > maxStringBytes {
		// Aliases let a small template ask for gigabytes (a 1 MB scalar
		// joined with itself, level after level).
		return unknown(fmt.Sprintf("%s would produce more than %d MiB: not evaluated (evaluation budget)", fn, maxStringBytes>>20))
	}
	e.work += size
	if e.work > maxWorkBytes {
		return unknown(fmt.Sprintf("%s not evaluated: the template's strings exceed the evaluation budget of %d MiB (aliases joined again and again?)", fn, maxWorkBytes>>20))
	}
	var (
		b, text strings.Builder
		reason  string
		origins []model.Provenance
	)
	for _, p := range parts {
		if len(p.v.prov) > 0 && p.v.kind == kScalar {
			origins = append(origins, p.v.prov)
		}
		switch p.v.kind {
		case kScalar:
			b.WriteString(p.v.s)
			text.WriteString(p.v.s)
		case kAbsent:
		case kRef:
			if reason == "" {
				reason = fmt.Sprintf("%s uses the physical ID of resource %s, which is assigned at deploy time", fn, p.v.ref)
			}
			text.WriteString(p.placeholder)
		case kUnknown:
			if reason == "" {
				reason = p.v.reason
			}
			text.WriteString(cmp.Or(p.v.text, p.placeholder))
		default:
			if reason == "" {
				reason = fmt.Sprintf("%s of a list or mapping where a string is expected", fn)
			}
			text.WriteString(p.placeholder)
		}
	}
	if reason != "" {
		// The pieces are unknown but the result is a string: set.
		v := setUnknown(reason)
		v.text = text.String()
		return v
	}
	return value{kind: kScalar, s: b.String()}.computed(fn, origins...)
}

// sub evaluates Fn::Sub in both forms.
func (e *evaluator) sub(arg *yaml.Node, depth int) value {
	tmplNode := arg
	vars := map[string]value{}
	if arg.Kind == yaml.SequenceNode {
		if len(arg.Content) != 2 {
			return unknown("Fn::Sub takes a string or [string, variables]")
		}
		tmplNode = arg.Content[0]
		m := e.evalDepth(arg.Content[1], depth)
		for _, f := range m.fields {
			vars[f.key] = f.v
		}
	}
	t := e.evalDepth(tmplNode, depth)
	if t.kind != kScalar {
		return unknown(cmp.Or(t.reason, "Fn::Sub takes a string"))
	}
	var parts []part
	s := t.s
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			parts = append(parts, part{v: scalar(s), placeholder: s})
			break
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			parts = append(parts, part{v: scalar(s), placeholder: s})
			break
		}
		parts = append(parts, part{v: scalar(s[:i]), placeholder: s[:i]})
		expr := s[i+2 : i+j]
		whole := s[i : i+j+1]
		s = s[i+j+1:]
		if strings.HasPrefix(expr, "!") {
			lit := "${" + expr[1:] + "}"
			parts = append(parts, part{v: scalar(lit), placeholder: lit})
			continue
		}
		name := strings.TrimSpace(expr)
		var v value
		if vv, ok := vars[name]; ok {
			v = vv
		} else if res, att, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			v = e.getAtt(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: res}, {Kind: yaml.ScalarNode, Value: att}}}, depth)
		} else {
			v = e.ref(name)
		}
		if v.kind == kList {
			v = unknown(fmt.Sprintf("Fn::Sub variable %s is a list", name))
		}
		parts = append(parts, part{v: v, placeholder: whole})
	}
	return e.concat("Fn::Sub", parts)
}

// join evaluates Fn::Join [delimiter, list].
func (e *evaluator) join(arg *yaml.Node, depth int) value {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return unknown("Fn::Join takes [delimiter, list]")
	}
	delim, ok := e.scalarArg(arg.Content[0], depth)
	if !ok {
		return unknown("Fn::Join delimiter cannot be resolved")
	}
	list := e.evalDepth(arg.Content[1], depth)
	switch list.kind {
	case kUnknown:
		return list
	case kList:
	default:
		return unknown("Fn::Join takes a list")
	}
	// Placeholders come from the item nodes when the list is written out,
	// so best-effort text reads "${AWS::Region}" rather than "${?}".
	var itemNodes []*yaml.Node
	if ln := arg.Content[1]; ln.Kind == yaml.SequenceNode {
		if fn, _ := intrinsic(ln); fn == "" {
			itemNodes = ln.Content
		}
	}
	var parts []part
	for i, it := range list.items {
		if i > 0 {
			parts = append(parts, part{v: scalar(delim), placeholder: delim})
		}
		ph := "${?}"
		if len(itemNodes) == len(list.items) {
			ph = placeholderOf(itemNodes[i])
		}
		parts = append(parts, part{v: it, placeholder: ph})
	}
	return e.concat("Fn::Join", parts)
}

// selectFn evaluates Fn::Select [index, list].
func (e *evaluator) selectFn(arg *yaml.Node, depth int) value {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return unknown("Fn::Select takes [index, list]")
	}
	idx := e.evalDepth(arg.Content[0], depth)
	if idx.kind != kScalar {
		return unknown(cmp.Or(idx.reason, "Fn::Select index cannot be resolved"))
	}
	i, err := strconv.Atoi(strings.TrimSpace(idx.s))
	if err != nil {
		return unknown(fmt.Sprintf("Fn::Select index %q is not a number", idx.s))
	}
	list := e.evalDepth(arg.Content[1], depth)
	switch list.kind {
	case kUnknown:
		return unknown(list.reason)
	case kList:
		if i < 0 || i >= len(list.items) {
			return unknown(fmt.Sprintf("Fn::Select index %d is out of range (%d items)", i, len(list.items)))
		}
		return list.items[i].computed("Fn::Select", list.prov, list.items[i].prov)
	}
	return unknown("Fn::Select takes a list")
}

// split evaluates Fn::Split [delimiter, string].
func (e *evaluator) split(arg *yaml.Node, depth int) value {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return unknown("Fn::Split takes [delimiter, string]")
	}
	delim, ok := e.scalarArg(arg.Content[0], depth)
	if !ok || delim == "" {
		return unknown("Fn::Split delimiter cannot be resolved")
	}
	s := e.evalDepth(arg.Content[1], depth)
	switch s.kind {
	case kUnknown:
		return unknown(s.reason)
	case kRef:
		return value{kind: kList, items: []value{s}}
	case kScalar:
		out := value{kind: kList}.computed("Fn::Split", s.prov)
		for _, p := range strings.Split(s.s, delim) {
			out.items = append(out.items, value{kind: kScalar, s: p}.computed("Fn::Split", s.prov))
		}
		return out
	}
	return unknown("Fn::Split takes a string")
}

// ifFn evaluates Fn::If [condition, then, else].
func (e *evaluator) ifFn(arg *yaml.Node, depth int) value {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
		return unknown("Fn::If takes [condition, value if true, value if false]")
	}
	name := arg.Content[0].Value
	c := e.condition(name)
	switch c.t {
	case tTrue:
		return e.evalDepth(arg.Content[1], depth).through(model.Step{Kind: model.StepCondition, Name: name, Detail: "true"})
	case tFalse:
		return e.evalDepth(arg.Content[2], depth).through(model.Step{Kind: model.StepCondition, Name: name, Detail: "false"})
	}
	a, b := e.evalDepth(arg.Content[1], depth), e.evalDepth(arg.Content[2], depth)
	if a.kind == b.kind && (a.kind == kScalar && a.s == b.s || a.kind == kRef && a.ref == b.ref) {
		return a
	}
	return unknown(fmt.Sprintf("Fn::If on condition %s, which cannot be resolved: %s", name, c.reason))
}

// findInMap evaluates Fn::FindInMap [map, top key, second key, {DefaultValue}].
func (e *evaluator) findInMap(arg *yaml.Node, depth int) value {
	if arg.Kind != yaml.SequenceNode || len(arg.Content) < 3 {
		return unknown("Fn::FindInMap takes [map, top-level key, second-level key]")
	}
	var (
		keys      [3]string
		keyOrigin []model.Step
	)
	for i := 0; i < 3; i++ {
		k := e.evalDepth(arg.Content[i], depth)
		if k.kind != kScalar {
			return unknown(fmt.Sprintf("Fn::FindInMap key cannot be resolved: %s", cmp.Or(k.reason, "not a string")))
		}
		keys[i] = k.s
		keyOrigin = append(keyOrigin, k.prov...)
	}
	path := strings.Join(keys[:], ".")
	fallback := func(reason string) value {
		if len(arg.Content) == 4 {
			if d, ok := e.evalDepth(arg.Content[3], depth).get("DefaultValue"); ok {
				return d.through(model.Step{Kind: model.StepMappingDefault, Name: path})
			}
		}
		return unknown(reason)
	}
	top := mapValue(e.mappings, keys[0])
	if top == nil {
		return fallback(fmt.Sprintf("Fn::FindInMap: mapping %s is not defined", keys[0]))
	}
	second := mapValue(top, keys[1])
	if second == nil {
		return fallback(fmt.Sprintf("Fn::FindInMap: mapping %s has no key %s", keys[0], keys[1]))
	}
	leaf := mapValue(second, keys[2])
	if leaf == nil {
		return fallback(fmt.Sprintf("Fn::FindInMap: mapping %s.%s has no key %s", keys[0], keys[1], keys[2]))
	}
	v := e.evalDepth(leaf, depth)
	step := model.Step{Kind: model.StepMapping, Name: path, Range: model.Range{File: e.src.path, StartLine: leaf.Line, EndLine: leaf.Line}, Inputs: keyOrigin}
	if len(v.prov) == 0 {
		v.prov = model.Provenance{step}
		return v
	}
	return v.computed("Fn::FindInMap", model.Provenance{step}, v.prov)
}

// condition evaluates a named condition once.
func (e *evaluator) condition(name string) condResult {
	c := e.condCache[name]
	if c.done {
		return c
	}
	if c.busy {
		return condResult{reason: fmt.Sprintf("condition %s refers to itself", name)}
	}
	node, ok := e.conditions[name]
	if !ok {
		return condResult{reason: fmt.Sprintf("condition %s is not defined", name), done: true}
	}
	e.condCache[name] = condResult{busy: true}
	t, reason := e.condNode(node, 0)
	c = condResult{t: t, reason: reason, done: true}
	e.condCache[name] = c
	return c
}

// condNode evaluates a condition expression.
func (e *evaluator) condNode(n *yaml.Node, depth int) (truth, string) {
	if depth > maxDepth {
		return tUnknown, "condition is too deeply nested"
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == "Condition" {
		c := e.condition(n.Content[1].Value)
		return c.t, c.reason
	}
	if fn, arg := intrinsic(n); fn != "" {
		return e.condCall(fn, arg, depth+1)
	}
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "true":
			return tTrue, ""
		case "false":
			return tFalse, ""
		}
	}
	return tUnknown, "condition is not a condition function"
}

// condCall evaluates one condition function.
func (e *evaluator) condCall(fn string, arg *yaml.Node, depth int) (truth, string) {
	switch fn {
	case "Condition":
		c := e.condition(arg.Value)
		return c.t, c.reason
	case "Fn::Equals":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
			return tUnknown, "Fn::Equals takes two values"
		}
		a, b := e.evalDepth(arg.Content[0], depth), e.evalDepth(arg.Content[1], depth)
		for _, v := range []value{a, b} {
			if v.kind == kUnknown {
				return tUnknown, v.reason
			}
		}
		if a.kind == kRef || b.kind == kRef {
			if a.kind == kRef && b.kind == kRef && a.ref == b.ref {
				return tTrue, ""
			}
			return tUnknown, "Fn::Equals compares a resource's physical ID, which is assigned at deploy time"
		}
		return truthOf(a.describe() == b.describe()), ""
	case "Fn::Not":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 1 {
			return tUnknown, "Fn::Not takes one condition"
		}
		t, r := e.condNode(arg.Content[0], depth)
		switch t {
		case tTrue:
			return tFalse, ""
		case tFalse:
			return tTrue, ""
		}
		return tUnknown, r
	case "Fn::And", "Fn::Or":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) == 0 {
			return tUnknown, fn + " takes a list of conditions"
		}
		decisive, other := tFalse, tTrue
		if fn == "Fn::Or" {
			decisive, other = tTrue, tFalse
		}
		reason := ""
		for _, c := range arg.Content {
			t, r := e.condNode(c, depth)
			if t == decisive {
				return decisive, ""
			}
			if t == tUnknown && reason == "" {
				reason = r
			}
		}
		if reason != "" {
			return tUnknown, reason
		}
		return other, ""
	case "Fn::If":
		v := e.ifFn(arg, depth)
		if v.kind == kScalar {
			return truthOf(strings.EqualFold(v.s, "true")), ""
		}
		return tUnknown, v.reason
	}
	return tUnknown, fmt.Sprintf("%s is not a condition function", fn)
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// placeholderOf renders a node the way Fn::Sub would write it: ${Name} for a
// Ref, ${Res.Att} for a Fn::GetAtt, ${?} otherwise.
func placeholderOf(n *yaml.Node) string {
	fn, arg := intrinsic(n)
	switch {
	case fn == "Ref" && arg.Kind == yaml.ScalarNode:
		return "${" + arg.Value + "}"
	case fn == "Fn::GetAtt" && arg.Kind == yaml.ScalarNode:
		return "${" + arg.Value + "}"
	case fn == "Fn::GetAtt" && arg.Kind == yaml.SequenceNode && len(arg.Content) == 2:
		return "${" + arg.Content[0].Value + "." + arg.Content[1].Value + "}"
	case fn == "" && n.Kind == yaml.ScalarNode:
		return n.Value
	}
	return "${?}"
}
