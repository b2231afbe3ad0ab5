package control

import (
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	mt "github.com/sagefence/sagefence/model/modeltest"
)

// Builders for hand-made Terraform-surface sets: a VPC "aws_vpc.main" with a
// private subnet, its route table and the notebook.

const (
	vpc     = "aws_vpc.main"
	subnet  = "aws_subnet.private"
	public  = "aws_subnet.public"
	rtb     = "aws_route_table.private"
	nat     = "aws_nat_gateway.this"
	nbAddr  = "aws_sagemaker_notebook_instance.nb"
	sgAddr  = "aws_security_group.nb"
	epSG    = "aws_security_group.endpoints"
	lcAddr  = "aws_sagemaker_notebook_instance_lifecycle_configuration.lc"
	region  = "us-east-1"
	svcBase = "com.amazonaws.us-east-1."
)

func notebook() *model.NotebookInstance {
	return &model.NotebookInstance{
		Meta:                 mt.TerraformMeta("aws_sagemaker_notebook_instance", nbAddr),
		DirectInternetAccess: mt.Lit("Disabled"),
		SubnetID:             mt.Ref(subnet),
		SecurityGroups:       mt.Refs(sgAddr),
		LifecycleConfigName:  mt.Default(""),
	}
}

func iface(addr, svc string, dns bool, vpcKey string) *model.VPCEndpoint {
	return &model.VPCEndpoint{
		Meta: mt.TerraformMeta("aws_vpc_endpoint", addr), VpcID: mt.Ref(vpcKey), ServiceName: mt.Lit(svcBase + svc),
		Type: mt.Lit("Interface"), PrivateDNSEnabled: mt.Bool(dns), SecurityGroupIDs: mt.Refs(epSG),
		RouteTableIDs: model.List{Resolution: model.Default}, SubnetIDs: mt.Refs(subnet),
	}
}

func gateway(addr string, rtbs ...string) *model.VPCEndpoint {
	return &model.VPCEndpoint{
		Meta: mt.TerraformMeta("aws_vpc_endpoint", addr), VpcID: mt.Ref(vpc), ServiceName: mt.Lit(svcBase + "s3"),
		Type: mt.Default(""), PrivateDNSEnabled: model.Bool{Resolution: model.Default}, RouteTableIDs: mt.Refs(rtbs...),
		SecurityGroupIDs: model.List{Resolution: model.Default}, SubnetIDs: model.List{Resolution: model.Default},
	}
}

func allEndpoints() []*model.VPCEndpoint {
	return []*model.VPCEndpoint{
		iface("aws_vpc_endpoint.api", "sagemaker.api", true, vpc),
		iface("aws_vpc_endpoint.runtime", "sagemaker.runtime", true, vpc),
		gateway("aws_vpc_endpoint.s3", rtb),
	}
}

func routeTable(routes ...model.Route) *model.RouteTable {
	return &model.RouteTable{Meta: mt.TerraformMeta("aws_route_table", rtb), VpcID: mt.Ref(vpc), Subnets: []model.Str{mt.Ref(subnet)},
		Routes: routes, Complete: true}
}

func natRoute() model.Route {
	return model.Route{Destination: mt.Lit("0.0.0.0/0"), TargetKind: "nat", Target: mt.Ref(nat)}
}

func https(cidr string) model.SGRule {
	return model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443), CIDRs: []model.Str{mt.Lit(cidr)}}
}

func group(addr string, declared bool, rules ...model.SGRule) *model.SecurityGroup {
	return &model.SecurityGroup{Meta: mt.TerraformMeta("aws_security_group", addr), VpcID: mt.Ref(vpc), EgressDeclared: declared,
		Egress: rules, EgressComplete: true}
}

// baseSet is a notebook with all three endpoints, an explicit private route
// table without NAT and a group allowing 443 to the VPC CIDR.
func baseSet() *model.Set {
	return &model.Set{
		Surface:   model.SurfaceTerraform,
		Notebooks: []*model.NotebookInstance{notebook()},
		Subnets: []*model.Subnet{
			{Meta: mt.TerraformMeta("aws_subnet", subnet), VpcID: mt.Ref(vpc)},
			{Meta: mt.TerraformMeta("aws_subnet", public), VpcID: mt.Ref(vpc)},
		},
		RouteTables:    []*model.RouteTable{routeTable()},
		NATGateways:    []*model.NATGateway{{Meta: mt.TerraformMeta("aws_nat_gateway", nat), SubnetID: mt.Ref(public)}},
		VPCEndpoints:   allEndpoints(),
		SecurityGroups: []*model.SecurityGroup{group(sgAddr, true, https("10.0.0.0/16")), group(epSG, true, https("10.0.0.0/16"))},
	}
}

