package control

// Network reasoning shared by the three operability controls: where a
// notebook's subnet routes 0.0.0.0/0, and which of the services a notebook
// needs with direct internet access disabled (SageMaker API, SageMaker
// runtime, S3) it can reach through VPC endpoints or a NAT gateway.
//
// Every answer is three-valued (yes / no / maybe). "maybe" means a needed fact
// is not in the Set or not resolved; the controls turn it into `unknown`,
// never into `pass`.

import (
	"fmt"
	"strings"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
)

// tri is a three-valued answer.
type tri int

const (
	no tri = iota
	maybe
	yes
)

// outsideHint ends messages about facts the IaC does not hold.
const outsideHint = "`sagefence audit` can decide it from the live account"

// refKey is the identity of a referenced resource: its Ref (a key in the Set),
// else its literal value; "" when neither is known.
func refKey(s model.Str) string {
	if s.Ref != "" {
		return s.Ref
	}
	if s.Known() && s.V != "" {
		return s.V
	}
	return ""
}

// sameResource compares two references: yes/no when both are identified,
// maybe otherwise.
func sameResource(a, b model.Str) tri {
	ka, kb := refKey(a), refKey(b)
	switch {
	case ka == "" || kb == "":
		return maybe
	case ka == kb:
		return yes
	}
	return no
}

// refersTo reports whether s identifies the resource with key id.
func refersTo(s model.Str, id string) bool {
	k := refKey(s)
	return k != "" && k == id
}

// natPath is the answer to "does the subnet route 0.0.0.0/0 to a usable NAT gateway?".
type natPath struct {
	has     tri
	gateway *model.NATGateway
	// why explains the answer (evidence when yes, the reason otherwise).
	why string
}

// servicePath is how one required service is reached.
type servicePath struct {
	service string
	// endpoint: yes when a usable endpoint was found (endpoint set), no when
	// none, maybe when an endpoint might serve it.
	endpoint tri
	via      *model.VPCEndpoint
	// problems say why endpoints that exist do not count; unknowns say what
	// could not be decided.
	problems []string
	unknowns []string
}

// reachable combines the endpoint answer with the NAT answer.
func (p servicePath) reachable(nat natPath) tri {
	if p.endpoint == yes || nat.has == yes {
		return yes
	}
	if p.endpoint == no && nat.has == no {
		return no
	}
	return maybe
}

// network is what was learned about one notebook's network.
type network struct {
	// noSubnet: the notebook has no subnet at all (not in a VPC).
	noSubnet bool
	// outside is non-empty when the subnet or its VPC cannot be followed in
	// this Set; it says why.
	outside    string
	subnet     *model.Subnet
	vpc        model.Str
	routeTable *model.RouteTable
	// rtVia: "explicit association" or "main route table"; rtWhy says why no
	// table is known when routeTable is nil.
	rtVia    string
	rtWhy    string
	nat      natPath
	services []servicePath
	region   string
}

// analyzeNetwork follows notebook → subnet → VPC → route table → NAT and
// endpoints inside the set.
func analyzeNetwork(set *model.Set, nb *model.NotebookInstance) network {
	var n network
	n.region = nb.Region
	sub := nb.SubnetID
	subAttr := model.AttributeName(nb.Surface, model.FieldSubnetID)
	switch {
	case !sub.Known() && sub.Present:
		n.outside = fmt.Sprintf("%s is set, to a value known only at plan or deploy time (%s)", subAttr, sub.Reason)
		return n
	case !sub.Known():
		n.outside = fmt.Sprintf("%s cannot be resolved (%s)", subAttr, sub.Reason)
		return n
	case sub.Resolution == model.Default || (sub.V == "" && sub.Ref == ""):
		n.noSubnet = true
		return n
	}
	if sub.Ref != "" {
		n.subnet = set.SubnetByID(sub.Ref)
	} else {
		n.subnet = set.SubnetByID(sub.V)
	}
	if n.subnet == nil {
		if sub.Ref == "" {
			n.outside = fmt.Sprintf("%s is the literal ID %q: the network is defined outside this configuration", subAttr, sub.V)
		} else {
			n.outside = fmt.Sprintf("%s refers to %s, which is not in this configuration", subAttr, sub.Display())
		}
		return n
	}
	n.vpc = n.subnet.VpcID
	if refKey(n.vpc) == "" {
		reason := n.vpc.Reason
		if reason == "" {
			reason = "no value"
		}
		n.outside = fmt.Sprintf("the VPC of subnet %s cannot be resolved (%s)", n.subnet.Address, reason)
		return n
	}
	n.routeTable, n.rtVia, n.rtWhy = routeTableFor(set, n.subnet)
	n.nat = natFor(set, n)
	// Each endpoint's service name is read once for all the services.
	services := make([]parsedService, len(set.VPCEndpoints))
	for i, ep := range set.VPCEndpoints {
		services[i] = parseServiceName(ep.ServiceName)
	}
	n.services = make([]servicePath, 0, len(awsfacts.NotebookServices))
	for _, svc := range awsfacts.NotebookServices {
		n.services = append(n.services, endpointFor(set, n, svc.Suffix, services))
	}
	return n
}

