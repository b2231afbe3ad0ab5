package tfplan

import (
	"encoding/base64"
	"fmt"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
)

// Resource types the model is filled from.
const (
	typeNotebook               = "aws_sagemaker_notebook_instance"
	typeDomain                 = "aws_sagemaker_domain"
	typeLifecycle              = "aws_sagemaker_notebook_instance_lifecycle_configuration"
	typeSubnet                 = "aws_subnet"
	typeRouteTable             = "aws_route_table"
	typeDefaultRouteTable      = "aws_default_route_table"
	typeRoute                  = "aws_route"
	typeRouteTableAssoc        = "aws_route_table_association"
	typeMainRouteTableAssoc    = "aws_main_route_table_association"
	typeNAT                    = "aws_nat_gateway"
	typeVPCEndpoint            = "aws_vpc_endpoint"
	typeVPCEndpointRTAssoc     = "aws_vpc_endpoint_route_table_association"
	typeVPCEndpointSubnetAssoc = "aws_vpc_endpoint_subnet_association"
	typeVPCEndpointSGAssoc     = "aws_vpc_endpoint_security_group_association"
	typeSecurityGroup          = "aws_security_group"
	typeDefaultSecurityGroup   = "aws_default_security_group"
	typeSGRule                 = "aws_security_group_rule"
	typeSGEgressRule           = "aws_vpc_security_group_egress_rule"
)

// builder turns a decoded document into one model.Set.
type builder struct {
	file string
	doc  *document
	res  *resolver
	// byID links known identifiers (subnet-..., sg-..., lifecycle config
	// names) to instance addresses; idOf is the reverse.
	byID   map[string]string
	idOf   map[string]string
	typeOf map[string]string
	set    *model.Set

	routeTables    map[string]*model.RouteTable
	securityGroups map[string]*model.SecurityGroup
	endpoints      map[string]*model.VPCEndpoint
}

func build(file string, doc *document) *model.Set {
	b := &builder{
		file: file, doc: doc,
		res:  newResolver(doc.Config, doc.Managed),
		byID: map[string]string{}, idOf: map[string]string{}, typeOf: map[string]string{},
		set:            &model.Set{Surface: model.SurfaceTerraformPlan},
		routeTables:    map[string]*model.RouteTable{},
		securityGroups: map[string]*model.SecurityGroup{},
		endpoints:      map[string]*model.VPCEndpoint{},
	}
	if doc.State {
		// A state has no configuration; nothing may be read as "not written".
		b.res.root = nil
	}
	for _, in := range doc.Instances {
		b.typeOf[in.Address] = in.Type
		if id, ok := in.After["id"].(string); ok && id != "" && !isTrue(in.Unknown["id"]) {
			b.byID[id] = in.Address
			b.idOf[in.Address] = id
		}
	}
	// Resources first, then what attaches to them.
	for _, in := range doc.Instances {
		b.resource(in)
	}
	for _, in := range doc.Instances {
		b.attachment(in)
	}
	for _, nb := range b.set.Notebooks {
		lc := &nb.LifecycleConfigName
		if lc.Ref == "" && lc.V != "" {
			if cfg := b.set.LifecycleConfigByName(lc.V); cfg != nil {
				lc.Ref = cfg.ID()
			}
		}
	}
	return b.set
}

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

// attrsOf reads an instance with the configuration of its resource block.
func (b *builder) attrsOf(in *instance) *attrs {
	a := &attrs{b: b, inst: in, after: in.After, unknown: in.Unknown, sensitive: in.Sensitive}
	steps, err := parseModuleAddress(in.ModuleAddress)
	if err != nil {
		steps = nil
	}
	a.sc = scope{steps: steps, key: renderKey(in.Index)}
	if !b.doc.State && err == nil {
		if cr := b.res.configResource(steps, in.Type, in.Name); cr != nil {
			a.cfg = cr.Expressions
			a.hasConfig = true
		}
	}
	return a
}