func runOne(t *testing.T, id string, set *model.Set) finding.Finding {
	t.Helper()
	c, ok := Lookup(id)
	if !ok {
		t.Fatalf("control %s not registered", id)
	}
	fs := evaluate(t, c, set)
	if len(fs) != 1 {
		t.Fatalf("%s: got %d findings, want 1: %+v", id, len(fs), fs)
	}
	return fs[0]
}

type pitfallCase struct {
	name     string
	mutate   func(s *model.Set)
	status   finding.Status
	contains []string
}

func runPitfallCases(t *testing.T, id string, cases []pitfallCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := baseSet()
			if tc.mutate != nil {
				tc.mutate(s)
			}
			f := runOne(t, id, s)
			if f.Status != tc.status {
				t.Errorf("status %s, want %s: %s", f.Status, tc.status, f.Message)
			}
			for _, want := range tc.contains {
				if !strings.Contains(f.Message, want) {
					t.Errorf("message %q does not contain %q", f.Message, want)
				}
			}
			if f.Status == finding.Unknown && (f.Resolution != model.Unknown || f.Observed != nil) {
				t.Errorf("unknown finding with resolution %q observed %v", f.Resolution, f.Observed)
			}
			if f.Status != finding.Unknown && f.Observed == nil {
				t.Errorf("decided finding without observed value: %s", f.Message)
			}
			if f.Severity == "" || f.Attribute == "" || f.Expected == "" || f.Remediation == "" {
				t.Errorf("finding lacks documentation fields: %+v", f)
			}
		})
	}
}

func TestPitfallControlsSkipNotebooksNotDisabled(t *testing.T) {
	for _, dia := range []model.Str{mt.Lit("Enabled"), mt.Default("Enabled"), mt.Unknown("var.access has no value"), mt.Lit("disabled")} {
		s := baseSet()
		s.Notebooks[0].DirectInternetAccess = dia
		for _, id := range []string{PrivateServiceAccessID, SecurityGroupHTTPSEgressID, LifecyclePublicFetchID} {
			c, _ := Lookup(id)
			if fs := evaluate(t, c, s); len(fs) != 0 {
				t.Errorf("%s with DirectInternetAccess %+v: got %d findings, want none", id, dia, len(fs))
			}
		}
	}
}