// routeTableFor returns the subnet's explicitly associated route table, else
// the main table of its VPC. When an association that could be this subnet's
// is unresolved, or the main table is not in the set, it returns nil and why.
func routeTableFor(set *model.Set, subnet *model.Subnet) (*model.RouteTable, string, string) {
	id := subnet.ID()
	var unresolved []string
	for _, rt := range set.RouteTables {
		for _, s := range rt.Subnets {
			if refersTo(s, id) {
				return rt, "explicit association", ""
			}
		}
	}
	for _, rt := range set.RouteTables {
		if sameResource(rt.VpcID, subnet.VpcID) == no {
			continue
		}
		pending := !rt.Complete
		for _, s := range rt.Subnets {
			if refKey(s) == "" {
				pending = true
			}
		}
		if pending {
			unresolved = append(unresolved, rt.Address)
		}
	}
	if len(unresolved) > 0 {
		return nil, "", fmt.Sprintf("subnet %s has no resolved route table association, and the associations of %s cannot be resolved",
			subnet.Address, strings.Join(unresolved, ", "))
	}
	for _, rt := range set.RouteTables {
		if rt.Main && sameResource(rt.VpcID, subnet.VpcID) == yes {
			return rt, "main route table", ""
		}
	}
	return nil, "", fmt.Sprintf("subnet %s has no explicit route table association here and the VPC's main route table "+
		"is not declared in this configuration (aws_default_route_table / aws_main_route_table_association), so its routes are not known",
		subnet.Address)
}

// natFor answers whether the route table sends 0.0.0.0/0 to a NAT gateway in the notebook's VPC.
func natFor(set *model.Set, n network) natPath {
	rt := n.routeTable
	if rt == nil {
		return natPath{has: maybe, why: n.rtWhy}
	}
	rtName := rt.Address + " (" + n.rtVia + ")"
	best := natPath{has: no, why: "route table " + rtName + " has no 0.0.0.0/0 route"}
	var maybes []string
	for _, r := range rt.Routes {
		if !r.Destination.Known() {
			maybes = append(maybes, "a route of "+rt.Address+" has an unresolved destination")
			continue
		}
		if r.Destination.V != awsfacts.AnyIPv4 {
			continue
		}
		switch {
		case r.TargetKind == awsfacts.TargetNAT:
			p := natGatewayPath(set, n, r, rtName)
			if p.has == yes && !rt.Complete {
				// A resolved NAT route is not enough when the table is
				// incomplete: never pass on incomplete information.
				maybes = append(maybes, p.why+", but the route table is incomplete")
				continue
			}
			if p.has == yes {
				return p
			}
			if p.has == maybe {
				maybes = append(maybes, p.why)
			} else {
				best = p
			}
		case r.TargetKind.IsInternetGateway():
			best = natPath{has: no, why: "route table " + rtName + " sends 0.0.0.0/0 to an internet gateway, which a notebook " +
				"with direct internet access disabled cannot use (its network interface has no public IP)"}
		default:
			target := r.Target.Display()
			if target == "" {
				target = "a target that cannot be resolved"
			}
			maybes = append(maybes, fmt.Sprintf("route table %s sends 0.0.0.0/0 to %s, which may lead to a NAT "+
				"elsewhere (transit gateway, peering, firewall) that sagefence cannot follow", rtName, target))
		}
	}
	if !rt.Complete {
		reason := rt.Reason
		if reason == "" {
			reason = "some routes cannot be resolved"
		}
		maybes = append(maybes, "route table "+rt.Address+" is incomplete: "+reason)
	}
	if len(maybes) > 0 {
		return natPath{has: maybe, why: strings.Join(maybes, "; ")}
	}
	return best
}

