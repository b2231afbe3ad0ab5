package aws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
)

// pitfallVPC builds one VPC in moto piece by piece, so that each scenario of
// TestAuditPitfallVerdicts has exactly the network it describes.
type pitfallVPC struct {
	t       testing.TB
	c       *ec2.Client
	region  string
	ID      string
	octet   int // second octet of the VPC's 10.x.0.0/16
	subnets int
}

func (s *seeder) pitfallVPC(region string, octet int) *pitfallVPC {
	s.t.Helper()
	v := &pitfallVPC{t: s.t, c: s.ec2(region), region: region, octet: octet}
	out, err := v.c.CreateVpc(context.Background(), &ec2.CreateVpcInput{CidrBlock: sdkaws.String(fmt.Sprintf("10.%d.0.0/16", octet))})
	v.must(err, "vpc")
	v.ID = *out.Vpc.VpcId
	return v
}

func (v *pitfallVPC) must(err error, what string) {
	v.t.Helper()
	if err != nil {
		v.t.Fatalf("seeding %s in VPC 10.%d.0.0/16: %v", what, v.octet, err)
	}
}

// subnet adds a /24 subnet; it uses the main route table until associated.
func (v *pitfallVPC) subnet() string {
	v.t.Helper()
	v.subnets++
	az := v.region + "a"
	out, err := v.c.CreateSubnet(context.Background(), &ec2.CreateSubnetInput{VpcId: &v.ID,
		CidrBlock: sdkaws.String(fmt.Sprintf("10.%d.%d.0/24", v.octet, v.subnets)), AvailabilityZone: &az})
	v.must(err, "subnet")
	return *out.Subnet.SubnetId
}

// routeTable creates a route table explicitly associated with the subnets.
func (v *pitfallVPC) routeTable(subnets ...string) string {
	v.t.Helper()
	out, err := v.c.CreateRouteTable(context.Background(), &ec2.CreateRouteTableInput{VpcId: &v.ID})
	v.must(err, "route table")
	for _, sn := range subnets {
		_, err := v.c.AssociateRouteTable(context.Background(), &ec2.AssociateRouteTableInput{RouteTableId: out.RouteTable.RouteTableId, SubnetId: &sn})
		v.must(err, "route table association")
	}
	return *out.RouteTable.RouteTableId
}

// mainTable is the VPC's main route table.
func (v *pitfallVPC) mainTable() string {
	v.t.Helper()
	out, err := v.c.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: sdkaws.String("vpc-id"), Values: []string{v.ID}}, {Name: sdkaws.String("association.main"), Values: []string{"true"}}}})
	v.must(err, "main route table")
	if len(out.RouteTables) != 1 {
		v.t.Fatalf("VPC %s: %d main route tables, want 1", v.ID, len(out.RouteTables))
	}
	return *out.RouteTables[0].RouteTableId
}

// natRoute creates a NAT gateway in a subnet of its own (no notebook uses
// it, as with a real public subnet) and routes 0.0.0.0/0 from table to it.
func (v *pitfallVPC) natRoute(table string) {
	v.t.Helper()
	ctx := context.Background()
	public := v.subnet()
	eip, err := v.c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	v.must(err, "eip")
	nat, err := v.c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: &public, AllocationId: eip.AllocationId})
	v.must(err, "nat gateway")
	_, err = v.c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: &table,
		DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId})
	v.must(err, "nat route")
}

// interfaceEndpoint adds com.amazonaws.<region>.<service> as an Interface
// endpoint in subnet (the type is set explicitly: moto omits an unset type).
func (v *pitfallVPC) interfaceEndpoint(service, subnet string, privateDNS bool) string {
	v.t.Helper()
	out, err := v.c.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: &v.ID,
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, ServiceName: sdkaws.String("com.amazonaws." + v.region + "." + service),
		SubnetIds: []string{subnet}, PrivateDnsEnabled: sdkaws.Bool(privateDNS)})
	v.must(err, service+" endpoint")
	return *out.VpcEndpoint.VpcEndpointId
}

// s3Gateway adds an S3 gateway endpoint on the route table.
func (v *pitfallVPC) s3Gateway(table string) {
	v.t.Helper()
	_, err := v.c.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: &v.ID,
		VpcEndpointType: ec2types.VpcEndpointTypeGateway, ServiceName: sdkaws.String("com.amazonaws." + v.region + ".s3"),
		RouteTableIds: []string{table}})
	v.must(err, "s3 gateway endpoint")
}