func TestPrivateServiceAccess(t *testing.T) {
	withoutEndpoint := func(addr string) func(s *model.Set) {
		return func(s *model.Set) {
			var keep []*model.VPCEndpoint
			for _, ep := range s.VPCEndpoints {
				if ep.Address != addr {
					keep = append(keep, ep)
				}
			}
			s.VPCEndpoints = keep
		}
	}
	runPitfallCases(t, PrivateServiceAccessID, []pitfallCase{
		{"all endpoints present", nil, finding.Pass, []string{"aws_vpc_endpoint.api", "aws_vpc_endpoint.s3"}},
		{"runtime endpoint missing", withoutEndpoint("aws_vpc_endpoint.runtime"), finding.Fail,
			[]string{"cannot reach sagemaker.runtime", "no endpoint for com.amazonaws.<region>.sagemaker.runtime", "no 0.0.0.0/0 route"}},
		{"no endpoints at all", func(s *model.Set) { s.VPCEndpoints = nil }, finding.Fail,
			[]string{"sagemaker.api, sagemaker.runtime, s3"}},
		{"api endpoint in another VPC", func(s *model.Set) { s.VPCEndpoints[0].VpcID = mt.Ref("aws_vpc.other") }, finding.Fail,
			[]string{"sagemaker.api", "in another VPC (aws_vpc.other.id"}},
		{"private DNS off", func(s *model.Set) { s.VPCEndpoints[1].PrivateDNSEnabled = mt.Bool(false) }, finding.Fail,
			[]string{"sagemaker.runtime", "private DNS off (private_dns_enabled is false"}},
		{"private DNS omitted", func(s *model.Set) {
			s.VPCEndpoints[0].PrivateDNSEnabled = model.Bool{Resolution: model.Default}
		}, finding.Fail, []string{"omitted and defaults to false"}},
		{"private DNS unknown", func(s *model.Set) {
			s.VPCEndpoints[0].PrivateDNSEnabled = model.Bool{Resolution: model.Unknown, Reason: "var.dns has no value"}
		}, finding.Unknown, []string{"var.dns has no value"}},
		{"gateway not associated with the subnet's route table", func(s *model.Set) {
			s.VPCEndpoints[2].RouteTableIDs = mt.Refs("aws_route_table.public")
		}, finding.Fail, []string{"s3", "not associated with route table aws_route_table.private"}},
		{"S3 interface endpoint with private DNS", func(s *model.Set) {
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", true, vpc)
		}, finding.Pass, nil},
		{"S3 interface endpoint without private DNS", func(s *model.Set) {
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", false, vpc)
		}, finding.Fail, []string{"s3 (aws_vpc_endpoint.s3i has private DNS off"}},
		{"endpoint for another region", func(s *model.Set) {
			s.Notebooks[0].Region = "eu-west-1"
		}, finding.Fail, []string{"is for region us-east-1, the notebook is in eu-west-1", "com.amazonaws.eu-west-1.sagemaker.api"}},
		{"region part unknown matches by suffix", func(s *model.Set) {
			s.Notebooks[0].Region = "eu-west-1"
			for _, ep := range s.VPCEndpoints {
				ep.ServiceName = model.Str{V: strings.Replace(ep.ServiceName.V, region, "${data.aws_region.current.name}", 1),
					Resolution: model.Unknown, Reason: "data.aws_region.current.name is known only after apply"}
			}
		}, finding.Pass, []string{"matched sagemaker.api by its service suffix"}},
		{"service name wholly unknown", func(s *model.Set) {
			s.VPCEndpoints[0].ServiceName = mt.Unknown("var.service has no value")
		}, finding.Unknown, []string{"sagemaker.api", "var.service has no value"}},
		{"NAT on the explicit table covers everything", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.RouteTables[0].Routes = []model.Route{natRoute()}
		}, finding.Pass, []string{"sends 0.0.0.0/0 to NAT gateway aws_nat_gateway.this", "covers sagemaker.api"}},
		{"NAT on the main table", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.RouteTables[0].Subnets = nil
			s.RouteTables[0].Main = true
			s.RouteTables[0].Routes = []model.Route{natRoute()}
		}, finding.Pass, []string{"(main route table)"}},
		{"explicit association wins over main", func(s *model.Set) {
			s.VPCEndpoints = nil
			main := routeTable(natRoute())
			main.Address, main.Subnets, main.Main = "aws_default_route_table.main", nil, true
			s.RouteTables = append(s.RouteTables, main)
		}, finding.Fail, []string{"route table aws_route_table.private (explicit association) has no 0.0.0.0/0 route"}},
		{"NAT in another VPC", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.Subnets[1].VpcID = mt.Ref("aws_vpc.egress")
			s.RouteTables[0].Routes = []model.Route{natRoute()}
		}, finding.Fail, []string{"which is in VPC aws_vpc.egress.id, not the notebook's VPC aws_vpc.main.id"}},
		{"NAT not in the configuration", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.RouteTables[0].Routes = []model.Route{{Destination: mt.Lit("0.0.0.0/0"), TargetKind: "nat", Target: mt.Lit("nat-0abc")}}
		}, finding.Unknown, []string{"NAT gateway nat-0abc, which is not in this configuration"}},
		{"default route to an internet gateway", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.RouteTables[0].Routes = []model.Route{{Destination: mt.Lit("0.0.0.0/0"), TargetKind: "igw", Target: mt.Ref("aws_internet_gateway.gw")}}
		}, finding.Fail, []string{"internet gateway"}},
		{"default route to a transit gateway", func(s *model.Set) {
			s.VPCEndpoints = allEndpoints()[:2]
			s.RouteTables[0].Routes = []model.Route{{Destination: mt.Lit("0.0.0.0/0"), TargetKind: "other", Target: mt.Ref("aws_ec2_transit_gateway.tgw")}}
		}, finding.Unknown, []string{"s3", "aws_ec2_transit_gateway.tgw.id", "cannot follow"}},
		{"endpoints cover all even when the route table is unknown", func(s *model.Set) {
			s.RouteTables = nil
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", true, vpc)
		}, finding.Pass, nil},
		{"gateway needs the route table, which is not declared", func(s *model.Set) {
			s.RouteTables = nil
		}, finding.Unknown, []string{"main route table is not declared"}},
		{"incomplete route table", func(s *model.Set) {
			s.VPCEndpoints = allEndpoints()[:2]
			s.RouteTables[0].Complete = false
			s.RouteTables[0].Reason = "aws_route.extra has an unresolved destination"
		}, finding.Unknown, []string{"aws_route.extra has an unresolved destination"}},
		{"unresolved association blocks the main-table fallback", func(s *model.Set) {
			s.VPCEndpoints = nil
			s.RouteTables[0].Subnets = []model.Str{mt.Unknown("aws_subnet.x[var.i] cannot be resolved")}
			main := routeTable(natRoute())
			main.Address, main.Subnets, main.Main = "aws_default_route_table.main", nil, true
			s.RouteTables = append(s.RouteTables, main)
		}, finding.Unknown, []string{"associations of aws_route_table.private cannot be resolved"}},
		{"literal subnet ID", func(s *model.Set) { s.Notebooks[0].SubnetID = mt.Lit("subnet-0abc") }, finding.Unknown,
			[]string{"literal ID \"subnet-0abc\"", "sagefence audit"}},
		{"subnet from outside the set", func(s *model.Set) { s.Notebooks[0].SubnetID = mt.Ref("module.net.aws_subnet.a") }, finding.Unknown,
			[]string{"not in this configuration", "sagefence audit"}},
		{"subnet unknown", func(s *model.Set) {
			s.Notebooks[0].SubnetID = mt.Unknown("data.aws_subnet.x.id is known only after apply")
		}, finding.Unknown,
			[]string{"known only after apply"}},
		{"no subnet", func(s *model.Set) { s.Notebooks[0].SubnetID = mt.Default("") }, finding.Fail,
			[]string{"no network path", InVPCID}},
		{"VPC of the subnet unknown", func(s *model.Set) { s.Subnets[0].VpcID = mt.Unknown("var.vpc has no value") }, finding.Unknown,
			[]string{"var.vpc has no value"}},
		{"one missing plus one undecided still fails", func(s *model.Set) {
			s.VPCEndpoints = []*model.VPCEndpoint{gateway("aws_vpc_endpoint.s3", rtb)}
			s.VPCEndpoints = append(s.VPCEndpoints, &model.VPCEndpoint{Meta: mt.TerraformMeta("aws_vpc_endpoint", "aws_vpc_endpoint.x"),
				VpcID: mt.Ref(vpc), ServiceName: mt.Lit(svcBase + "sagemaker.api"), Type: mt.Unknown("var.type has no value")})
		}, finding.Fail, []string{"cannot reach sagemaker.runtime", "also undecided: sagemaker.api"}},
		{"endpoint in failed state (live)", func(s *model.Set) { s.VPCEndpoints[0].State = "Failed" }, finding.Fail,
			[]string{"in state \"Failed\""}},
	})
}

