package cloudformation

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// CloudFormation resource types read into the model.
const (
	typeNotebook        = "AWS::SageMaker::NotebookInstance"
	typeDomain          = "AWS::SageMaker::Domain"
	typeLifecycleConfig = "AWS::SageMaker::NotebookInstanceLifecycleConfig"
	typeSubnet          = "AWS::EC2::Subnet"
	typeRouteTable      = "AWS::EC2::RouteTable"
	typeRoute           = "AWS::EC2::Route"
	typeRTAssociation   = "AWS::EC2::SubnetRouteTableAssociation"
	typeNATGateway      = "AWS::EC2::NatGateway"
	typeVPCEndpoint     = "AWS::EC2::VPCEndpoint"
	typeSecurityGroup   = "AWS::EC2::SecurityGroup"
	typeSGEgress        = "AWS::EC2::SecurityGroupEgress"
)

// builder fills one Set from one template.
type builder struct {
	e     *evaluator
	file  string
	meta  model.Meta // template-wide fields (surface, stack, region, account)
	set   *model.Set
	errs  []model.Error
	later []pending // routes, associations and egress rules, linked at the end
	// expanded counts the resources Fn::ForEach loops produced.
	expanded int
}

// pending is a resource that attaches to another one (a route to its table).
type pending struct {
	id    string
	typ   string
	props value
	meta  model.Meta
}

func (l *Loader) build(ctx context.Context, path string, data []byte, root *yaml.Node, stack Stack) surface.Result {
	surf := stack.Surface
	if surf == "" {
		surf = model.SurfaceCloudFormation
	}
	e, region, account := l.newEvaluator(path, data, root, stack)
	e.ctx = ctx
	resources := mapValue(root, "Resources")
	b := &builder{
		e: e, file: path,
		meta: model.Meta{Surface: surf, Stack: stack.Name, Region: region, Account: account, Managed: true},
		set:  &model.Set{Surface: surf, Sensitive: e.sensitive},
	}
	entries := b.expandResources(resources)
	for _, en := range entries {
		if t := mapValue(en.body, "Type"); t != nil {
			e.resources[en.key.Value] = t.Value
		}
	}
	for _, en := range entries {
		b.resource(en.key, en.body)
	}
	b.link()
	return surface.Result{Sets: []*model.Set{b.set}, Errors: b.errs}
}

// newEvaluator prepares the evaluator of one template: pseudo parameters,
// conditions, resource types and parameter values.
func (l *Loader) newEvaluator(path string, data []byte, root *yaml.Node, stack Stack) (e *evaluator, region, account string) {
	region, regionFrom := stack.Region, "the CDK stack environment"
	if region == "" {
		region, regionFrom = l.opts.Region, "--region"
	}
	account, accountFrom := stack.Account, "the CDK stack environment"
	if account == "" {
		account, accountFrom = l.opts.Account, "--account"
	}
	e = &evaluator{
		src:        newSource(path, data, root),
		pseudo:     pseudoParameters(region, account, stack.Name, regionFrom, accountFrom),
		mappings:   mapValue(root, "Mappings"),
		conditions: map[string]*yaml.Node{},
		condCache:  map[string]condResult{},
		resources:  map[string]string{},
	}
	if conds := mapValue(root, "Conditions"); conds != nil && conds.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(conds.Content); i += 2 {
			e.conditions[conds.Content[i].Value] = conds.Content[i+1]
		}
	}
	if resources := mapValue(root, "Resources"); resources != nil && resources.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(resources.Content); i += 2 {
			if t := mapValue(resources.Content[i+1], "Type"); t != nil {
				e.resources[resources.Content[i].Value] = t.Value
			}
		}
	}
	e.resolveParameters(mapValue(root, "Parameters"), l.opts.Parameters, l.fileParams)
	return e, region, account
}