// natGatewayPath judges one 0.0.0.0/0 → NAT route.
func natGatewayPath(set *model.Set, n network, r model.Route, rtName string) natPath {
	key := refKey(r.Target)
	if key == "" {
		return natPath{has: maybe, why: "the NAT gateway of the 0.0.0.0/0 route in " + rtName + " cannot be resolved"}
	}
	gw := set.NATGatewayByID(key)
	if gw == nil {
		return natPath{has: maybe, why: fmt.Sprintf("0.0.0.0/0 in %s goes to NAT gateway %s, which is not in this configuration", rtName, r.Target.Display())}
	}
	if gw.State != "" && !strings.EqualFold(gw.State, awsfacts.NATGatewayAvailable) {
		return natPath{has: no, gateway: gw, why: fmt.Sprintf("0.0.0.0/0 in %s goes to NAT gateway %s, whose state is %q", rtName, gw.Address, gw.State)}
	}
	natSub := set.SubnetByID(refKey(gw.SubnetID))
	if natSub == nil {
		return natPath{has: maybe, why: fmt.Sprintf("the subnet of NAT gateway %s is not in this configuration, so its VPC is not known", gw.Address)}
	}
	switch sameResource(natSub.VpcID, n.vpc) {
	case yes:
		return natPath{has: yes, gateway: gw, why: fmt.Sprintf("route table %s sends 0.0.0.0/0 to NAT gateway %s", rtName, gw.Address)}
	case no:
		return natPath{has: no, gateway: gw, why: fmt.Sprintf("0.0.0.0/0 in %s goes to NAT gateway %s, which is in VPC %s, not the notebook's VPC %s",
			rtName, gw.Address, natSub.VpcID.Display(), n.vpc.Display())}
	}
	return natPath{has: maybe, why: fmt.Sprintf("the VPC of NAT gateway %s cannot be resolved", gw.Address)}
}

// parsedService is an endpoint's service name split into region and service.
type parsedService struct {
	// service is the suffix of one of awsfacts.NotebookServices, "other", or
	// "" when the name is unknown.
	service string
	// region is "" when the region part is not a literal region.
	region string
}

// parseServiceName reads com.amazonaws.<region>.<service>. A name whose
// region part is not literal (${data.aws_region.current.name}, ${AWS::Region})
// still matches by its service suffix; surfaces may leave such a name
// Unknown with the template text in V.
func parseServiceName(s model.Str) parsedService {
	if s.V != "" {
		if svc, region, ok := awsfacts.ParseServiceName(s.V); ok {
			return parsedService{service: svc, region: region}
		}
	}
	if !s.Known() {
		return parsedService{}
	}
	return parsedService{service: "other"}
}

// endpointFor judges the endpoints of the set for one service; services
// are their service names, parsed (parseServiceName), in the same order.
func endpointFor(set *model.Set, n network, svc string, services []parsedService) servicePath {
	p := servicePath{service: svc}
	for i, ep := range set.VPCEndpoints {
		ps := services[i]
		switch ps.service {
		case "":
			p.unknowns = append(p.unknowns, fmt.Sprintf("the service name of %s cannot be resolved (%s)", ep.Address, ep.ServiceName.Reason))
			continue
		case svc:
		default:
			continue
		}
		verdict, why := judgeEndpoint(n, ep, ps, svc)
		switch verdict {
		case yes:
			if p.via == nil {
				p.via = ep // the first usable endpoint
			}
		case maybe:
			p.unknowns = append(p.unknowns, why)
		case no:
			p.problems = append(p.problems, why)
		}
	}
	switch {
	case p.via != nil:
		p.endpoint = yes
	case len(p.unknowns) > 0:
		p.endpoint = maybe
	default:
		p.endpoint = no
	}
	return p
}

