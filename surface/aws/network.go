package aws

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/model"
)

// filterValueLimit is how many values EC2 accepts in one filter.
const filterValueLimit = 200

// auditNetwork reads the network facts of the notebooks that run in a VPC:
// their subnets (one region-wide look-up), then per VPC, once, its route
// tables, NAT gateways, VPC endpoints and security groups.
func (a *auditor) auditNetwork(ctx context.Context, t target, scope *regionScope) {
	subnetIDs, groupIDs := notebookNetworkIDs(scope.set)
	if len(subnetIDs) == 0 || ctx.Err() != nil {
		return
	}
	client := ec2.NewFromConfig(t.cfg, func(o *ec2.Options) { o.Region = scope.region })

	subnets, err := describeSubnets(ctx, client, subnetIDs)
	if err == nil {
		err = onlyAsked(subnets, subnetIDs)
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		reason := fmt.Sprintf("subnets could not be read (ec2 DescribeSubnets): %s", describeErr(err))
		scope.fail("%s", reason)
		for _, id := range subnetIDs {
			scope.set.Subnets = append(scope.set.Subnets, &model.Subnet{
				Meta: scope.meta(TypeSubnet, id, id, "", ""), VpcID: unknown(reason)})
		}
		scope.gap(scope.regionMeta(), networkKinds, err, reason)
		return
	}
	vpcs := map[string]bool{}
	for _, sn := range subnets {
		scope.set.Subnets = append(scope.set.Subnets, scope.subnet(sn))
		if v := sdkaws.ToString(sn.VpcId); v != "" {
			vpcs[v] = true
		}
	}
	vpcIDs := sortedKeys(vpcs)
	results := make([]*vpcFacts, len(vpcIDs))
	forEach(ctx, len(vpcIDs), a.opts.DescribeParallelism, func(i int) {
		results[i] = scope.describeVPC(ctx, client, vpcIDs[i], groupIDs)
	})
	if ctx.Err() != nil {
		return
	}
	for _, f := range results {
		scope.set.RouteTables = append(scope.set.RouteTables, f.routeTables...)
		scope.set.NATGateways = append(scope.set.NATGateways, f.nats...)
		// A NAT gateway usually sits in a public subnet no notebook uses:
		// DescribeNatGateways names that subnet and its VPC, which is what
		// the controls need to follow a NAT route, so no further call.
		for _, sn := range f.natSubnets {
			if scope.set.SubnetByID(sn.Key) == nil {
				scope.set.Subnets = append(scope.set.Subnets, sn)
			}
		}
		scope.set.VPCEndpoints = append(scope.set.VPCEndpoints, f.endpoints...)
		scope.set.SecurityGroups = append(scope.set.SecurityGroups, f.groups...)
	}
}

// notebookNetworkIDs returns the distinct subnet and security group IDs of
// the set's notebooks, sorted.
func notebookNetworkIDs(set *model.Set) (subnets, groups []string) {
	sn, sg := map[string]bool{}, map[string]bool{}
	for _, nb := range set.Notebooks {
		if nb.SubnetID.Ref == "" {
			continue
		}
		sn[nb.SubnetID.Ref] = true
		for _, g := range nb.SecurityGroups.Items {
			if g.Ref != "" {
				sg[g.Ref] = true
			}
		}
	}
	return sortedKeys(sn), sortedKeys(sg)
}

// chunks splits values into filter-sized pieces.
func chunks(values []string) [][]string {
	var out [][]string
	for len(values) > filterValueLimit {
		out = append(out, values[:filterValueLimit])
		values = values[filterValueLimit:]
	}
	return append(out, values)
}

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: sdkaws.String(name), Values: values}
}

// describeSubnets reads the subnets by a subnet-id filter, so a subnet that
// no longer exists is simply absent instead of failing the whole call.
func describeSubnets(ctx context.Context, client *ec2.Client, ids []string) ([]ec2types.Subnet, error) {
	var out []ec2types.Subnet
	for _, chunk := range chunks(ids) {
		pages := ec2.NewDescribeSubnetsPaginator(client, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{filter("subnet-id", chunk...)}})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			out = append(out, page.Subnets...)
		}
	}
	return out, nil
}

// onlyAsked checks that DescribeSubnets answered only subnets that were
// asked for, each with its VPC: anything else is not an answer to the call.
func onlyAsked(subnets []ec2types.Subnet, asked []string) error {
	for _, sn := range subnets {
		id := sdkaws.ToString(sn.SubnetId)
		if !slices.Contains(asked, id) {
			return fmt.Errorf("the answer has subnet %q, which was not asked for", id)
		}
		if sdkaws.ToString(sn.VpcId) == "" {
			return fmt.Errorf("the answer has subnet %s without its VPC", id)
		}
	}
	return nil
}