// resource reads one entry of Resources.
func (b *builder) resource(keyNode, body *yaml.Node) {
	id := keyNode.Value
	typ := ""
	if t := mapValue(body, "Type"); t != nil {
		typ = t.Value
	}
	m := b.meta
	m.Type, m.Address, m.Key = typ, id, id
	m.Range = model.Range{File: b.file, StartLine: keyNode.Line, EndLine: max(keyNode.Line, b.e.src.endLine(body))}
	if c := mapValue(body, "Condition"); c != nil {
		switch r := b.e.condition(c.Value); r.t {
		case tFalse:
			return
		case tUnknown:
			m.Notes = append(m.Notes, fmt.Sprintf("the resource exists only when condition %s is true, which cannot be resolved: %s", c.Value, r.reason))
		}
	}
	if md := mapValue(body, "Metadata"); md != nil {
		mv := b.e.eval(md)
		if p, ok := mv.get("aws:cdk:path"); ok && p.kind == kScalar {
			m.Path = p.s
		}
		m.Suppressions = b.suppressions(mv)
	}
	var props value
	if p := mapValue(body, "Properties"); p != nil {
		props = b.e.eval(p)
	}
	switch typ {
	case typeNotebook:
		b.notebook(m, props)
	case typeDomain:
		b.domain(m, props)
	case typeLifecycleConfig:
		b.lifecycleConfig(m, props, mapValue(body, "Properties"))
	case typeSubnet:
		b.set.Subnets = append(b.set.Subnets, &model.Subnet{Meta: m, VpcID: b.str(props, "VpcId", "")})
	case typeRouteTable:
		b.set.RouteTables = append(b.set.RouteTables, &model.RouteTable{Meta: m, VpcID: b.str(props, "VpcId", ""), Complete: true})
	case typeNATGateway:
		b.set.NATGateways = append(b.set.NATGateways, &model.NATGateway{Meta: m, SubnetID: b.str(props, "SubnetId", "")})
	case typeVPCEndpoint:
		b.vpcEndpoint(m, props)
	case typeSecurityGroup:
		b.securityGroup(m, props)
	case typeRoute, typeRTAssociation, typeSGEgress:
		b.later = append(b.later, pending{id: id, typ: typ, props: props, meta: m})
	}
}

// forEachGap reports an AWS::LanguageExtensions Fn::ForEach that declares
// SageMaker resources but cannot be expanded before deploy.
func (b *builder) forEachGap(keyNode, body *yaml.Node, why string) {
	var hides []model.Kind
	var find func(n *yaml.Node, depth int)
	find = func(n *yaml.Node, depth int) {
		if n == nil || depth > maxDepth {
			return
		}
		if n.Kind == yaml.ScalarNode {
			k := map[string]model.Kind{typeNotebook: model.KindNotebookInstance, typeDomain: model.KindDomain}[n.Value]
			if k != "" && !slices.Contains(hides, k) {
				hides = append(hides, k)
			}
		}
		for _, c := range n.Content {
			find(c, depth+1)
		}
	}
	if find(body, 0); len(hides) == 0 {
		return
	}
	m := b.meta
	m.Type, m.Address, m.Key = "AWS::LanguageExtensions Fn::ForEach", keyNode.Value, keyNode.Value
	m.Range = model.Range{File: b.file, StartLine: keyNode.Line, EndLine: b.e.src.endLine(body)}
	b.set.Gaps = append(b.set.Gaps, &model.Gap{Meta: m, Kind: model.GapUnknownForEach, Hides: hides,
		Reason: fmt.Sprintf("%s declares SageMaker resources through the AWS::LanguageExtensions transform, but cannot be expanded: %s", keyNode.Value, why)})
}

