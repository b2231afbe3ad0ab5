package tfplan

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
)

// attrs reads the attributes of one instance (or of one nested block of
// it) into model values. cfg is the configuration's expressions for the same
// object; hasConfig is false for a state, where nothing says what was written.
type attrs struct {
	b         *builder
	inst      *instance
	path      string // attribute path prefix for messages: "" or "egress[0]."
	after     map[string]any
	unknown   map[string]any
	sensitive map[string]any
	cfg       map[string]*tfjson.Expression
	hasConfig bool
	sc        scope
	// sharedRefs are the references of the enclosing block attribute, used
	// for nested objects whose own expressions the plan does not record.
	sharedRefs []string
}

func (a *attrs) rangeOf() model.Range { return model.Range{File: a.b.file} }

// isUnknown reports whether the attribute is known only after apply.
func (a *attrs) isUnknown(name string) bool {
	v, ok := a.unknown[name].(bool)
	return ok && v
}

// written reports whether the configuration writes the attribute. Without
// configuration (a state) every attribute counts as written.
func (a *attrs) written(name string) bool {
	if !a.hasConfig {
		return true
	}
	e, ok := a.cfg[name]
	return ok && e != nil
}

// refs are the references of the attribute's configuration expression.
func (a *attrs) refs(name string) []string {
	if e := a.cfg[name]; e != nil && e.ExpressionData != nil {
		return e.References
	}
	return a.sharedRefs
}

// link resolves the references of an identifier attribute and keeps the
// instances of the types the attribute can name (refTargets).
func (a *attrs) link(name string, many bool) linkResult {
	res := a.b.res.resolve(a.sc, a.refs(name), many)
	if a.sharedRefs != nil && a.cfg[name] == nil {
		// Shared references name other blocks' targets too: they are not
		// missing values of this one.
		res.unlinked = nil
	}
	types, ok := refTargets[name]
	if !ok {
		return res
	}
	kept := res.linked[:0:0]
	for _, addr := range res.linked {
		if contains(types, a.b.typeOf[addr]) {
			kept = append(kept, addr)
		}
	}
	res.linked = kept
	return res
}

// nullFromConstants reports an unknown attribute whose expression depends
// only on constants: a non-null constant would be known in the plan, so the
// expression gave null and the provider computes the value (as if omitted).
func (r linkResult) nullFromConstants() bool {
	return len(r.linked) == 0 && len(r.unlinked) == 0 && r.constants > 0
}

// refTargets are the resource types an identifier attribute can name.
var refTargets = map[string][]string{
	"subnet_id":                    {typeSubnet},
	"subnet_ids":                   {typeSubnet},
	"vpc_id":                       {"aws_vpc"},
	"security_groups":              {typeSecurityGroup, typeDefaultSecurityGroup},
	"security_group_ids":           {typeSecurityGroup, typeDefaultSecurityGroup},
	"security_group_id":            {typeSecurityGroup, typeDefaultSecurityGroup},
	"route_table_id":               {typeRouteTable, typeDefaultRouteTable},
	"route_table_ids":              {typeRouteTable, typeDefaultRouteTable},
	"lifecycle_config_name":        {typeLifecycle},
	"default_route_table_id":       {"aws_vpc"},
	"source_security_group_id":     {typeSecurityGroup, typeDefaultSecurityGroup},
	"referenced_security_group_id": {typeSecurityGroup, typeDefaultSecurityGroup},
}

// The route target attributes name the resource types awsfacts knows.
func init() {
	for _, a := range awsfacts.RouteTargetAttributes {
		refTargets[a.Terraform] = a.ResourceTypes()
	}
}

// provenance is the plan step of an attribute: the instance in the plan
// file, with the references its configuration wrote.
func (a *attrs) provenance(name string) model.Provenance {
	step := model.Step{Kind: model.StepPlan, Name: a.inst.Address, Range: model.Range{File: a.b.file}}
	if r := a.refs(name); len(r) > 0 {
		step.Detail = strings.Join(significantRefs(r), ", ")
	}
	if v, ok := a.sensitive[name].(bool); ok && v {
		step.Via = "sensitive"
	}
	return model.Provenance{step}
}