func (b *builder) meta(in *instance) model.Meta {
	m := model.Meta{
		Surface: model.SurfaceTerraformPlan, Type: in.Type, Address: in.Address, Key: in.Address,
		Range: model.Range{File: b.file}, Managed: true,
	}
	if n, ok := in.After["name"].(string); ok {
		m.Name = n
	} else if n, ok := in.After["domain_name"].(string); ok {
		m.Name = n
	}
	return m
}

func (b *builder) resource(in *instance) {
	a := b.attrsOf(in)
	switch in.Type {
	case typeNotebook:
		nb := &model.NotebookInstance{
			Meta:                 b.meta(in),
			DirectInternetAccess: a.str("direct_internet_access", false),
			SubnetID:             a.str("subnet_id", true),
			SecurityGroups:       a.list("security_groups"),
			LifecycleConfigName:  a.str("lifecycle_config_name", true),
		}
		if in.Actions.Replace() {
			nb.Replaced = true
			nb.Notes = append(nb.Notes, replacementNote(in))
		}
		b.set.Notebooks = append(b.set.Notebooks, nb)
	case typeDomain:
		b.set.Domains = append(b.set.Domains, &model.Domain{
			Meta:                 b.meta(in),
			AppNetworkAccessType: a.str("app_network_access_type", false),
			VpcID:                a.str("vpc_id", true),
			SubnetIDs:            a.list("subnet_ids"),
		})
	case typeLifecycle:
		lc := &model.LifecycleConfig{Meta: b.meta(in)}
		for _, hook := range []string{"on_create", "on_start"} {
			if s, ok := script(a, hook); ok {
				lc.Scripts = append(lc.Scripts, s)
			}
		}
		b.set.LifecycleConfigs = append(b.set.LifecycleConfigs, lc)
	case typeSubnet:
		b.set.Subnets = append(b.set.Subnets, &model.Subnet{Meta: b.meta(in), VpcID: a.str("vpc_id", true)})
	case typeRouteTable, typeDefaultRouteTable:
		rt := &model.RouteTable{Meta: b.meta(in), VpcID: a.str("vpc_id", true), Complete: true}
		if in.Type == typeDefaultRouteTable {
			rt.Main = true
			if rt.VpcID.Ref == "" && rt.VpcID.V == "" {
				// The VPC is named through default_route_table_id = aws_vpc.x.default_route_table_id.
				if v := a.str("default_route_table_id", true); v.Ref != "" && b.typeOf[v.Ref] == "aws_vpc" {
					rt.VpcID = model.Str{Ref: v.Ref, Resolution: model.Explicit, Provenance: v.Provenance, Range: v.Range}
				}
			}
		}
		b.inlineRoutes(rt, a, in)
		b.routeTables[in.Address] = rt
		b.set.RouteTables = append(b.set.RouteTables, rt)
	case typeNAT:
		b.set.NATGateways = append(b.set.NATGateways, &model.NATGateway{Meta: b.meta(in), SubnetID: a.str("subnet_id", true)})
	case typeVPCEndpoint:
		ep := &model.VPCEndpoint{
			Meta:              b.meta(in),
			VpcID:             a.str("vpc_id", true),
			ServiceName:       a.str("service_name", false),
			Type:              a.str("vpc_endpoint_type", false),
			PrivateDNSEnabled: a.boolean("private_dns_enabled"),
			RouteTableIDs:     a.list("route_table_ids"),
			SubnetIDs:         a.list("subnet_ids"),
			SecurityGroupIDs:  a.list("security_group_ids"),
		}
		if ep.Type.Resolution == model.Default && ep.Type.V == "" {
			ep.Type.V = awsfacts.DefaultEndpointType
		}
		b.endpoints[in.Address] = ep
		b.set.VPCEndpoints = append(b.set.VPCEndpoints, ep)
	case typeSecurityGroup, typeDefaultSecurityGroup:
		sg := &model.SecurityGroup{Meta: b.meta(in), VpcID: a.str("vpc_id", true), EgressComplete: true,
			VPCDefault: in.Type == typeDefaultSecurityGroup}
		b.inlineEgress(sg, a, in)
		b.securityGroups[in.Address] = sg
		b.set.SecurityGroups = append(b.set.SecurityGroups, sg)
	}
}

