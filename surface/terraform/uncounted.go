package terraform

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/model"
)

// networkTypes are the resource types the network-dependent controls read
// to decide a notebook's paths (routes, NAT, endpoints, security groups).
var networkTypes = map[string]bool{
	"aws_subnet": true, "aws_route_table": true, "aws_default_route_table": true, "aws_route": true,
	"aws_route_table_association": true, "aws_main_route_table_association": true, "aws_nat_gateway": true,
	"aws_vpc_endpoint": true, "aws_vpc_endpoint_route_table_association": true,
	"aws_vpc_endpoint_subnet_association": true, "aws_security_group": true, "aws_default_security_group": true,
	"aws_security_group_rule": true, "aws_vpc_security_group_egress_rule": true,
}

// markUncounted records a network resource whose count or for_each is
// unknown: how many instances exist (maybe none) is decided at apply, so
// what they would add must make the notebooks' picture incomplete rather
// than be left out. The body is evaluated once with count.index / each
// unknown to find what the instances attach to:
//   - an endpoint is added with an unknown service name, so that a service
//     no other endpoint serves is undecided rather than missing;
//   - a route or association makes its route table (or, when its target is
//     not known, every route table) incomplete;
//   - an endpoint association adds an unknown route table or subnet to the
//     endpoint;
//   - an egress rule (or a rule whose type is not known) makes its security
//     group's egress incomplete.
//
// It reports whether the model now holds the uncertainty; subnets, route
// tables, NAT gateways and security groups themselves are not represented
// (references to their instances stay unresolved) and get a Gap limited to
// the resource's kind instead, which only the network-dependent controls read.
func (mi *modInst) markUncounted(decl *resourceDecl, st *resState) bool {
	switch decl.typ {
	case "aws_subnet", "aws_route_table", "aws_default_route_table", "aws_nat_gateway",
		"aws_security_group", "aws_default_security_group":
		return false
	}
	reason := fmt.Sprintf("%s may or may not exist: %s", mi.absAddr(decl.addr()), st.gap)
	sc := emptyScope
	switch st.keyed {
	case 1:
		sc = countScope(unknownBecause(cty.Number, reason))
	case 2:
		sc = &scope{each: cty.ObjectVal(map[string]cty.Value{
			"key": unknownBecause(cty.String, reason), "value": unknownBecause(cty.DynamicPseudoType, reason)})}
	}
	bv := mi.evalBody(decl.body, sc, true)
	for _, ob := range decl.overrides {
		bv.override(mi.evalBody(ob, sc, true))
	}
	inst := &resInst{addr: mi.absAddr(decl.addr()), body: bv}
	net := mi.re.net
	unknown := model.Str{Resolution: model.Unknown, Reason: reason}
	switch decl.typ {
	case "aws_vpc_endpoint":
		mi.mapResource(decl, inst)
		eps := mi.re.set.VPCEndpoints
		eps[len(eps)-1].ServiceName = model.Str{Resolution: model.Unknown, Reason: reason,
			Range: eps[len(eps)-1].ServiceName.Range}
	case "aws_route":
		net.routes = append(net.routes, pendingRoute{table: mi.str(bv, "route_table_id", ""), addr: inst.addr, unknown: reason})
	case "aws_route_table_association", "aws_main_route_table_association":
		// The subnet (or VPC) may be associated with the table instead of
		// its current one: every table's routes are in question.
		net.assocs = append(net.assocs, pendingAssoc{table: unknown, subnet: mi.str(bv, "subnet_id", "")})
	case "aws_vpc_endpoint_route_table_association":
		net.endpointRTs = append(net.endpointRTs, pendingAssoc{table: mi.str(bv, "vpc_endpoint_id", ""), subnet: unknown})
	case "aws_vpc_endpoint_subnet_association":
		net.endpointSubnets = append(net.endpointSubnets, pendingAssoc{table: mi.str(bv, "vpc_endpoint_id", ""), subnet: unknown})
	case "aws_security_group_rule":
		if t := mi.str(bv, "type", ""); t.Known() && t.V != "egress" {
			return true // an ingress rule changes nothing the controls read
		}
		net.rules = append(net.rules, pendingRule{group: mi.str(bv, "security_group_id", ""), unknown: reason})
	case "aws_vpc_security_group_egress_rule":
		net.rules = append(net.rules, pendingRule{group: mi.str(bv, "security_group_id", ""), unknown: reason})
	}
	return true
}