// significantRefs drops the prefix forms Terraform lists after each reference.
func significantRefs(refs []string) []string {
	var out []string
	for _, r := range refs {
		if !isPrefixOfAny(r, out) && !contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func (a *attrs) resolution(name string) model.Resolution {
	if a.written(name) {
		return model.Explicit
	}
	return model.Default
}

func (a *attrs) unknownReason(name string) string {
	r := fmt.Sprintf("%s.%s%s is known only after apply", a.inst.Address, a.path, name)
	if refs := significantRefs(a.refs(name)); len(refs) > 0 {
		r += " (it is computed from " + strings.Join(refs, ", ") + ")"
	}
	return r
}

// str reads a string attribute. For an identifier (ref true), a known value
// is linked to the instance with that id, and an unknown one to the
// resource its expression references.
func (a *attrs) str(name string, ref bool) model.Str {
	rng := a.rangeOf()
	if a.isUnknown(name) {
		if !a.written(name) {
			return model.Str{Resolution: model.Default, Range: rng}
		}
		if ref {
			l := a.link(name, false)
			switch {
			case len(l.linked) == 1:
				return model.Str{Ref: l.linked[0], Resolution: model.Explicit, Provenance: a.provenance(name), Range: rng}
			case len(l.linked) == 0 && len(l.unlinked) == 1 && strings.HasPrefix(l.unlinked[0], "local."):
				// Set through a local the plan does not record: set, not linked.
				return model.Str{Ref: l.unlinked[0], Resolution: model.Explicit, Provenance: a.provenance(name), Range: rng}
			case l.nullFromConstants():
				return model.Str{Resolution: model.Default, Range: rng}
			}
		}
		return model.Str{Resolution: model.Unknown, Reason: a.unknownReason(name), Range: rng}
	}
	v := a.after[name]
	s, ok := scalarString(v)
	switch {
	case v != nil && !ok:
		return model.Str{Resolution: model.Unknown, Range: rng,
			Reason: fmt.Sprintf("%s.%s%s is not a string in the plan", a.inst.Address, a.path, name)}
	case s == "":
		// Null, absent or empty: omitted (a state stores "" for unset strings).
		return model.Str{Resolution: model.Default, Range: rng}
	}
	out := model.Str{V: s, Resolution: a.resolution(name), Provenance: a.provenance(name), Range: rng}
	if ref {
		out.Ref = a.linkKnown(name, s)
	}
	return out
}

// linkKnown links a known identifier to an instance: by id, else through the
// configuration's references.
func (a *attrs) linkKnown(name, id string) string {
	if addr, ok := a.b.byID[id]; ok {
		return addr
	}
	if l := a.link(name, false); len(l.linked) == 1 {
		if addr := l.linked[0]; a.b.idOf[addr] == "" || a.b.idOf[addr] == id {
			return addr
		}
	}
	return ""
}

// list reads a list/set of identifiers (security groups, subnet IDs).
func (a *attrs) list(name string) model.List {
	rng := a.rangeOf()
	if a.isUnknown(name) {
		if !a.written(name) {
			return model.List{Resolution: model.Default, Range: rng}
		}
		lr := a.link(name, true)
		if lr.nullFromConstants() {
			return model.List{Resolution: model.Default, Range: rng}
		}
		if len(lr.linked) == 0 && len(lr.unlinked) == 0 {
			return model.List{Resolution: model.Unknown, Reason: a.unknownReason(name), Range: rng}
		}
		l := model.List{Resolution: model.Explicit, Provenance: a.provenance(name), Range: rng}
		for _, addr := range lr.linked {
			l.Items = append(l.Items, model.Str{Ref: addr, Resolution: model.Explicit, Provenance: l.Provenance, Range: rng})
		}
		for _, u := range lr.unlinked {
			l.Items = append(l.Items, model.Str{Resolution: model.Unknown, Range: rng,
				Reason: fmt.Sprintf("an item of %s.%s%s comes from %s and is known only after apply", a.inst.Address, a.path, name, u)})
		}
		return l
	}
	v, present := a.after[name]
	if !present || v == nil {
		return model.List{Resolution: model.Default, Range: rng}
	}
	items, ok := v.([]any)
	if !ok {
		return model.List{Resolution: model.Unknown, Range: rng,
			Reason: fmt.Sprintf("%s.%s%s is not a list in the plan", a.inst.Address, a.path, name)}
	}
	res := a.resolution(name)
	if len(items) == 0 && !a.hasConfig {
		res = model.Default
	}
	l := model.List{Resolution: res, Provenance: a.provenance(name), Range: rng}
	elemUnknown, _ := a.unknown[name].([]any)
	var pending []int
	for i, it := range items {
		if i < len(elemUnknown) {
			if u, _ := elemUnknown[i].(bool); u {
				pending = append(pending, len(l.Items))
				l.Items = append(l.Items, model.Str{Resolution: model.Unknown, Range: rng,
					Reason: fmt.Sprintf("%s.%s%s[%d] is known only after apply", a.inst.Address, a.path, name, i)})
				continue
			}
		}
		s, ok := scalarString(it)
		if !ok {
			continue
		}
		item := model.Str{V: s, Resolution: res, Provenance: l.Provenance, Range: rng}
		item.Ref = a.b.byID[s]
		l.Items = append(l.Items, item)
	}
	if len(pending) > 0 {
		// Fill unknown elements with the referenced instances that no known
		// element already names, in reference order.
		var free []string
		for _, addr := range a.link(name, true).linked {
			if !itemsRef(l.Items, addr) {
				free = append(free, addr)
			}
		}
		for i, idx := range pending {
			if i < len(free) {
				l.Items[idx] = model.Str{Ref: free[i], Resolution: model.Explicit, Provenance: l.Provenance, Range: rng}
			}
		}
	}
	return l
}

func itemsRef(items []model.Str, addr string) bool {
	for _, it := range items {
		if it.Ref == addr {
			return true
		}
	}
	return false
}

// boolean reads a bool attribute.
func (a *attrs) boolean(name string) model.Bool {
	rng := a.rangeOf()
	if a.isUnknown(name) {
		if !a.written(name) {
			return model.Bool{Resolution: model.Default, Range: rng}
		}
		return model.Bool{Resolution: model.Unknown, Reason: a.unknownReason(name), Range: rng}
	}
	v, ok := a.after[name].(bool)
	if !ok {
		return model.Bool{Resolution: model.Default, Range: rng}
	}
	return model.Bool{V: v, Resolution: a.resolution(name), Provenance: a.provenance(name), Range: rng}
}

// integer reads a number attribute.
func (a *attrs) integer(name string) model.Int {
	rng := a.rangeOf()
	if a.isUnknown(name) {
		return model.Int{Resolution: model.Unknown, Reason: a.unknownReason(name), Range: rng}
	}
	switch v := a.after[name].(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return model.Int{V: n, Resolution: a.resolution(name), Range: rng}
		}
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return model.Int{V: int64(f), Resolution: a.resolution(name), Range: rng}
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return model.Int{V: int64(v), Resolution: a.resolution(name), Range: rng}
		}
	case nil:
		return model.Int{Resolution: model.Default, Range: rng}
	}
	return model.Int{Resolution: model.Unknown, Range: rng,
		Reason: fmt.Sprintf("%s.%s%s is not an integer in the plan", a.inst.Address, a.path, name)}
}