func (b *builder) notebook(m model.Meta, props value) {
	nb := &model.NotebookInstance{
		Meta:                 m,
		DirectInternetAccess: b.str(props, "DirectInternetAccess", awsfacts.DefaultDirectInternetAccess),
		SubnetID:             b.str(props, "SubnetId", ""),
		SecurityGroups:       b.list(props, "SecurityGroupIds"),
		LifecycleConfigName:  b.str(props, "LifecycleConfigName", ""),
	}
	nb.Name = b.name(props, "NotebookInstanceName")
	b.set.Notebooks = append(b.set.Notebooks, nb)
}

func (b *builder) domain(m model.Meta, props value) {
	d := &model.Domain{
		Meta:                 m,
		AppNetworkAccessType: b.str(props, "AppNetworkAccessType", awsfacts.DefaultAppNetworkAccessType),
		VpcID:                b.str(props, "VpcId", ""),
		SubnetIDs:            b.list(props, "SubnetIds"),
	}
	d.Name = b.name(props, "DomainName")
	b.set.Domains = append(b.set.Domains, d)
}

// lifecycleConfig decodes OnCreate/OnStart hooks. Content is base64: a
// Fn::Base64 argument is read as the script itself (with unresolved
// ${...} parts kept as written); a literal is decoded.
func (b *builder) lifecycleConfig(m model.Meta, props value, propsNode *yaml.Node) {
	lc := &model.LifecycleConfig{Meta: m}
	lc.Name = b.name(props, "NotebookInstanceLifecycleConfigName")
	for _, hook := range []struct{ prop, name string }{{"OnCreate", "on_create"}, {"OnStart", "on_start"}} {
		f, ok := props.getField(hook.prop)
		if !ok {
			continue
		}
		if f.v.kind != kList {
			lc.Scripts = append(lc.Scripts, model.Script{Hook: hook.name, Resolution: model.Unknown,
				Reason: fmt.Sprintf("%s cannot be resolved: %s", hook.prop, cmp.Or(f.v.reason, "not a list")),
				Range:  model.Range{File: b.file, StartLine: f.keyLine, EndLine: f.v.end}})
			continue
		}
		hookNode := mapValue(propsNode, hook.prop)
		for i, item := range f.v.items {
			var contentNode *yaml.Node
			if hookNode != nil && hookNode.Kind == yaml.SequenceNode && len(hookNode.Content) == len(f.v.items) {
				contentNode = mapValue(hookNode.Content[i], "Content")
			}
			lc.Scripts = append(lc.Scripts, b.script(hook.name, fmt.Sprintf("%s[%d].Content", hook.prop, i), item, contentNode))
		}
	}
	b.set.LifecycleConfigs = append(b.set.LifecycleConfigs, lc)
}

func (b *builder) script(hook, what string, item value, contentNode *yaml.Node) model.Script {
	s := model.Script{Hook: hook, Range: item.rangeIn(b.file)}
	cf, ok := item.getField("Content")
	if !ok {
		s.Resolution, s.Reason = model.Unknown, what+" is missing"
		return s
	}
	s.Range = model.Range{File: b.file, StartLine: cf.keyLine, EndLine: max(cf.keyLine, cf.v.end)}
	s.Provenance = cf.v.prov
	// The script as written inside Fn::Base64.
	if fn, arg := intrinsic(contentNode); fn == "Fn::Base64" {
		v := b.e.eval(arg)
		switch {
		case v.kind == kScalar:
			s.Content, s.Resolution = v.s, model.Explicit
		case v.kind == kUnknown && v.text != "":
			// The script is known except for deploy-time values, which stay
			// as written (${AWS::Region}); the content is still what runs.
			s.Content, s.Resolution = v.text, model.Explicit
			s.Reason = "parts are resolved at deploy time and kept as written: " + v.reason
		default:
			s.Resolution, s.Reason = model.Unknown, fmt.Sprintf("%s cannot be resolved: %s", what, cmp.Or(v.reason, "not a string"))
		}
		return s
	}
	switch cf.v.kind {
	case kScalar:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cf.v.s))
		if err != nil {
			s.Resolution, s.Reason = model.Unknown, fmt.Sprintf("%s is not base64 (SageMaker expects a base64-encoded script)", what)
			return s
		}
		s.Content, s.Resolution = string(raw), model.Explicit
	default:
		s.Resolution, s.Reason = model.Unknown, fmt.Sprintf("%s cannot be resolved: %s", what, cmp.Or(cf.v.reason, "not a string"))
	}
	return s
}