func TestHTTPSEgress(t *testing.T) {
	setGroup := func(g *model.SecurityGroup) func(s *model.Set) {
		return func(s *model.Set) { s.SecurityGroups[0] = g }
	}
	withNAT := func(s *model.Set) {
		s.VPCEndpoints = nil
		s.RouteTables[0].Routes = []model.Route{natRoute()}
	}
	runPitfallCases(t, SecurityGroupHTTPSEgressID, []pitfallCase{
		{"443 to 0.0.0.0/0", setGroup(group(sgAddr, true, https("0.0.0.0/0"))), finding.Pass, []string{"0.0.0.0/0"}},
		{"443 to the VPC CIDR with endpoints", nil, finding.Fail, []string{"s3", "the S3 prefix list"}},
		{"443 to the VPC CIDR plus prefix list", setGroup(group(sgAddr, true, https("10.0.0.0/16"),
			model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443), PrefixListIDs: []model.Str{mt.Ref("aws_vpc_endpoint.s3")}})),
			finding.Pass, []string{"assumed to contain the endpoint's subnets", "prefix list"}},
		{"only port 80", setGroup(group(sgAddr, true, https("0.0.0.0/0"), model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(80), ToPort: mt.Int(80),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Pass, nil},
		{"only port 80 really", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(80), ToPort: mt.Int(80),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Fail, []string{"no egress rule", "tcp 80"}},
		{"all protocols", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("-1"), FromPort: mt.Int(0), ToPort: mt.Int(0),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Pass, []string{"all traffic"}},
		{"port range including 443", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(0), ToPort: mt.Int(65535),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Pass, nil},
		{"udp 443 does not count", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("udp"), FromPort: mt.Int(443), ToPort: mt.Int(443),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Fail, nil},
		{"egress = []", setGroup(group(sgAddr, true)), finding.Fail, []string{"declared empty"}},
		{"terraform-managed without egress", setGroup(group(sgAddr, false)), finding.Fail,
			[]string{"Terraform removes AWS's default allow-all egress rule"}},
		{"unmanaged group keeps the default", func(s *model.Set) {
			g := group(sgAddr, false)
			g.Managed = false
			s.SecurityGroups[0] = g
		}, finding.Pass, []string{"created outside the scanned IaC"}},
		{"cloudformation group without SecurityGroupEgress", func(s *model.Set) {
			g := group(sgAddr, false)
			g.Surface = model.SurfaceCloudFormation
			s.SecurityGroups[0] = g
		}, finding.Pass, []string{"AWS keeps its default allow-all egress rule"}},
		{"separate rule resource", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443),
			CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}, Address: "aws_vpc_security_group_egress_rule.https"})), finding.Pass,
			[]string{"aws_vpc_security_group_egress_rule.https"}},
		{"security group target of the endpoints", func(s *model.Set) {
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", true, vpc)
			s.SecurityGroups[0] = group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443),
				SecurityGroups: []model.Str{mt.Ref(epSG)}})
		}, finding.Pass, []string{"the group of aws_vpc_endpoint.api"}},
		{"security group target that is not the endpoints'", func(s *model.Set) {
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", true, vpc)
			s.SecurityGroups[0] = group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443),
				SecurityGroups: []model.Str{mt.Ref("aws_security_group.db")}})
		}, finding.Fail, []string{"endpoint's security group"}},
		{"self when the endpoints share the notebook's group", func(s *model.Set) {
			s.VPCEndpoints[2] = iface("aws_vpc_endpoint.s3i", "s3", true, vpc)
			for _, ep := range s.VPCEndpoints {
				ep.SecurityGroupIDs = mt.Refs(sgAddr)
			}
			s.SecurityGroups[0] = group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443), Self: true})
		}, finding.Pass, []string{"self"}},
		{"prefix list only, behind NAT: sagemaker needs 0.0.0.0/0", func(s *model.Set) {
			withNAT(s)
			s.SecurityGroups[0] = group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(443), ToPort: mt.Int(443),
				PrefixListIDs: []model.Str{mt.Lit("pl-63a5400a")}})
		}, finding.Fail, []string{"sagemaker.api", "NAT gateway aws_nat_gateway.this", "needs TCP 443 to 0.0.0.0/0"}},
		{"VPC CIDR only, behind NAT", func(s *model.Set) { withNAT(s) }, finding.Fail, []string{"0.0.0.0/0"}},
		{"security group not in the set", func(s *model.Set) {
			s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Explicit, Items: []model.Str{mt.Lit("sg-0abc")}}
		},
			finding.Unknown, []string{"sg-0abc", "not in this configuration"}},
		{"security groups unknown", func(s *model.Set) {
			s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Unknown, Reason: "var.sgs has no value"}
		}, finding.Unknown, []string{"var.sgs has no value"}},
		{"a group ID that cannot be identified names its one cause", func(s *model.Set) {
			s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Explicit, Items: []model.Str{
				{Resolution: model.Unknown, Reason: "data.aws_security_group.shared is read by Terraform at plan time"}}}
		}, finding.Unknown, []string{"an attached security group cannot be identified before apply (data.aws_security_group.shared is read by Terraform at plan time)"}},
		{"no security groups", func(s *model.Set) { s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Default} },
			finding.Unknown, []string{"default security group of the subnet's VPC", "aws_default_security_group", "sagefence audit"}},
		{"no security groups, default group declared", func(s *model.Set) {
			s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Default}
			def := group("aws_default_security_group.this", true, https("0.0.0.0/0"))
			def.VPCDefault = true
			def.VpcID = s.Subnets[0].VpcID
			s.SecurityGroups = append(s.SecurityGroups, def)
		}, finding.Pass, []string{"aws_default_security_group.this allows outbound TCP 443 to 0.0.0.0/0"}},
		{"no security groups, no subnet", func(s *model.Set) {
			s.Notebooks[0].SecurityGroups = model.List{Resolution: model.Default}
			s.Notebooks[0].SubnetID = model.Str{Resolution: model.Default}
		}, finding.Fail, []string{"neither a subnet nor security groups", "will not launch"}},
		{"unresolved port", setGroup(group(sgAddr, true, model.SGRule{Protocol: mt.Lit("tcp"), FromPort: model.Int{Resolution: model.Unknown},
			ToPort: mt.Int(443), CIDRs: []model.Str{mt.Lit("0.0.0.0/0")}})), finding.Unknown, []string{"ports of tcp"}},
		{"narrow targets and network outside", func(s *model.Set) { s.Notebooks[0].SubnetID = mt.Lit("subnet-0abc") }, finding.Unknown,
			[]string{"allowed only toward tcp 443 → 10.0.0.0/16", "sagefence audit"}},
		{"two groups: one without egress, one with 0.0.0.0/0", func(s *model.Set) {
			s.SecurityGroups = append(s.SecurityGroups, group("aws_security_group.extra", true, https("0.0.0.0/0")))
			s.SecurityGroups[0] = group(sgAddr, false)
			s.Notebooks[0].SecurityGroups = mt.Refs(sgAddr, "aws_security_group.extra")
		}, finding.Pass, []string{"aws_security_group.extra"}},
	})
}