// vpcFacts are the EC2 resources of one VPC.
type vpcFacts struct {
	routeTables []*model.RouteTable
	nats        []*model.NATGateway
	// natSubnets are the subnets of the NAT gateways, as DescribeNatGateways
	// states them (ID and VPC only).
	natSubnets []*model.Subnet
	endpoints  []*model.VPCEndpoint
	groups     []*model.SecurityGroup
}

// describeVPC reads one VPC's route tables, NAT gateways, endpoints and
// security groups. A failed look-up leaves the facts it would have given
// incomplete (route tables Complete=false, groups EgressComplete=false) with
// the reason, and adds a gap limited to the network controls.
func (s *regionScope) describeVPC(ctx context.Context, client *ec2.Client, vpc string, notebookGroups []string) *vpcFacts {
	f := &vpcFacts{}
	vpcFilter := []ec2types.Filter{filter("vpc-id", vpc)}
	var failures []string
	failed := func(what, op string, err error) {
		if ctx.Err() != nil {
			return
		}
		reason := fmt.Sprintf("%s of %s could not be read (ec2 %s): %s", what, vpc, op, describeErr(err))
		failures = append(failures, reason)
		s.fail("%s", reason)
		s.gap(s.meta(TypeVPC, vpc, vpc, vpc, ""), networkKinds, err, reason)
	}

	if tables, err := inVPC(vpc, "route table", func(r ec2types.RouteTable) (*string, *string) { return r.RouteTableId, r.VpcId })(
		collect(ctx, ec2.NewDescribeRouteTablesPaginator(client, &ec2.DescribeRouteTablesInput{Filters: vpcFilter}),
			func(p *ec2.DescribeRouteTablesOutput) []ec2types.RouteTable { return p.RouteTables })); err != nil {
		failed("route tables", "DescribeRouteTables", err)
		// Stand-in main table: subnets without a known association fall back
		// to it, and it says the routes are not known.
		f.routeTables = append(f.routeTables, &model.RouteTable{
			Meta: s.meta(TypeRouteTable, vpc+" route tables", vpc+"/route-tables", "", ""), VpcID: ref(vpc), Main: true,
			Complete: false, Reason: failures[len(failures)-1],
		})
	} else {
		for _, rt := range tables {
			f.routeTables = append(f.routeTables, s.routeTable(rt))
		}
	}

	if nats, err := inVPC(vpc, "NAT gateway", func(n ec2types.NatGateway) (*string, *string) { return n.NatGatewayId, n.VpcId })(
		collect(ctx, ec2.NewDescribeNatGatewaysPaginator(client, &ec2.DescribeNatGatewaysInput{Filter: vpcFilter}),
			func(p *ec2.DescribeNatGatewaysOutput) []ec2types.NatGateway { return p.NatGateways })); err != nil {
		failed("NAT gateways", "DescribeNatGateways", err)
	} else {
		for _, n := range nats {
			f.nats = append(f.nats, s.natGateway(n))
			if sub, v := sdkaws.ToString(n.SubnetId), sdkaws.ToString(n.VpcId); sub != "" && v != "" {
				f.natSubnets = append(f.natSubnets, &model.Subnet{Meta: s.meta(TypeSubnet, sub, sub, "", ""), VpcID: ref(v)})
			}
		}
	}

	if eps, err := inVPC(vpc, "VPC endpoint", func(e ec2types.VpcEndpoint) (*string, *string) { return e.VpcEndpointId, e.VpcId })(
		collect(ctx, ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{Filters: vpcFilter}),
			func(p *ec2.DescribeVpcEndpointsOutput) []ec2types.VpcEndpoint { return p.VpcEndpoints })); err != nil {
		failed("VPC endpoints", "DescribeVpcEndpoints", err)
	} else {
		for _, ep := range eps {
			f.endpoints = append(f.endpoints, s.vpcEndpoint(ep))
		}
	}

	if groups, err := inVPC(vpc, "security group", func(g ec2types.SecurityGroup) (*string, *string) { return g.GroupId, g.VpcId })(
		collect(ctx, ec2.NewDescribeSecurityGroupsPaginator(client, &ec2.DescribeSecurityGroupsInput{Filters: vpcFilter}),
			func(p *ec2.DescribeSecurityGroupsOutput) []ec2types.SecurityGroup { return p.SecurityGroups })); err != nil {
		failed("security groups", "DescribeSecurityGroups", err)
		for _, id := range notebookGroups {
			f.groups = append(f.groups, &model.SecurityGroup{
				Meta: s.meta(TypeSecurityGroup, id, id, "", ""), VpcID: ref(vpc), EgressDeclared: true,
				EgressComplete: false, Reason: failures[len(failures)-1],
			})
		}
	} else {
		for _, g := range groups {
			f.groups = append(f.groups, s.securityGroup(g))
		}
	}

	if len(failures) > 0 {
		// Routes alone no longer decide whether a path exists.
		for _, rt := range f.routeTables {
			rt.Complete = false
			if rt.Reason == "" {
				rt.Reason = strings.Join(failures, "; ")
			}
		}
	}
	return f
}