// replacementNote says that the plan destroys the notebook and why.
func replacementNote(in *instance) string {
	note := fmt.Sprintf("the plan replaces this notebook (actions %s): its ML storage volume and the data on it will be lost",
		strings.Join(actionNames(in.Actions), ", "))
	var forced []string
	for _, p := range in.ReplacePaths {
		steps, ok := p.([]any)
		if !ok {
			continue
		}
		var parts []string
		for _, s := range steps {
			if str, ok := scalarString(s); ok {
				parts = append(parts, str)
			}
		}
		if len(parts) > 0 {
			forced = append(forced, strings.Join(parts, "."))
		}
	}
	if len(forced) > 0 {
		note += "; the replacement is forced by " + strings.Join(forced, ", ")
	}
	return note
}

func actionNames(a tfjson.Actions) []string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = string(x)
	}
	return out
}

// script decodes one lifecycle hook (base64, as the API expects).
func script(a *attrs, hook string) (model.Script, bool) {
	s := model.Script{Hook: hook, Range: a.rangeOf()}
	if a.isUnknown(hook) {
		s.Resolution = model.Unknown
		s.Reason = a.unknownReason(hook)
		return s, true
	}
	raw, ok := a.after[hook].(string)
	if !ok || raw == "" {
		return s, false
	}
	s.Resolution = a.resolution(hook)
	if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw)); err == nil {
		s.Content = string(dec)
	} else {
		// The provider sends the value as-is; SageMaker expects base64. Keep
		// the text so that controls can still read what would run.
		s.Content = raw
	}
	return s, true
}

// inlineRoutes reads aws_route_table.route / aws_default_route_table.route.
func (b *builder) inlineRoutes(rt *model.RouteTable, a *attrs, in *instance) {
	blocks, known := a.blocks("route")
	if !known {
		if a.written("route") || !in.Actions.Create() || in.Type == typeDefaultRouteTable {
			rt.Complete = false
			rt.Reason = fmt.Sprintf("the routes of %s are known only after apply", in.Address)
			if !a.written("route") {
				rt.Reason = fmt.Sprintf("%s does not set route, so its existing routes are kept and are not in the plan", in.Address)
			}
		}
		return
	}
	for _, blk := range blocks {
		r := routeOf(blk, "cidr_block", "ipv6_cidr_block", "destination_prefix_list_id")
		if !r.Destination.Known() || r.TargetKind == "" {
			rt.Complete = false
			rt.Reason = fmt.Sprintf("a route of %s is known only after apply", in.Address)
		}
		rt.Routes = append(rt.Routes, r)
	}
}

// routeOf reads one route (inline block or aws_route) given its destination attributes.
func routeOf(a *attrs, destAttrs ...string) model.Route {
	r := model.Route{Range: a.rangeOf()}
	for _, d := range destAttrs {
		if v := a.str(d, false); v.Resolution == model.Unknown || v.V != "" {
			r.Destination = v
			break
		}
	}
	for _, t := range awsfacts.RouteTargetAttributes {
		v := a.str(t.Terraform, true)
		if v.Resolution != model.Unknown && v.V == "" && v.Ref == "" {
			continue // not this kind of target
		}
		r.Target = v
		r.TargetKind = awsfacts.ClassifyRouteTarget(t, a.b.typeOf[v.Ref], v.V, v.Known())
		break
	}
	return r
}