func (b *builder) vpcEndpoint(m model.Meta, props value) {
	ep := &model.VPCEndpoint{
		Meta:              m,
		VpcID:             b.str(props, "VpcId", ""),
		ServiceName:       b.str(props, "ServiceName", ""),
		Type:              b.str(props, "VpcEndpointType", awsfacts.DefaultEndpointType),
		PrivateDNSEnabled: b.boolean(props, "PrivateDnsEnabled", awsfacts.DefaultPrivateDNSEnabled),
		RouteTableIDs:     b.list(props, "RouteTableIds"),
		SubnetIDs:         b.list(props, "SubnetIds"),
		SecurityGroupIDs:  b.list(props, "SecurityGroupIds"),
	}
	// com.amazonaws.${AWS::Region}.s3 without --region: the service is still
	// known, only the region is not, so keep the name as written.
	if sn, ok := props.get("ServiceName"); ok && sn.kind == kUnknown && sn.text != "" {
		ep.ServiceName.V = sn.text
		ep.ServiceName.Resolution = model.Explicit
		ep.ServiceName.Provenance = model.Provenance{{Kind: model.StepExpression, Name: sn.text, Detail: sn.reason}}
	}
	b.set.VPCEndpoints = append(b.set.VPCEndpoints, ep)
}

// securityGroup reads a group and its inline egress.
//
// CloudFormation semantics differ from Terraform's: a VPC security group
// created without SecurityGroupEgress keeps AWS's default allow-all egress
// rule (only an inline SecurityGroupEgress replaces it; separate
// AWS::EC2::SecurityGroupEgress resources add to it). So Egress always holds
// the group's real egress: either the inline rules, or the default rule with
// DefaultEgress set. EgressDeclared is true because the model then states the
// egress completely; Managed does not remove the default here.
func (b *builder) securityGroup(m model.Meta, props value) {
	sg := &model.SecurityGroup{Meta: m, VpcID: b.str(props, "VpcId", ""), EgressDeclared: true, EgressComplete: true}
	f, ok := props.getField("SecurityGroupEgress")
	switch {
	case props.kind == kUnknown:
		sg.EgressComplete, sg.Reason = false, "Properties cannot be resolved: "+props.reason
	case !ok:
		sg.DefaultEgress = true
		sg.Egress = append(sg.Egress, model.SGRule{
			Protocol: model.Str{V: "-1", Resolution: model.Default},
			FromPort: model.Int{V: -1, Resolution: model.Default},
			ToPort:   model.Int{V: -1, Resolution: model.Default},
			CIDRs:    []model.Str{{V: "0.0.0.0/0", Resolution: model.Default}},
			Range:    m.Range,
		})
	case f.v.kind == kList:
		for _, item := range f.v.items {
			b.addRule(sg, item, "")
		}
	default:
		sg.EgressComplete, sg.Reason = false, "SecurityGroupEgress cannot be resolved: "+cmp.Or(f.v.reason, "not a list")
	}
	b.set.SecurityGroups = append(b.set.SecurityGroups, sg)
}