// pager is what the SDK's EC2 paginators share.
type pager[P any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*ec2.Options)) (P, error)
}

// inVPC checks the answer to a look-up filtered by vpc: an item of another
// VPC, or without an ID, means the answer is not about what was asked, and
// the whole answer is an error. Its result takes collect's two results.
func inVPC[T any](vpc, what string, fields func(T) (id, vpc *string)) func([]T, error) ([]T, error) {
	return func(items []T, err error) ([]T, error) {
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			id, v := fields(it)
			if sdkaws.ToString(id) == "" {
				return nil, fmt.Errorf("the answer has a %s without an ID", what)
			}
			if got := sdkaws.ToString(v); got != vpc {
				return nil, fmt.Errorf("the answer for %s has %s %s of VPC %q", vpc, what, sdkaws.ToString(id), got)
			}
		}
		return items, nil
	}
}

// collect reads every page of a paginator.
func collect[P any, T any](ctx context.Context, p pager[P], items func(P) []T) ([]T, error) {
	var out []T
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, items(page)...)
	}
	return out, nil
}

func (s *regionScope) subnet(sn ec2types.Subnet) *model.Subnet {
	id := sdkaws.ToString(sn.SubnetId)
	return &model.Subnet{Meta: s.meta(TypeSubnet, id, id, tagName(sn.Tags), sdkaws.ToString(sn.SubnetArn)),
		VpcID: ref(sdkaws.ToString(sn.VpcId))}
}

func tagName(tags []ec2types.Tag) string {
	for _, t := range tags {
		if sdkaws.ToString(t.Key) == "Name" {
			return sdkaws.ToString(t.Value)
		}
	}
	return ""
}

func (s *regionScope) routeTable(rt ec2types.RouteTable) *model.RouteTable {
	id := sdkaws.ToString(rt.RouteTableId)
	out := &model.RouteTable{Meta: s.meta(TypeRouteTable, id, id, tagName(rt.Tags), ""),
		VpcID: ref(sdkaws.ToString(rt.VpcId)), Complete: true}
	for _, as := range rt.Associations {
		if sdkaws.ToBool(as.Main) {
			out.Main = true
		}
		if sub := sdkaws.ToString(as.SubnetId); sub != "" {
			out.Subnets = append(out.Subnets, ref(sub))
		}
	}
	for _, r := range rt.Routes {
		out.Routes = append(out.Routes, route(r))
	}
	return out
}

// route converts one route; a blackhole route is no path, whatever its
// target: its kind is TargetOther.
func route(r ec2types.Route) model.Route {
	dest := sdkaws.ToString(r.DestinationCidrBlock)
	if dest == "" {
		dest = sdkaws.ToString(r.DestinationIpv6CidrBlock)
	}
	if dest == "" {
		dest = sdkaws.ToString(r.DestinationPrefixListId)
	}
	out := model.Route{Destination: explicit(dest), TargetKind: awsfacts.TargetOther}
	// The EC2 API's Route fields, by the names awsfacts.RouteTargetAttributes uses.
	ids := map[string]*string{
		"NatGatewayId": r.NatGatewayId, "GatewayId": r.GatewayId, "EgressOnlyInternetGatewayId": r.EgressOnlyInternetGatewayId,
		"TransitGatewayId": r.TransitGatewayId, "VpcPeeringConnectionId": r.VpcPeeringConnectionId,
		"NetworkInterfaceId": r.NetworkInterfaceId, "InstanceId": r.InstanceId, "CarrierGatewayId": r.CarrierGatewayId,
		"LocalGatewayId": r.LocalGatewayId, "CoreNetworkArn": r.CoreNetworkArn,
	}
	for _, a := range awsfacts.RouteTargetAttributes {
		id := sdkaws.ToString(ids[a.Live])
		if id == "" {
			continue
		}
		if r.State == ec2types.RouteStateBlackhole {
			out.Target = explicit(id)
			return out
		}
		out.TargetKind, out.Target = awsfacts.ClassifyRouteTarget(a, "", id, true), ref(id)
		return out
	}
	return out
}