func lifecycle(scripts ...model.Script) *model.LifecycleConfig {
	lc := &model.LifecycleConfig{Meta: mt.TerraformMeta("aws_sagemaker_notebook_instance_lifecycle_configuration", lcAddr), Scripts: scripts}
	lc.Name = "setup"
	return lc
}

func script(hook, content string) model.Script {
	return model.Script{Hook: hook, Content: content, Resolution: model.Explicit}
}

func TestLifecyclePublicFetch(t *testing.T) {
	attach := func(scripts ...model.Script) func(s *model.Set) {
		return func(s *model.Set) {
			s.LifecycleConfigs = []*model.LifecycleConfig{lifecycle(scripts...)}
			s.Notebooks[0].LifecycleConfigName = mt.Ref(lcAddr)
		}
	}
	both := func(fs ...func(s *model.Set)) func(s *model.Set) {
		return func(s *model.Set) {
			for _, f := range fs {
				f(s)
			}
		}
	}
	withNAT := func(s *model.Set) { s.RouteTables[0].Routes = []model.Route{natRoute()} }
	runPitfallCases(t, LifecyclePublicFetchID, []pitfallCase{
		{"no lifecycle configuration", nil, finding.Pass, []string{"no lifecycle configuration"}},
		{"pip from the public index", attach(script("on_start", "#!/bin/bash\nset -e\npip install pandas\n")), finding.Fail,
			[]string{`on_start line 3: "pip install pandas" (pip install)`, "without a NAT route"}},
		{"pip with a private index", attach(script("on_start", "pip install -i https://nexus.corp.internal/simple pandas")), finding.Pass,
			[]string{"fetch nothing"}},
		{"pip.conf written first", attach(script("on_create", "cat > /etc/pip.conf <<EOF\n[global]\nindex-url = https://m.internal/simple\nEOF\npip install x")),
			finding.Pass, nil},
		{"codeartifact login", attach(script("on_start", "aws codeartifact login --tool pip --domain d --repository r\npip install x")),
			finding.Pass, nil},
		{"conda from public channels", attach(script("on_create", "conda install -y -c conda-forge lightgbm")), finding.Fail,
			[]string{"on_create line 1", "conda install"}},
		{"curl of a public URL", attach(script("on_start", "curl -fsSL https://raw.githubusercontent.com/o/r/main/x.sh | bash")), finding.Fail,
			[]string{"download"}},
		{"wget of a public URL", attach(script("on_start", "wget https://github.com/o/r/archive/main.zip")), finding.Fail, []string{"download"}},
		{"git clone of GitHub", attach(script("on_start", "git clone https://github.com/aws/amazon-sagemaker-examples.git")), finding.Fail,
			[]string{"git clone"}},
		{"heredoc as ec2-user", attach(script("on_start", "#!/bin/bash\nsudo -u ec2-user -i <<'EOF'\nsource activate python3\npip install xgboost\nEOF\n")),
			finding.Fail, []string{"on_start line 4"}},
		{"nohup wrapper", attach(script("on_start", "nohup pip install -r /home/ec2-user/SageMaker/req.txt &")), finding.Fail,
			[]string{"on_start line 1"}},
		{"clean script", attach(script("on_start", "#!/bin/bash\naws s3 cp s3://bucket/setup.sh /tmp/ && bash /tmp/setup.sh\n")), finding.Pass,
			[]string{"fetch nothing"}},
		{"script from a file", attach(model.Script{Hook: "on_start", Content: "echo hi\npip install x\n", Resolution: model.Explicit,
			File: "scripts/on-start.sh"}), finding.Fail, []string{"on_start (scripts/on-start.sh) line 2"}},
		{"with NAT the fetch works", both(attach(script("on_start", "pip install pandas")), withNAT), finding.Pass,
			[]string{"works because route table aws_route_table.private (explicit association) sends 0.0.0.0/0 to NAT gateway"}},
		{"NAT undecided", both(attach(script("on_start", "pip install pandas")), func(s *model.Set) {
			s.RouteTables[0].Routes = []model.Route{{Destination: mt.Lit("0.0.0.0/0"), TargetKind: "nat", Target: mt.Lit("nat-0abc")}}
		}), finding.Unknown, []string{"cannot be decided", "nat-0abc"}},
		{"network outside", both(attach(script("on_start", "pip install pandas")), func(s *model.Set) {
			s.Notebooks[0].SubnetID = mt.Lit("subnet-0abc")
		}), finding.Unknown, []string{"sagefence audit"}},
		{"no subnet", both(attach(script("on_start", "pip install pandas")), func(s *model.Set) {
			s.Notebooks[0].SubnetID = mt.Default("")
		}), finding.Fail, []string{"no subnet"}},
		{"script content unknown", attach(model.Script{Hook: "on_start", Resolution: model.Unknown, Reason: "file(\"x.sh\"): file not found"}),
			finding.Unknown, []string{"file not found"}},
		{"one hit and one unreadable script", attach(script("on_create", "pip install x"),
			model.Script{Hook: "on_start", Resolution: model.Unknown, Reason: "templatefile var unknown"}), finding.Fail,
			[]string{"not read: on_start"}},
		{"lifecycle config not in the set", func(s *model.Set) { s.Notebooks[0].LifecycleConfigName = mt.Lit("external-config") },
			finding.Unknown, []string{"external-config", "not in this configuration"}},
		{"lifecycle config found by name", func(s *model.Set) {
			attach(script("on_start", "pip install x"))(s)
			s.Notebooks[0].LifecycleConfigName = mt.Lit("setup")
		}, finding.Fail, []string{"pip install"}},
		{"lifecycle config name unknown", func(s *model.Set) { s.Notebooks[0].LifecycleConfigName = mt.Unknown("var.lc has no value") },
			finding.Unknown, []string{"var.lc has no value"}},
	})
}