// blocks returns the nested objects of a block/object-list attribute, each
// with its own unknown/sensitive marks and the configuration of the block
// at the same position when the configuration records blocks. known is
// false when the whole list is known only after apply.
func (a *attrs) blocks(name string) (out []*attrs, known bool) {
	if a.isUnknown(name) {
		return nil, false
	}
	items, _ := a.after[name].([]any)
	unk, _ := a.unknown[name].([]any)
	sens, _ := a.sensitive[name].([]any)
	var shared []string
	if e := a.cfg[name]; e != nil && e.ExpressionData != nil {
		shared = e.References
		for _, blk := range e.NestedBlocks {
			for _, be := range blk {
				if be != nil && be.ExpressionData != nil {
					shared = append(shared, be.References...)
				}
			}
		}
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		// Every field present in a nested object counts as written; set-typed
		// blocks are reordered in the plan, so the configuration's references
		// are shared by all elements (and filtered by target type).
		child := &attrs{b: a.b, inst: a.inst, path: fmt.Sprintf("%s%s[%d].", a.path, name, i),
			after: m, unknown: map[string]any{}, sensitive: map[string]any{}, sc: a.sc,
			sharedRefs: shared}
		if shared == nil {
			child.sharedRefs = []string{}
		}
		if i < len(unk) {
			if u, ok := unk[i].(map[string]any); ok {
				child.unknown = u
			}
		}
		if i < len(sens) {
			if s, ok := sens[i].(map[string]any); ok {
				child.sensitive = s
			}
		}
		out = append(out, child)
	}
	return out, true
}

// scalarString renders a JSON scalar as a string.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