// inlineEgress reads aws_security_group.egress.
func (b *builder) inlineEgress(sg *model.SecurityGroup, a *attrs, in *instance) {
	blocks, known := a.blocks("egress")
	if !known {
		if a.written("egress") {
			sg.EgressDeclared = true
			sg.EgressComplete = false
			sg.Reason = fmt.Sprintf("the egress rules of %s are known only after apply", in.Address)
		}
		// Not written on a new group: Terraform removes AWS's default rule,
		// so the group has no egress besides rule resources.
		return
	}
	if !a.written("egress") && in.Actions.Create() && len(blocks) == 0 {
		return
	}
	sg.EgressDeclared = true
	for _, blk := range blocks {
		rule := sgRule(blk, ruleFields{
			protocol: "protocol", from: "from_port", to: "to_port",
			cidrs: []string{"cidr_blocks", "ipv6_cidr_blocks"}, prefixLists: "prefix_list_ids",
			groups: "security_groups", self: "self", list: true,
		})
		b.noteIncomplete(sg, rule, in.Address)
		sg.Egress = append(sg.Egress, rule)
	}
}

// ruleFields names the attributes of one rule shape.
type ruleFields struct {
	protocol, from, to string
	cidrs              []string
	prefixLists        string
	groups             string
	self               string
	// list: prefix lists and groups are list attributes (else single IDs).
	list bool
}

// sgRule reads one egress rule.
func sgRule(a *attrs, f ruleFields) model.SGRule {
	r := model.SGRule{Range: a.rangeOf()}
	r.Protocol = a.str(f.protocol, false)
	if r.Protocol.Known() {
		r.Protocol.V = normalizeProtocol(r.Protocol.V)
	}
	r.FromPort = a.integer(f.from)
	r.ToPort = a.integer(f.to)
	for _, c := range f.cidrs {
		if f.list {
			l := a.list(c)
			r.CIDRs = append(r.CIDRs, listItems(l)...)
		} else if v := a.str(c, false); v.Resolution == model.Unknown || v.V != "" {
			r.CIDRs = append(r.CIDRs, v)
		}
	}
	if f.list {
		r.PrefixListIDs = listItems(a.list(f.prefixLists))
		if f.groups != "" {
			r.SecurityGroups = listItems(a.list(f.groups))
		}
	} else {
		if v := a.str(f.prefixLists, true); v.Resolution == model.Unknown || v.V != "" || v.Ref != "" {
			r.PrefixListIDs = append(r.PrefixListIDs, v)
		}
		if v := a.str(f.groups, true); v.Resolution == model.Unknown || v.V != "" || v.Ref != "" {
			r.SecurityGroups = append(r.SecurityGroups, v)
		}
	}
	if f.self != "" {
		r.Self = isTrue(a.after[f.self])
	}
	return r
}

// listItems returns the items of a list, or one unknown item when the list
// itself is unknown.
func listItems(l model.List) []model.Str {
	if l.Resolution == model.Unknown {
		return []model.Str{{Resolution: model.Unknown, Reason: l.Reason, Range: l.Range}}
	}
	return l.Items
}

func normalizeProtocol(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if p == "all" {
		return "-1"
	}
	return p
}

// noteIncomplete marks the group incomplete when a rule has unknown parts.
func (b *builder) noteIncomplete(sg *model.SecurityGroup, r model.SGRule, where string) {
	unknown := !r.Protocol.Known() || r.FromPort.Resolution == model.Unknown || r.ToPort.Resolution == model.Unknown
	// A prefix list whose ID is known only after apply (the S3 gateway
	// endpoint's prefix_list_id) is still a prefix-list destination, which is
	// all the egress control needs; CIDRs and groups must be known.
	for _, group := range [][]model.Str{r.CIDRs, r.SecurityGroups} {
		for _, s := range group {
			if s.Resolution == model.Unknown {
				unknown = true
			}
		}
	}
	if unknown {
		sg.EgressComplete = false
		sg.Reason = fmt.Sprintf("an egress rule of %s is known only after apply", where)
	}
}