// securityGroup creates a group. With keepDefault it keeps the allow-all
// egress rule moto (like AWS) gives new groups; otherwise that rule is
// revoked and the given egress permissions are authorized instead.
func (v *pitfallVPC) securityGroup(name string, keepDefault bool, egress ...ec2types.IpPermission) string {
	v.t.Helper()
	ctx := context.Background()
	sg, err := v.c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: &v.ID,
		GroupName: sdkaws.String(name), Description: sdkaws.String(name)})
	v.must(err, "security group "+name)
	if keepDefault {
		return *sg.GroupId
	}
	_, err = v.c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdkaws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	v.must(err, "revoke default egress of "+name)
	if len(egress) > 0 {
		_, err = v.c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: egress})
		v.must(err, "authorize egress of "+name)
	}
	// The seeded egress must be what the audit reads: guard the seeding.
	out, err := v.c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{*sg.GroupId}})
	v.must(err, "describe "+name)
	if got := len(out.SecurityGroups[0].IpPermissionsEgress); got != len(egress) {
		v.t.Fatalf("security group %s has %d egress permissions after seeding, want %d", name, got, len(egress))
	}
	return *sg.GroupId
}

// verdict is the expected status of one control, and texts its message must
// contain.
type verdict struct {
	status finding.Status
	texts  []string
}

func expectVerdict(status finding.Status, texts ...string) verdict {
	return verdict{status: status, texts: texts}
}