func TestLifecycleEvidenceQuotesLines(t *testing.T) {
	s := baseSet()
	s.LifecycleConfigs = []*model.LifecycleConfig{lifecycle(script("on_start", "#!/bin/bash\npip install a\ncurl -O https://example.com/x\n"))}
	s.Notebooks[0].LifecycleConfigName = mt.Ref(lcAddr)
	f := runOne(t, LifecyclePublicFetchID, s)
	if len(f.Evidence) != 2 || !strings.HasPrefix(f.Evidence[0], "on_start line 2: pip install a") ||
		!strings.HasPrefix(f.Evidence[1], "on_start line 3: curl -O https://example.com/x") {
		t.Errorf("evidence = %q", f.Evidence)
	}
	if f.Observed == nil || *f.Observed != "on_start line 2: pip install a" {
		t.Errorf("observed = %v", f.Observed)
	}
}

func TestPitfallDocs(t *testing.T) {
	for _, id := range []string{PrivateServiceAccessID, SecurityGroupHTTPSEgressID, LifecyclePublicFetchID} {
		c, ok := Lookup(id)
		if !ok {
			t.Fatalf("%s not registered", id)
		}
		if c.Kind != "operability" || c.Rationale == "" || c.Checks == "" || c.Example["terraform"] == "" || c.Example["cloudformation"] == "" {
			t.Errorf("%s: incomplete documentation", id)
		}
		for _, s := range []string{model.SurfaceTerraform, model.SurfaceCloudFormation, model.SurfaceAWS} {
			if c.Remediation.For(s) == "" {
				t.Errorf("%s: no remediation for %s", id, s)
			}
		}
	}
	want := map[string]finding.Severity{PrivateServiceAccessID: finding.Medium, SecurityGroupHTTPSEgressID: finding.Medium, LifecyclePublicFetchID: finding.Low}
	for id, sev := range want {
		if c, _ := Lookup(id); c.Severity != sev {
			t.Errorf("%s severity %s, want %s", id, c.Severity, sev)
		}
	}
}

