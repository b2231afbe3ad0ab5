package terraform

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
)

func toRange(r hcl.Range) model.Range {
	if r.Filename == "" {
		return model.Range{}
	}
	return model.Range{File: r.Filename, StartLine: r.Start.Line, EndLine: r.End.Line}
}

// meta fills what every resource carries.
func (mi *modInst) meta(decl *resourceDecl, inst *resInst) model.Meta {
	supps := append(append([]model.Suppression(nil), mi.supps...), decl.supps...)
	return model.Meta{Surface: model.SurfaceTerraform, Type: decl.typ, Address: inst.addr, Key: inst.addr,
		Range: toRange(decl.rng), Suppressions: supps, Managed: true, Root: mi.re.rootRel(), ModuleCalls: mi.calls}
}

// valueStr converts one value to a model.Str (without range and origin).
func valueStr(v cty.Value, def string) model.Str {
	top := topMarks(v)
	all := marksOf(v)
	u := unmarked(v)
	if u.IsNull() {
		return model.Str{V: def, Resolution: model.Default}
	}
	if !u.IsKnown() {
		if len(all.refs) == 1 {
			return model.Str{Ref: all.refs[0], Resolution: model.Explicit}
		}
		if len(all.refs) > 1 {
			return model.Str{Resolution: model.Unknown, Reason: fmt.Sprintf("the value is one of %s, chosen at apply", strings.Join(all.refs, ", "))}
		}
		out := model.Str{Resolution: model.Unknown, Reason: all.reason("the value is known only after apply")}
		if _, ms := v.Unmark(); len(ms) > 0 {
			out.V, _ = onlyTemplate(ms)
		}
		return out
	}
	s, err := convert.Convert(u, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return model.Str{Resolution: model.Unknown, Reason: fmt.Sprintf("the value is a %s, not a string", u.Type().FriendlyName())}
	}
	out := model.Str{V: s.AsString(), Resolution: model.Explicit}
	if len(top.refs) == 1 {
		out.Ref = top.refs[0]
	}
	return out
}

// str reads a string attribute; def is the value an omitted attribute takes.
func (mi *modInst) str(bv *bodyVal, name, def string) model.Str {
	a, ok := bv.attrs[name]
	if !ok {
		return model.Str{V: def, Resolution: model.Default}
	}
	out := valueStr(a.v, def)
	if why := mi.maybeNull(a); why != "" {
		out = model.Str{Resolution: model.Unknown, Reason: why}
	}
	out.Range = toRange(a.rng)
	switch out.Resolution {
	case model.Explicit:
		out.Provenance = mi.provenance(a.expr)
	case model.Unknown:
		// Unknown values keep their provenance too: it names the input
		// that has no value.
		out.Provenance = mi.provenance(a.expr)
		out.Present = mi.neverNull(a.expr, 0)
	}
	return out
}

// list reads a list or set attribute.
func (mi *modInst) list(bv *bodyVal, name string) model.List {
	a, ok := bv.attrs[name]
	if !ok {
		return model.List{Resolution: model.Default}
	}
	out := listValue(a.v)
	out.Range = toRange(a.rng)
	if out.Resolution == model.Explicit {
		out.Provenance = mi.provenance(a.expr)
	}
	return out
}

func listValue(v cty.Value) model.List {
	top := topMarks(v)
	u, _ := v.Unmark()
	if u.IsNull() {
		return model.List{Resolution: model.Default}
	}
	if !u.IsKnown() {
		info := marksOf(v)
		reason := info.reason("the list is known only after apply")
		if len(info.refs) > 0 {
			reason += " (it would hold " + strings.Join(info.refs, ", ") + ")"
		}
		return model.List{Resolution: model.Unknown, Reason: reason}
	}
	ty := u.Type()
	if !(ty.IsListType() || ty.IsSetType() || ty.IsTupleType()) {
		// a single string where a list is expected
		return model.List{Items: []model.Str{valueStr(v, "")}, Resolution: model.Explicit}
	}
	out := model.List{Resolution: model.Explicit}
	var unknownItems []int
	for it := u.ElementIterator(); it.Next(); {
		_, e := it.Element()
		s := valueStr(e, "")
		if ty.IsSetType() && !e.IsKnown() {
			unknownItems = append(unknownItems, len(out.Items))
		}
		out.Items = append(out.Items, s)
	}
	// Sets hoist their elements' marks onto the set: give the unknown items
	// the references in order when they match one to one.
	if len(unknownItems) > 0 && len(unknownItems) == len(top.refs) {
		for i, idx := range unknownItems {
			out.Items[idx] = model.Str{Ref: top.refs[i], Resolution: model.Explicit}
		}
	}
	return out
}

