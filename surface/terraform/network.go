package terraform

import (
	"fmt"

	"github.com/sagefence/sagefence/model"
)

// networkIndex holds the resources that attach to others (routes,
// associations, security group rules) until the whole root is evaluated.
type networkIndex struct {
	routes          []pendingRoute
	assocs          []pendingAssoc // route table <- subnet
	mains           []pendingAssoc // route table <- vpc (in subnet)
	endpointRTs     []pendingAssoc // endpoint (table) <- route table (subnet)
	endpointSubnets []pendingAssoc // endpoint (table) <- subnet
	rules           []pendingRule
}

type pendingRoute struct {
	table model.Str
	addr  string
	route model.Route
	// unknown: whether the route exists is unknown (its count is unknown).
	unknown string
}

// pendingAssoc links the resource named by table to the one named by subnet.
type pendingAssoc struct {
	table, subnet model.Str
}

type pendingRule struct {
	group   model.Str
	rule    model.SGRule
	unknown string
}

func newNetworkIndex() *networkIndex { return &networkIndex{} }

// link attaches the pending pieces to their resources in the Set. A piece
// whose owner cannot be resolved marks every candidate owner incomplete,
// because it might belong to any of them.
func (n *networkIndex) link(set *model.Set) {
	rtByKey := map[string]*model.RouteTable{}
	for _, rt := range set.RouteTables {
		rtByKey[rt.ID()] = rt
	}
	unresolvedRT := func(what string) {
		for _, rt := range set.RouteTables {
			rt.Complete = false
			if rt.Reason == "" {
				rt.Reason = what
			}
		}
	}
	for _, p := range n.routes {
		if rt := rtByKey[p.table.Ref]; rt != nil {
			if p.unknown != "" {
				rt.Complete, rt.Reason = false, p.unknown
				continue
			}
			rt.Routes = append(rt.Routes, p.route)
			continue
		}
		if !p.table.Known() {
			unresolvedRT(fmt.Sprintf("%s: its route table is unknown before apply (%s)", p.addr, p.table.Reason))
		}
	}
	for _, a := range n.assocs {
		if rt := rtByKey[a.table.Ref]; rt != nil {
			rt.Subnets = append(rt.Subnets, a.subnet)
			continue
		}
		if !a.table.Known() {
			unresolvedRT(fmt.Sprintf("a route table association's route table is unknown before apply (%s)", a.table.Reason))
		}
	}
	for _, a := range n.mains {
		if rt := rtByKey[a.table.Ref]; rt != nil {
			rt.Main = true
			if rt.VpcID.Resolution != model.Explicit {
				rt.VpcID = a.subnet
			}
		}
	}
	epByKey := map[string]*model.VPCEndpoint{}
	for _, ep := range set.VPCEndpoints {
		epByKey[ep.ID()] = ep
	}
	for _, a := range n.endpointRTs {
		if ep := epByKey[a.table.Ref]; ep != nil {
			ep.RouteTableIDs.Items = append(ep.RouteTableIDs.Items, a.subnet)
			if ep.RouteTableIDs.Resolution != model.Unknown {
				ep.RouteTableIDs.Resolution = model.Explicit
			}
		}
	}
	for _, a := range n.endpointSubnets {
		if ep := epByKey[a.table.Ref]; ep != nil {
			ep.SubnetIDs.Items = append(ep.SubnetIDs.Items, a.subnet)
			if ep.SubnetIDs.Resolution != model.Unknown {
				ep.SubnetIDs.Resolution = model.Explicit
			}
		}
	}
	sgByKey := map[string]*model.SecurityGroup{}
	for _, sg := range set.SecurityGroups {
		sgByKey[sg.ID()] = sg
	}
	for _, r := range n.rules {
		sg := sgByKey[r.group.Ref]
		if sg == nil {
			if !r.group.Known() {
				for _, g := range set.SecurityGroups {
					g.EgressComplete = false
					if g.Reason == "" {
						g.Reason = fmt.Sprintf("an egress rule's security group is unknown before apply (%s)", r.group.Reason)
					}
				}
			}
			continue
		}
		sg.EgressDeclared = true
		if r.unknown != "" {
			sg.EgressComplete = false
			sg.Reason = r.unknown
			continue
		}
		sg.Egress = append(sg.Egress, r.rule)
	}
}