func (s *regionScope) natGateway(n ec2types.NatGateway) *model.NATGateway {
	id := sdkaws.ToString(n.NatGatewayId)
	return &model.NATGateway{Meta: s.meta(TypeNATGateway, id, id, tagName(n.Tags), ""),
		SubnetID: ref(sdkaws.ToString(n.SubnetId)), State: string(n.State)}
}

func (s *regionScope) vpcEndpoint(ep ec2types.VpcEndpoint) *model.VPCEndpoint {
	id := sdkaws.ToString(ep.VpcEndpointId)
	out := &model.VPCEndpoint{
		Meta:             s.meta(TypeVPCEndpoint, id, id, tagName(ep.Tags), ""),
		VpcID:            ref(sdkaws.ToString(ep.VpcId)),
		ServiceName:      explicit(sdkaws.ToString(ep.ServiceName)),
		Type:             explicit(string(ep.VpcEndpointType)),
		RouteTableIDs:    refs(ep.RouteTableIds),
		SubnetIDs:        refs(ep.SubnetIds),
		SecurityGroupIDs: model.List{Resolution: model.Default},
		State:            string(ep.State),
	}
	if ep.VpcEndpointType == "" {
		// EC2's default endpoint type (moto omits the field when it was not given).
		out.Type = model.Str{V: awsfacts.DefaultEndpointType, Resolution: model.Default}
	}
	if ep.PrivateDnsEnabled != nil {
		out.PrivateDNSEnabled = model.Bool{V: *ep.PrivateDnsEnabled, Resolution: model.Explicit}
	} else {
		out.PrivateDNSEnabled = model.Bool{V: awsfacts.DefaultPrivateDNSEnabled, Resolution: model.Default}
	}
	for _, g := range ep.Groups {
		out.SecurityGroupIDs.Items = append(out.SecurityGroupIDs.Items, ref(sdkaws.ToString(g.GroupId)))
		out.SecurityGroupIDs.Resolution = model.Explicit
	}
	return out
}

func (s *regionScope) securityGroup(g ec2types.SecurityGroup) *model.SecurityGroup {
	id := sdkaws.ToString(g.GroupId)
	out := &model.SecurityGroup{Meta: s.meta(TypeSecurityGroup, id, id, sdkaws.ToString(g.GroupName), sdkaws.ToString(g.SecurityGroupArn)),
		VpcID: ref(sdkaws.ToString(g.VpcId)), EgressDeclared: true, EgressComplete: true,
		VPCDefault: sdkaws.ToString(g.GroupName) == "default"}
	for _, p := range g.IpPermissionsEgress {
		out.Egress = append(out.Egress, sgRule(id, p))
	}
	return out
}

// sgRule converts one egress permission. Ports are absent for protocol -1
// (all traffic), which the rule then covers entirely.
func sgRule(groupID string, p ec2types.IpPermission) model.SGRule {
	r := model.SGRule{Protocol: explicit(strings.ToLower(sdkaws.ToString(p.IpProtocol)))}
	r.FromPort, r.ToPort = port(p.FromPort, 0), port(p.ToPort, 65535)
	for _, c := range p.IpRanges {
		r.CIDRs = append(r.CIDRs, explicit(sdkaws.ToString(c.CidrIp)))
	}
	for _, c := range p.Ipv6Ranges {
		r.CIDRs = append(r.CIDRs, explicit(sdkaws.ToString(c.CidrIpv6)))
	}
	for _, pl := range p.PrefixListIds {
		r.PrefixListIDs = append(r.PrefixListIDs, ref(sdkaws.ToString(pl.PrefixListId)))
	}
	for _, pair := range p.UserIdGroupPairs {
		gid := sdkaws.ToString(pair.GroupId)
		if gid == groupID {
			r.Self = true
			continue
		}
		r.SecurityGroups = append(r.SecurityGroups, ref(gid))
	}
	sort.SliceStable(r.CIDRs, func(i, j int) bool { return r.CIDRs[i].V < r.CIDRs[j].V })
	return r
}

// port is an explicit port, or the whole range's bound when EC2 gives none
// (or -1, "all ports").
func port(p *int32, whole int64) model.Int {
	if p == nil || *p < 0 {
		return model.Int{V: whole, Resolution: model.Default}
	}
	return model.Int{V: int64(*p), Resolution: model.Explicit}
}