func (mi *modInst) boolAttr(bv *bodyVal, name string, def bool) model.Bool {
	a, ok := bv.attrs[name]
	if !ok {
		return model.Bool{V: def, Resolution: model.Default}
	}
	u := unmarked(a.v)
	out := model.Bool{Range: toRange(a.rng)}
	switch {
	case u.IsNull():
		out.V, out.Resolution = def, model.Default
	case !u.IsKnown():
		out.Resolution, out.Reason = model.Unknown, marksOf(a.v).reason("the value is known only after apply")
	default:
		b, err := convert.Convert(u, cty.Bool)
		if err != nil || b.IsNull() {
			out.Resolution, out.Reason = model.Unknown, "the value is not a bool"
			return out
		}
		out.V, out.Resolution, out.Provenance = b.True(), model.Explicit, mi.provenance(a.expr)
	}
	return out
}

func intValue(v cty.Value, rng model.Range) model.Int {
	u := unmarked(v)
	out := model.Int{Range: rng}
	switch {
	case u.IsNull():
		out.Resolution = model.Default
	case !u.IsKnown():
		out.Resolution, out.Reason = model.Unknown, marksOf(v).reason("the value is known only after apply")
	default:
		n, err := convert.Convert(u, cty.Number)
		if err != nil || n.IsNull() {
			out.Resolution, out.Reason = model.Unknown, "the value is not a number"
			return out
		}
		i, acc := n.AsBigFloat().Int64()
		if acc != big.Exact {
			out.Resolution, out.Reason = model.Unknown, "the value is not a whole number"
			return out
		}
		out.V, out.Resolution = i, model.Explicit
	}
	return out
}

// nested returns the objects of a nested block type, whether written as
// blocks or as an attribute (`egress = [...]`, JSON). declared reports
// whether the configuration states them at all; known is false when their
// number is unknown.
func nested(bv *bodyVal, name string) (items []map[string]cty.Value, ranges []hcl.Range, declared, known bool, reason string) {
	if r, ok := bv.unknown[name]; ok {
		return nil, nil, true, false, r
	}
	if bs, ok := bv.blocks[name]; ok {
		for _, b := range bs {
			items = append(items, b.object())
			ranges = append(ranges, b.rng)
		}
		return items, ranges, true, true, ""
	}
	a, ok := bv.attrs[name]
	if !ok {
		return nil, nil, false, true, ""
	}
	u, _ := a.v.Unmark()
	if u.IsNull() {
		return nil, nil, true, true, ""
	}
	if !u.IsKnown() {
		return nil, nil, true, false, marksOf(a.v).reason(name + " is known only after apply")
	}
	if u.Type().IsObjectType() || u.Type().IsMapType() {
		u = cty.TupleVal([]cty.Value{u})
	}
	if !u.CanIterateElements() {
		return nil, nil, true, false, name + " is not a list of objects"
	}
	for it := u.ElementIterator(); it.Next(); {
		_, e := it.Element()
		e, _ = e.Unmark()
		if !e.IsKnown() || e.IsNull() || !(e.Type().IsObjectType() || e.Type().IsMapType()) {
			return nil, nil, true, false, name + " holds values unknown before apply"
		}
		m := map[string]cty.Value{}
		for it2 := e.ElementIterator(); it2.Next(); {
			k, v := it2.Element()
			m[k.AsString()] = v
		}
		items = append(items, m)
		ranges = append(ranges, a.rng)
	}
	return items, ranges, true, true, ""
}

// objStr reads a string from an evaluated nested object.
func objStr(obj map[string]cty.Value, name string) model.Str {
	v, ok := obj[name]
	if !ok {
		return model.Str{Resolution: model.Default}
	}
	return valueStr(v, "")
}

func objList(obj map[string]cty.Value, name string) []model.Str {
	v, ok := obj[name]
	if !ok {
		return nil
	}
	l := listValue(v)
	if !l.Known() {
		return []model.Str{{Resolution: model.Unknown, Reason: l.Reason}}
	}
	return l.Items
}