// addRule appends one egress rule; an unresolvable rule marks the group incomplete.
func (b *builder) addRule(sg *model.SecurityGroup, v value, address string) {
	if v.kind != kMap {
		sg.EgressComplete = false
		sg.Reason = "an egress rule cannot be resolved: " + cmp.Or(v.reason, "not a mapping")
		return
	}
	r := model.SGRule{
		Protocol: b.str(v, "IpProtocol", ""),
		FromPort: b.integer(v, "FromPort"),
		ToPort:   b.integer(v, "ToPort"),
		Range:    v.rangeIn(b.file),
		Address:  address,
	}
	r.Protocol.V = strings.ToLower(r.Protocol.V)
	for _, k := range []string{"CidrIp", "CidrIpv6"} {
		if _, ok := v.get(k); ok {
			r.CIDRs = append(r.CIDRs, b.str(v, k, ""))
		}
	}
	if _, ok := v.get("DestinationPrefixListId"); ok {
		r.PrefixListIDs = append(r.PrefixListIDs, b.str(v, "DestinationPrefixListId", ""))
	}
	if _, ok := v.get("DestinationSecurityGroupId"); ok {
		dst := b.str(v, "DestinationSecurityGroupId", "")
		if dst.Ref == sg.ID() {
			r.Self = true
		}
		r.SecurityGroups = append(r.SecurityGroups, dst)
	}
	sg.Egress = append(sg.Egress, r)
}

// link attaches routes, subnet associations and egress rule resources to
// the tables and groups they name.
func (b *builder) link() {
	for _, p := range b.later {
		switch p.typ {
		case typeRoute:
			b.linkRoute(p)
		case typeRTAssociation:
			rt, ok := b.routeTableFor(p, "RouteTableId")
			if ok && rt != nil {
				rt.Subnets = append(rt.Subnets, b.str(p.props, "SubnetId", ""))
			}
		case typeSGEgress:
			gid := b.str(p.props, "GroupId", "")
			if !gid.Known() {
				for _, sg := range b.set.SecurityGroups {
					sg.EgressComplete = false
					sg.Reason = fmt.Sprintf("egress rule %s applies to a group that cannot be resolved: %s", p.id, gid.Reason)
				}
				continue
			}
			if sg := b.set.SecurityGroupByID(gid.Ref); sg != nil {
				// A default allow-all rule stays beside rules added by
				// separate resources (only inline egress replaces it).
				p.props.start, p.props.end = p.meta.Range.StartLine, p.meta.Range.EndLine
				b.addRule(sg, p.props, p.id)
			}
		}
	}
}

// routeTableFor finds the route table a route or association names. ok is
// false when it cannot be resolved; then every table is marked incomplete.
func (b *builder) routeTableFor(p pending, prop string) (*model.RouteTable, bool) {
	id := b.str(p.props, prop, "")
	if !id.Known() {
		for _, rt := range b.set.RouteTables {
			rt.Complete = false
			rt.Reason = fmt.Sprintf("%s %s names a route table that cannot be resolved: %s", p.meta.Type, p.id, id.Reason)
		}
		return nil, false
	}
	for _, rt := range b.set.RouteTables {
		if id.Ref != "" && rt.ID() == id.Ref {
			return rt, true
		}
	}
	return nil, true // a table outside this template
}

func (b *builder) linkRoute(p pending) {
	rt, ok := b.routeTableFor(p, "RouteTableId")
	if !ok || rt == nil {
		return
	}
	r := model.Route{Range: p.meta.Range}
	for _, k := range []string{"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"} {
		if _, ok := p.props.get(k); ok {
			r.Destination = b.str(p.props, k, "")
			break
		}
	}
	for _, t := range awsfacts.RouteTargetAttributes {
		if _, ok := p.props.get(t.CloudFormation); !ok {
			continue
		}
		r.Target = b.str(p.props, t.CloudFormation, "")
		linked := ""
		if r.Target.Ref != "" {
			linked = b.e.resources[r.Target.Ref]
		}
		r.TargetKind = awsfacts.ClassifyRouteTarget(t, linked, r.Target.V, r.Target.Known())
		break
	}
	if _, ok := p.props.getField("RouteTableId"); ok && p.props.kind == kMap {
		rt.Routes = append(rt.Routes, r)
	}
}

// name returns a literal name property, or "" when omitted or not literal.
func (b *builder) name(props value, key string) string {
	if v, ok := props.get(key); ok && v.kind == kScalar {
		return v.s
	}
	return ""
}