func TestParseServiceName(t *testing.T) {
	tests := []struct {
		in            model.Str
		service, regn string
	}{
		{mt.Lit("com.amazonaws.us-east-1.sagemaker.api"), "sagemaker.api", "us-east-1"},
		{mt.Lit("com.amazonaws.us-gov-west-1.sagemaker.runtime"), "sagemaker.runtime", "us-gov-west-1"},
		{mt.Lit("cn.com.amazonaws.cn-north-1.s3"), "s3", "cn-north-1"},
		{mt.Lit("com.amazonaws.eu-west-1.sagemaker.runtime-fips"), "other", ""},
		{mt.Lit("com.amazonaws.eu-west-1.logs"), "other", ""},
		{mt.Lit("aws.sagemaker.eu-west-1.notebook"), "other", ""},
		{model.Str{V: "com.amazonaws.${data.aws_region.current.name}.s3", Resolution: model.Unknown}, "s3", ""},
		{mt.Lit("com.amazonaws.${AWS::Region}.sagemaker.api"), "sagemaker.api", ""},
		{model.Str{V: "com.amazonaws.us-east-1.${var.svc}", Resolution: model.Unknown}, "", ""},
		{mt.Unknown("var.name has no value"), "", ""},
	}
	for _, tt := range tests {
		got := parseServiceName(tt.in)
		if got.service != tt.service || got.region != tt.regn {
			t.Errorf("parseServiceName(%q) = %+v, want service %q region %q", tt.in.V, got, tt.service, tt.regn)
		}
	}
}