// modelKinds are the resource types the model holds, with the kind of model
// resource each fills (a route or association fills its route table);
// other resources are evaluated only when referenced.
var modelKinds = map[string]model.Kind{
	"aws_sagemaker_notebook_instance":                         model.KindNotebookInstance,
	"aws_sagemaker_domain":                                    model.KindDomain,
	"aws_sagemaker_notebook_instance_lifecycle_configuration": model.KindLifecycleConfig,
	"aws_subnet":                               model.KindSubnet,
	"aws_route_table":                          model.KindRouteTable,
	"aws_default_route_table":                  model.KindRouteTable,
	"aws_route":                                model.KindRouteTable,
	"aws_route_table_association":              model.KindRouteTable,
	"aws_main_route_table_association":         model.KindRouteTable,
	"aws_nat_gateway":                          model.KindNATGateway,
	"aws_vpc_endpoint":                         model.KindVPCEndpoint,
	"aws_vpc_endpoint_route_table_association": model.KindVPCEndpoint,
	"aws_vpc_endpoint_subnet_association":      model.KindVPCEndpoint,
	"aws_security_group":                       model.KindSecurityGroup,
	"aws_default_security_group":               model.KindSecurityGroup,
	"aws_security_group_rule":                  model.KindSecurityGroup,
	"aws_vpc_security_group_egress_rule":       model.KindSecurityGroup,
}