// str converts a property to a model.Str; def is the service default when
// the property is omitted (or removed by AWS::NoValue).
func (b *builder) str(props value, key, def string) model.Str {
	if props.kind == kUnknown {
		return model.Str{Resolution: model.Unknown, Reason: "Properties cannot be resolved: " + props.reason}
	}
	f, ok := props.getField(key)
	if !ok {
		s := model.Str{V: def, Resolution: model.Default}
		for _, x := range props.fields {
			if x.key == key && len(x.v.prov) > 0 {
				s.Provenance = x.v.prov
			}
		}
		return s
	}
	rng := model.Range{File: b.file, StartLine: f.keyLine, EndLine: max(f.keyLine, f.v.end)}
	return toStr(f.v, key, rng)
}

func toStr(v value, key string, rng model.Range) model.Str {
	switch v.kind {
	case kScalar:
		return model.Str{V: v.s, Resolution: model.Explicit, Provenance: v.prov, Range: rng}
	case kRef:
		return model.Str{Ref: v.ref, Resolution: model.Explicit, Provenance: v.prov, Range: rng}
	case kUnknown:
		return model.Str{Resolution: model.Unknown, Reason: v.reason, Present: v.present, Range: rng}
	case kList:
		return model.Str{Resolution: model.Unknown, Reason: key + " is a list where a string is expected", Range: rng}
	}
	return model.Str{Resolution: model.Unknown, Reason: key + " is a mapping where a string is expected", Range: rng}
}

// list converts a list property; omitted means an empty default list.
func (b *builder) list(props value, key string) model.List {
	if props.kind == kUnknown {
		return model.List{Resolution: model.Unknown, Reason: "Properties cannot be resolved: " + props.reason}
	}
	f, ok := props.getField(key)
	if !ok {
		return model.List{Resolution: model.Default}
	}
	rng := model.Range{File: b.file, StartLine: f.keyLine, EndLine: max(f.keyLine, f.v.end)}
	switch f.v.kind {
	case kList:
		l := model.List{Resolution: model.Explicit, Provenance: f.v.prov, Range: rng}
		for _, it := range f.v.items {
			l.Items = append(l.Items, toStr(it, key, it.rangeIn(b.file)))
		}
		return l
	case kScalar, kRef:
		// CloudFormation wants a list; a single value is read as one item.
		return model.List{Resolution: model.Explicit, Provenance: f.v.prov, Range: rng, Items: []model.Str{toStr(f.v, key, rng)}}
	case kUnknown:
		return model.List{Resolution: model.Unknown, Reason: f.v.reason, Range: rng}
	}
	return model.List{Resolution: model.Unknown, Reason: key + " is a mapping where a list is expected", Range: rng}
}

func (b *builder) boolean(props value, key string, def bool) model.Bool {
	s := b.str(props, key, strconv.FormatBool(def))
	out := model.Bool{Resolution: s.Resolution, Reason: s.Reason, Provenance: s.Provenance, Range: s.Range}
	if !s.Known() {
		return out
	}
	v, err := strconv.ParseBool(strings.ToLower(s.V))
	if err != nil {
		out.Resolution, out.Reason = model.Unknown, fmt.Sprintf("%s is %q, not a boolean", key, s.V)
		return out
	}
	out.V = v
	return out
}

func (b *builder) integer(props value, key string) model.Int {
	s := b.str(props, key, "")
	out := model.Int{Resolution: s.Resolution, Reason: s.Reason, Range: s.Range}
	if s.Resolution == model.Default {
		out.V = -1
		return out
	}
	if !s.Known() {
		return out
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s.V), 10, 64)
	if err != nil {
		out.Resolution, out.Reason = model.Unknown, fmt.Sprintf("%s is %q, not a number", key, s.V)
		return out
	}
	out.V = v
	return out
}