// TestAuditPitfallVerdicts seeds, in one region of moto, one notebook per
// operability pitfall (direct internet access Disabled, each in a subnet of
// its own) and asserts the exact verdict of the three pitfall controls for
// each: private service access (endpoints, private DNS, NAT on an explicit or
// the main route table), HTTPS egress of the security group, and public
// package fetches in the lifecycle script with and without a NAT route.
func TestAuditPitfallVerdicts(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	const region = "us-east-1"
	const pip = "pip install pandas"
	s.lifecycle(region, "fetch", "#!/bin/bash\nset -e\n"+pip+"\n")

	// VPC 10.1: interface endpoints for sagemaker.api and sagemaker.runtime
	// with private DNS, an S3 gateway endpoint on the explicitly associated
	// route table, no NAT. The security-group and no-NAT lifecycle scenarios
	// live here too, each notebook in a subnet of its own.
	endpoints := s.pitfallVPC(region, 1)
	epAll, epPip, epRevoked, epHTTP := endpoints.subnet(), endpoints.subnet(), endpoints.subnet(), endpoints.subnet()
	epTable := endpoints.routeTable(epAll, epPip, epRevoked, epHTTP)
	endpoints.s3Gateway(epTable)
	endpoints.interfaceEndpoint("sagemaker.api", epAll, true)
	endpoints.interfaceEndpoint("sagemaker.runtime", epAll, true)
	epOpen := endpoints.securityGroup("open", true)
	epNoEgress := endpoints.securityGroup("no-egress", false)
	epHTTPOnly := endpoints.securityGroup("http-only", false, ec2types.IpPermission{IpProtocol: sdkaws.String("tcp"),
		FromPort: sdkaws.Int32(80), ToPort: sdkaws.Int32(80), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}})

	// VPC 10.2: as 10.1 without the sagemaker.runtime endpoint.
	noRuntime := s.pitfallVPC(region, 2)
	nrSubnet := noRuntime.subnet()
	noRuntime.s3Gateway(noRuntime.routeTable(nrSubnet))
	noRuntime.interfaceEndpoint("sagemaker.api", nrSubnet, true)
	nrOpen := noRuntime.securityGroup("open", true)

	// VPC 10.3: as 10.1 but the sagemaker.api endpoint has private DNS off.
	noDNS := s.pitfallVPC(region, 3)
	ndSubnet := noDNS.subnet()
	noDNS.s3Gateway(noDNS.routeTable(ndSubnet))
	ndAPI := noDNS.interfaceEndpoint("sagemaker.api", ndSubnet, false)
	noDNS.interfaceEndpoint("sagemaker.runtime", ndSubnet, true)
	ndOpen := noDNS.securityGroup("open", true)

	// VPC 10.4: no endpoints; 0.0.0.0/0 to a NAT gateway on a route table
	// explicitly associated with the notebooks' subnets.
	natExplicit := s.pitfallVPC(region, 4)
	neSubnet, nePipSubnet := natExplicit.subnet(), natExplicit.subnet()
	natExplicit.natRoute(natExplicit.routeTable(neSubnet, nePipSubnet))
	neOpen := natExplicit.securityGroup("open", true)

	// VPC 10.5: no endpoints; the NAT route is on the VPC's main table and the
	// notebook's subnet has no explicit association.
	natMain := s.pitfallVPC(region, 5)
	nmSubnet := natMain.subnet()
	natMain.natRoute(natMain.mainTable())
	nmOpen := natMain.securityGroup("open", true)

	pass := verdict{status: finding.Pass}
	scenarios := []struct {
		name, subnet, sg, lifecycle string
		access, egress, fetch       verdict
	}{
		{name: "endpoints", subnet: epAll, sg: epOpen,
			access: expectVerdict(finding.Pass, "every required service has a private path"), egress: pass,
			fetch: expectVerdict(finding.Pass, "no lifecycle configuration")},
		{name: "runtime-missing", subnet: nrSubnet, sg: nrOpen,
			// Only sagemaker.runtime is named: the message lists the services
			// without a path before the colon.
			access: expectVerdict(finding.Fail, "the notebook cannot reach sagemaker.runtime: sagemaker.runtime ("),
			egress: pass, fetch: pass},
		{name: "private-dns-off", subnet: ndSubnet, sg: ndOpen,
			access: expectVerdict(finding.Fail, "the notebook cannot reach sagemaker.api: sagemaker.api (",
				ndAPI+" has private DNS off (PrivateDnsEnabled is false)"), egress: pass, fetch: pass},
		{name: "nat-explicit", subnet: neSubnet, sg: neOpen,
			access: expectVerdict(finding.Pass, "(explicit association) sends 0.0.0.0/0 to NAT gateway"), egress: pass, fetch: pass},
		{name: "nat-main-table", subnet: nmSubnet, sg: nmOpen,
			access: expectVerdict(finding.Pass, "(main route table) sends 0.0.0.0/0 to NAT gateway"), egress: pass, fetch: pass},
		{name: "egress-revoked", subnet: epRevoked, sg: epNoEgress, access: pass,
			egress: expectVerdict(finding.Fail, "egress is declared empty"), fetch: pass},
		{name: "egress-http-only", subnet: epHTTP, sg: epHTTPOnly, access: pass,
			egress: expectVerdict(finding.Fail, "no egress rule of the attached security groups allows TCP 443"), fetch: pass},
		{name: "fetch-no-nat", subnet: epPip, sg: epOpen, lifecycle: "fetch", access: pass, egress: pass,
			fetch: expectVerdict(finding.Fail, fmt.Sprintf("without a NAT route (route table %s (explicit association) has no 0.0.0.0/0 route): on_start line 3: %q", epTable, pip))},
		{name: "fetch-nat", subnet: nePipSubnet, sg: neOpen, lifecycle: "fetch", access: pass, egress: pass,
			fetch: expectVerdict(finding.Pass, fmt.Sprintf("fetches from the public internet (on_start line 3: %q", pip),
				"which works because route table")},
	}
	for _, sc := range scenarios {
		s.notebook(notebookSpec{Name: sc.name, Region: region, DIA: "Disabled", Subnet: sc.subnet,
			SecurityGroups: []string{sc.sg}, Lifecycle: sc.lifecycle})
	}

	res, fs := runAudit(t, auditOptions(moto.URL, nil, region))
	if len(res.Errors) != 0 {
		t.Fatalf("healthy audit reported errors: %v", res.Errors)
	}
	v := index(t, fs)
	for _, sc := range scenarios {
		for _, c := range []struct {
			id   string
			want verdict
		}{
			{control.PrivateServiceAccessID, sc.access},
			{control.SecurityGroupHTTPSEgressID, sc.egress},
			{control.LifecyclePublicFetchID, sc.fetch},
		} {
			f, ok := v[verdictKey(c.id, defaultAccount, region, sc.name)]
			switch {
			case !ok:
				t.Errorf("%s: no %s finding", sc.name, c.id)
			case f.Status != c.want.status:
				t.Errorf("%s: %s = %s, want %s (%s)", sc.name, c.id, f.Status, c.want.status, f.Message)
			default:
				for _, text := range c.want.texts {
					if !strings.Contains(f.Message, text) {
						t.Errorf("%s: %s message %q does not contain %q", sc.name, c.id, f.Message, text)
					}
				}
			}
		}
	}
}