// mapResource adds one resource instance to the Set.
func (mi *modInst) mapResource(decl *resourceDecl, inst *resInst) {
	set, bv, net := mi.re.set, inst.body, mi.re.net
	set.Sensitive = append(set.Sensitive, bv.sensitiveStrings()...)
	m := mi.meta(decl, inst)
	switch decl.typ {
	case "aws_sagemaker_notebook_instance":
		nb := &model.NotebookInstance{Meta: m,
			DirectInternetAccess: mi.str(bv, "direct_internet_access", awsfacts.DefaultDirectInternetAccess),
			SubnetID:             mi.str(bv, "subnet_id", ""),
			SecurityGroups:       mi.list(bv, "security_groups"),
			LifecycleConfigName:  mi.str(bv, "lifecycle_config_name", ""),
		}
		nb.Name = knownName(mi.str(bv, "name", ""))
		set.Notebooks = append(set.Notebooks, nb)
	case "aws_sagemaker_domain":
		d := &model.Domain{Meta: m,
			AppNetworkAccessType: mi.str(bv, "app_network_access_type", awsfacts.DefaultAppNetworkAccessType),
			VpcID:                mi.str(bv, "vpc_id", ""),
			SubnetIDs:            mi.list(bv, "subnet_ids"),
		}
		d.Name = knownName(mi.str(bv, "domain_name", ""))
		set.Domains = append(set.Domains, d)
	case "aws_sagemaker_notebook_instance_lifecycle_configuration":
		lc := &model.LifecycleConfig{Meta: m}
		lc.Name = knownName(mi.str(bv, "name", ""))
		for _, hook := range []string{"on_create", "on_start"} {
			if a, ok := bv.attrs[hook]; ok {
				if s, present := scriptValue(hook, a); present {
					s.Provenance = mi.provenance(a.expr)
					lc.Scripts = append(lc.Scripts, s)
				}
			}
		}
		set.LifecycleConfigs = append(set.LifecycleConfigs, lc)
	case "aws_subnet":
		set.Subnets = append(set.Subnets, &model.Subnet{Meta: m, VpcID: mi.str(bv, "vpc_id", "")})
	case "aws_route_table", "aws_default_route_table":
		rt := &model.RouteTable{Meta: m, VpcID: mi.str(bv, "vpc_id", ""), Complete: true}
		if decl.typ == "aws_default_route_table" {
			rt.Main = true
			id := mi.str(bv, "default_route_table_id", "")
			if a, ok := bv.attrs["default_route_table_id"]; ok {
				if owners := marksOf(a.v).owners; len(owners) == 1 {
					rt.VpcID = model.Str{Ref: owners[0], Resolution: model.Explicit, Range: id.Range}
				}
			}
		}
		items, ranges, _, known, reason := nested(bv, "route")
		if !known {
			rt.Complete, rt.Reason = false, reason
		}
		for i, obj := range items {
			rt.Routes = append(rt.Routes, routeFrom(obj, toRange(ranges[i])))
		}
		set.RouteTables = append(set.RouteTables, rt)
	case "aws_route":
		net.routes = append(net.routes, pendingRoute{
			table: mi.str(bv, "route_table_id", ""), addr: inst.addr,
			route: routeFrom(bv.object(), toRange(decl.rng)),
		})
	case "aws_route_table_association":
		net.assocs = append(net.assocs, pendingAssoc{table: mi.str(bv, "route_table_id", ""), subnet: mi.str(bv, "subnet_id", "")})
	case "aws_main_route_table_association":
		net.mains = append(net.mains, pendingAssoc{table: mi.str(bv, "route_table_id", ""), subnet: mi.str(bv, "vpc_id", "")})
	case "aws_nat_gateway":
		set.NATGateways = append(set.NATGateways, &model.NATGateway{Meta: m, SubnetID: mi.str(bv, "subnet_id", "")})
	case "aws_vpc_endpoint":
		set.VPCEndpoints = append(set.VPCEndpoints, &model.VPCEndpoint{Meta: m,
			VpcID: mi.str(bv, "vpc_id", ""), ServiceName: mi.str(bv, "service_name", ""),
			Type:              mi.str(bv, "vpc_endpoint_type", awsfacts.DefaultEndpointType),
			PrivateDNSEnabled: mi.boolAttr(bv, "private_dns_enabled", awsfacts.DefaultPrivateDNSEnabled),
			RouteTableIDs:     mi.list(bv, "route_table_ids"), SubnetIDs: mi.list(bv, "subnet_ids"),
			SecurityGroupIDs: mi.list(bv, "security_group_ids"),
		})
	case "aws_vpc_endpoint_route_table_association":
		net.endpointRTs = append(net.endpointRTs, pendingAssoc{table: mi.str(bv, "vpc_endpoint_id", ""), subnet: mi.str(bv, "route_table_id", "")})
	case "aws_vpc_endpoint_subnet_association":
		net.endpointSubnets = append(net.endpointSubnets, pendingAssoc{table: mi.str(bv, "vpc_endpoint_id", ""), subnet: mi.str(bv, "subnet_id", "")})
	case "aws_security_group", "aws_default_security_group":
		sg := &model.SecurityGroup{Meta: m, VpcID: mi.str(bv, "vpc_id", ""), EgressComplete: true,
			VPCDefault: decl.typ == "aws_default_security_group"}
		items, ranges, declared, known, reason := nested(bv, "egress")
		sg.EgressDeclared = declared
		if !known {
			sg.EgressComplete, sg.Reason = false, reason
		}
		for i, obj := range items {
			sg.Egress = append(sg.Egress, inlineRule(obj, toRange(ranges[i])))
		}
		set.SecurityGroups = append(set.SecurityGroups, sg)
	case "aws_security_group_rule":
		if t := mi.str(bv, "type", ""); t.Known() && t.V != "egress" {
			return
		} else if !t.Known() {
			net.rules = append(net.rules, pendingRule{group: mi.str(bv, "security_group_id", ""), unknown: "the rule's type is unknown before apply"})
			return
		}
		obj := bv.object()
		rule := inlineRule(obj, toRange(decl.rng))
		rule.Address = inst.addr
		if sgID := objStr(obj, "source_security_group_id"); sgID.Resolution != model.Default {
			rule.SecurityGroups = append(rule.SecurityGroups, sgID)
		}
		net.rules = append(net.rules, pendingRule{group: mi.str(bv, "security_group_id", ""), rule: rule})
	case "aws_vpc_security_group_egress_rule":
		obj := bv.object()
		rule := model.SGRule{Protocol: lowerStr(objStr(obj, "ip_protocol")), Range: toRange(decl.rng), Address: inst.addr,
			FromPort: intValue(obj["from_port"], toRange(decl.rng)), ToPort: intValue(obj["to_port"], toRange(decl.rng))}
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6"} {
			if s := objStr(obj, k); s.Resolution != model.Default {
				rule.CIDRs = append(rule.CIDRs, s)
			}
		}
		if s := objStr(obj, "prefix_list_id"); s.Resolution != model.Default {
			rule.PrefixListIDs = append(rule.PrefixListIDs, s)
		}
		if s := objStr(obj, "referenced_security_group_id"); s.Resolution != model.Default {
			rule.SecurityGroups = append(rule.SecurityGroups, s)
		}
		net.rules = append(net.rules, pendingRule{group: mi.str(bv, "security_group_id", ""), rule: rule})
	}
}

func knownName(s model.Str) string {
	if s.Resolution == model.Explicit {
		return s.V
	}
	return ""
}