// judgeEndpoint decides whether one endpoint whose service name matches svc
// gives the notebook a path to it.
func judgeEndpoint(n network, ep *model.VPCEndpoint, ps parsedService, svc string) (tri, string) {
	name := ep.Address
	if ps.region != "" && n.region != "" && ps.region != n.region {
		return no, fmt.Sprintf("%s is for region %s, the notebook is in %s and needs %s", name, ps.region, n.region, n.serviceName(svc))
	}
	switch sameResource(ep.VpcID, n.vpc) {
	case no:
		return no, fmt.Sprintf("%s is in another VPC (%s, the notebook's is %s)", name, ep.VpcID.Display(), n.vpc.Display())
	case maybe:
		return maybe, fmt.Sprintf("the VPC of %s cannot be resolved", name)
	}
	if ep.State != "" && !strings.EqualFold(ep.State, awsfacts.EndpointAvailable) {
		return no, fmt.Sprintf("%s is in state %q", name, ep.State)
	}
	if !ep.Type.Known() {
		return maybe, fmt.Sprintf("the endpoint type of %s cannot be resolved (%s)", name, ep.Type.Reason)
	}
	typ := ep.Type.V
	if ep.Type.Resolution == model.Default || typ == "" {
		typ = awsfacts.DefaultEndpointType
	}
	dnsAttr := model.AttributeName(ep.Surface, model.FieldPrivateDNSEnabled)
	switch {
	case strings.EqualFold(typ, awsfacts.EndpointTypeInterface):
		switch {
		case !ep.PrivateDNSEnabled.Known():
			return maybe, fmt.Sprintf("%s of %s cannot be resolved (%s)", dnsAttr, name, ep.PrivateDNSEnabled.Reason)
		case !ep.PrivateDNSEnabled.V:
			what := "is false"
			if ep.PrivateDNSEnabled.Resolution == model.Default {
				what = "is omitted and defaults to false"
			}
			return no, fmt.Sprintf("%s has private DNS off (%s %s): the default %s hostname still resolves to public "+
				"addresses, so SDK calls do not use the endpoint", name, dnsAttr, what, svc)
		}
		return yes, ""
	case strings.EqualFold(typ, awsfacts.EndpointTypeGateway) && svc == "s3":
		if n.routeTable == nil {
			return maybe, fmt.Sprintf("gateway endpoint %s: the subnet's route table is not known (%s)", name, n.rtWhy)
		}
		if !ep.RouteTableIDs.Known() {
			return maybe, fmt.Sprintf("the route tables of gateway endpoint %s cannot be resolved (%s)", name, ep.RouteTableIDs.Reason)
		}
		pending := false
		for _, id := range ep.RouteTableIDs.Items {
			if refersTo(id, n.routeTable.ID()) {
				return yes, ""
			}
			if refKey(id) == "" {
				pending = true
			}
		}
		if pending {
			return maybe, fmt.Sprintf("some route tables of gateway endpoint %s cannot be resolved", name)
		}
		return no, fmt.Sprintf("gateway endpoint %s is not associated with route table %s (the subnet's %s)", name, n.routeTable.Address, n.rtVia)
	}
	return no, fmt.Sprintf("%s is of type %s, which does not serve %s", name, typ, svc)
}

// serviceName renders com.amazonaws.<region>.<svc> for messages.
func (n network) serviceName(svc string) string { return awsfacts.ServiceName(n.region, svc) }

// suffixMatched reports whether any endpoint counted for a service was
// matched by its suffix only (region part not literal), for messages.
func suffixMatched(n network) []string {
	var out []string
	for _, p := range n.services {
		if p.via != nil && parseServiceName(p.via.ServiceName).region == "" {
			out = append(out, fmt.Sprintf("%s matched %s by its service suffix (its region part is not known before apply)",
				p.via.Address, p.service))
		}
	}
	return out
}