func TestSameResource(t *testing.T) {
	tests := []struct {
		a, b model.Str
		want tri
	}{
		{mt.Ref("aws_vpc.a"), mt.Ref("aws_vpc.a"), yes},
		{mt.Ref("aws_vpc.a"), mt.Ref("aws_vpc.b"), no},
		{mt.Lit("vpc-1"), mt.Lit("vpc-1"), yes},
		{model.Str{V: "vpc-1", Ref: "vpc-1", Resolution: model.Explicit}, mt.Lit("vpc-1"), yes},
		{mt.Unknown("x"), mt.Ref("aws_vpc.a"), maybe},
		{mt.Default(""), mt.Ref("aws_vpc.a"), maybe},
	}
	for _, tt := range tests {
		if got := sameResource(tt.a, tt.b); got != tt.want {
			t.Errorf("sameResource(%+v, %+v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestHTTPSEgressCloudFormationDefaults(t *testing.T) {
	cfnGroup := func(declared bool, rules ...model.SGRule) func(s *model.Set) {
		return func(s *model.Set) {
			g := group(sgAddr, declared, rules...)
			g.Surface = model.SurfaceCloudFormation
			s.SecurityGroups[0] = g
		}
	}
	http := model.SGRule{Protocol: mt.Lit("tcp"), FromPort: mt.Int(80), ToPort: mt.Int(80), CIDRs: []model.Str{mt.Lit("0.0.0.0/0")},
		Address: "NotebookHttpOut"}
	placeholder := model.SGRule{Protocol: mt.Lit("icmp"), FromPort: mt.Int(252), ToPort: mt.Int(86), CIDRs: []model.Str{mt.Lit("255.255.255.255/32")}}
	// The CloudFormation surface may instead state the default rule itself
	// (EgressDeclared with a rule of Default resolution).
	surfaceDefault := model.SGRule{Protocol: mt.Default("-1"), FromPort: model.Int{V: -1, Resolution: model.Default},
		ToPort: model.Int{V: -1, Resolution: model.Default}, CIDRs: []model.Str{mt.Default("0.0.0.0/0")}}
	runPitfallCases(t, SecurityGroupHTTPSEgressID, []pitfallCase{
		{"separate rule resource keeps the default", cfnGroup(false, http), finding.Pass, []string{"default allow-all"}},
		{"default rule stated by the surface", cfnGroup(true, surfaceDefault, http), finding.Pass, []string{"AWS's default allow-all egress rule"}},
		{"CDK placeholder removes the default", cfnGroup(true, placeholder), finding.Fail, []string{"icmp 252-86"}},
		{"placeholder plus separate 443 rule", cfnGroup(true, placeholder, https("0.0.0.0/0")), finding.Pass, nil},
	})
}

func TestIncompleteRouteTableNeverPasses(t *testing.T) {
	s := baseSet()
	s.VPCEndpoints = nil
	s.RouteTables[0].Routes = []model.Route{natRoute()}
	s.RouteTables[0].Complete = false
	s.RouteTables[0].Reason = "aws_route.x has an unknown route_table_id"
	f := runOne(t, PrivateServiceAccessID, s)
	if f.Status != finding.Unknown || !strings.Contains(f.Message, "but the route table is incomplete") {
		t.Errorf("status %s message %q, want unknown naming the incomplete table", f.Status, f.Message)
	}
}

// TestHTTPSEgressMessagesNameOneCause: no garbled "security group(s) a
// security group that cannot be resolved are not in this configuration",
// and no VPC default group for a notebook without a subnet.
func TestHTTPSEgressMessagesNameOneCause(t *testing.T) {
	c, _ := Lookup(SecurityGroupHTTPSEgressID)
	nb := nbWith(mt.Lit("Disabled"), model.Str{Resolution: model.Default}, model.List{Resolution: model.Default})
	fs := evaluate(t, c, &model.Set{Notebooks: []*model.NotebookInstance{nb}})
	if len(fs) != 1 || strings.Contains(strings.ToLower(fs[0].Message), "default") {
		t.Errorf("a notebook without a subnet: %+v", fs)
	}
	nb = nbWith(mt.Lit("Disabled"), model.Str{Ref: "aws_subnet.a", Resolution: model.Explicit}, model.List{Resolution: model.Explicit,
		Items: []model.Str{{Resolution: model.Unknown, Reason: "var.sg has no value"}, mt.Lit("sg-1"), mt.Lit("sg-2")}})
	fs = evaluate(t, c, &model.Set{Notebooks: []*model.NotebookInstance{nb}})
	if len(fs) != 1 || fs[0].Status != finding.Unknown ||
		!strings.Contains(fs[0].Message, "security groups sg-1, sg-2 are not in this configuration") ||
		!strings.Contains(fs[0].Message, "(var.sg has no value)") || strings.Contains(fs[0].Message, "group(s)") ||
		strings.Contains(fs[0].Message, "a security group that cannot be resolved are") {
		t.Errorf("message %q", fs[0].Message)
	}
}

// TestByReasonSaysEachCauseOnce: services undecided for one reason are
// listed together, the reason once.
func TestByReasonSaysEachCauseOnce(t *testing.T) {
	var b byReason
	b.add("sagemaker.api", "main route table not declared")
	b.add("sagemaker.runtime", "main route table not declared")
	b.add("s3", "endpoint service name unknown")
	got := strings.Join(b.render(), "; ")
	want := "sagemaker.api, sagemaker.runtime (main route table not declared); s3 (endpoint service name unknown)"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