func lowerStr(s model.Str) model.Str {
	s.V = strings.ToLower(s.V)
	return s
}

func inlineRule(obj map[string]cty.Value, rng model.Range) model.SGRule {
	r := model.SGRule{Protocol: lowerStr(objStr(obj, "protocol")), Range: rng,
		FromPort: intValue(obj["from_port"], rng), ToPort: intValue(obj["to_port"], rng)}
	r.CIDRs = append(objList(obj, "cidr_blocks"), objList(obj, "ipv6_cidr_blocks")...)
	r.PrefixListIDs = objList(obj, "prefix_list_ids")
	r.SecurityGroups = objList(obj, "security_groups")
	if v, ok := obj["self"]; ok {
		if u, _ := v.Unmark(); u.IsKnown() && !u.IsNull() && u.Type() == cty.Bool {
			r.Self = u.True()
		}
	}
	return r
}

// routeFrom reads a route (inline block or aws_route) and classifies its target.
func routeFrom(obj map[string]cty.Value, rng model.Range) model.Route {
	r := model.Route{Range: rng}
	r.Destination = objStr(obj, "cidr_block")
	for _, k := range []string{"destination_cidr_block", "ipv6_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id"} {
		if r.Destination.Resolution == model.Default || (r.Destination.V == "" && r.Destination.Ref == "" && r.Destination.Known()) {
			r.Destination = objStr(obj, k)
		}
	}
	for _, t := range awsfacts.RouteTargetAttributes {
		s := objStr(obj, t.Terraform)
		if s.Resolution == model.Default || (s.Known() && s.V == "" && s.Ref == "") {
			continue
		}
		r.Target = s
		r.TargetKind = awsfacts.ClassifyRouteTarget(t, resourceTypeOfAddress(s.Ref), s.V, s.Known())
		break
	}
	return r
}

// resourceTypeOfAddress returns the resource type of a Terraform address
// (module.net.aws_internet_gateway.gw["a"] -> aws_internet_gateway; data
// sources included), or "" when ref is no resource address.
func resourceTypeOfAddress(ref string) string {
	parts := strings.Split(ref, ".")
	for len(parts) >= 2 && parts[0] == "module" {
		parts = parts[2:]
	}
	if len(parts) > 0 && parts[0] == "data" {
		parts = parts[1:]
	}
	if len(parts) < 2 {
		return ""
	}
	return parts[0]
}

// scriptValue decodes a lifecycle hook. The provider sends the value as-is
// and SageMaker expects base64: undecodable text is kept raw, with a note.
func scriptValue(hook string, a *attrVal) (model.Script, bool) {
	s := model.Script{Hook: hook, Range: toRange(a.rng)}
	info := marksOf(a.v)
	if len(info.files) > 0 {
		s.File = info.files[0]
	}
	u := unmarked(a.v)
	switch {
	case u.IsNull():
		return s, false
	case !u.IsKnown():
		s.Resolution, s.Reason = model.Unknown, info.reason(hook+" is known only after apply")
		return s, true
	}
	str, err := convert.Convert(u, cty.String)
	if err != nil || str.IsNull() {
		s.Resolution, s.Reason = model.Unknown, hook+" is not a string"
		return s, true
	}
	raw := str.AsString()
	s.Resolution = model.Explicit
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw)); err == nil && utf8.Valid(b) {
		s.Content = string(b)
		return s, true
	}
	s.Content = raw
	s.Reason = hook + " is not base64: the provider sends it as-is and SageMaker expects base64-encoded content (use base64encode() or filebase64())"
	return s, true
}

// gapOf is a gap of the given kind at addr, written at rng, that may hide
// resources of the given kinds (every kind when none is given).
func gapOf(kind model.GapKind, addr string, rng hcl.Range, reason string, hides ...model.Kind) *model.Gap {
	return &model.Gap{Meta: model.Meta{Surface: model.SurfaceTerraform, Address: addr, Key: addr, Range: toRange(rng), Managed: true},
		Kind: kind, Hides: hides, Reason: reason}
}

// addGap records a scope the scan could not see, in this root. The engine
// decides whether a control reads what it hides.
func (re *rootEval) addGap(g *model.Gap) {
	g.Root = re.rootRel()
	re.set.Gaps = append(re.set.Gaps, g)
}

// rootRel is the root module's directory as reached from the scanned
// argument, with forward slashes: resource.root and gaps' root.
func (re *rootEval) rootRel() string {
	return filepath.ToSlash(re.root)
}