// attachment applies resources that modify another one: routes, route table
// and endpoint associations, security group rules.
func (b *builder) attachment(in *instance) {
	a := b.attrsOf(in)
	switch in.Type {
	case typeRoute:
		rt := b.routeTables[a.str("route_table_id", true).Ref]
		if rt == nil {
			return
		}
		r := routeOf(a, "destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id")
		if !r.Destination.Known() || r.TargetKind == "" {
			rt.Complete = false
			rt.Reason = fmt.Sprintf("the route %s is known only after apply", in.Address)
		}
		rt.Routes = append(rt.Routes, r)
	case typeRouteTableAssoc:
		if rt := b.routeTables[a.str("route_table_id", true).Ref]; rt != nil {
			if sub := a.str("subnet_id", true); sub.Known() && (sub.Ref != "" || sub.V != "") {
				rt.Subnets = append(rt.Subnets, sub)
			}
		}
	case typeMainRouteTableAssoc:
		if rt := b.routeTables[a.str("route_table_id", true).Ref]; rt != nil {
			rt.Main = true
			if rt.VpcID.Ref == "" && rt.VpcID.V == "" {
				rt.VpcID = a.str("vpc_id", true)
			}
		}
	case typeVPCEndpointRTAssoc, typeVPCEndpointSubnetAssoc, typeVPCEndpointSGAssoc:
		ep := b.endpoints[a.str("vpc_endpoint_id", true).Ref]
		if ep == nil {
			return
		}
		switch in.Type {
		case typeVPCEndpointRTAssoc:
			addItem(&ep.RouteTableIDs, a.str("route_table_id", true))
		case typeVPCEndpointSubnetAssoc:
			addItem(&ep.SubnetIDs, a.str("subnet_id", true))
		default:
			addItem(&ep.SecurityGroupIDs, a.str("security_group_id", true))
		}
	case typeSGRule:
		if t, _ := a.after["type"].(string); t != "egress" {
			return
		}
		sg := b.securityGroups[a.str("security_group_id", true).Ref]
		if sg == nil {
			return
		}
		rule := sgRule(a, ruleFields{
			protocol: "protocol", from: "from_port", to: "to_port",
			cidrs: []string{"cidr_blocks", "ipv6_cidr_blocks"}, prefixLists: "prefix_list_ids",
			self: "self", list: true,
		})
		// source_security_group_id is a single ID on this resource.
		if v := a.str("source_security_group_id", true); v.Resolution == model.Unknown || v.V != "" || v.Ref != "" {
			rule.SecurityGroups = append(rule.SecurityGroups, v)
		}
		b.addRule(sg, rule, in.Address)
	case typeSGEgressRule:
		sg := b.securityGroups[a.str("security_group_id", true).Ref]
		if sg == nil {
			return
		}
		rule := sgRule(a, ruleFields{
			protocol: "ip_protocol", from: "from_port", to: "to_port",
			cidrs: []string{"cidr_ipv4", "cidr_ipv6"}, prefixLists: "prefix_list_id",
			groups: "referenced_security_group_id",
		})
		b.addRule(sg, rule, in.Address)
	}
}

func (b *builder) addRule(sg *model.SecurityGroup, rule model.SGRule, address string) {
	rule.Address = address
	sg.EgressDeclared = true
	b.noteIncomplete(sg, rule, address)
	sg.Egress = append(sg.Egress, rule)
}

// addItem adds an associated identifier to an endpoint list unless it is
// already there (a state lists associations in the endpoint too).
func addItem(l *model.List, v model.Str) {
	if !v.Known() || (v.Ref == "" && v.V == "") {
		return
	}
	for _, it := range l.Items {
		if (v.Ref != "" && it.Ref == v.Ref) || (v.V != "" && it.V == v.V) {
			return
		}
	}
	if l.Resolution != model.Unknown {
		l.Resolution = model.Explicit
	}
	l.Items = append(l.Items, v)
}
