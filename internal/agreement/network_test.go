package agreement_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/casespec"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
	awssurface "github.com/sagefence/sagefence/surface/aws"
	"github.com/sagefence/sagefence/surface/cloudformation"
	"github.com/sagefence/sagefence/surface/terraform"
	"github.com/sagefence/sagefence/surface/tfplan"
)

// networkDir holds the network every surface reads (see its README).
const networkDir = "../../testdata/network-agreement"

// networkFacts is what one surface says about the network, per notebook name.
type networkFacts struct {
	// routes maps "notebook destination" to the kind of the route's target
	// in the route table of the notebook's subnet (local routes left out:
	// live tables always have them, IaC never declares them).
	routes map[string]awsfacts.RouteTarget
	// statuses maps "notebook control" to the control's status.
	statuses map[string]finding.Status
}

// wantNetwork is the truth every surface must reproduce.
var wantNetwork = networkFacts{
	routes: map[string]awsfacts.RouteTarget{
		"nb-private 0.0.0.0/0":   awsfacts.TargetNAT,
		"nb-private 10.1.0.0/16": awsfacts.TargetVirtualPrivateGateway,
		"nb-private ::/0":        awsfacts.TargetEgressOnlyInternetGateway,
		"nb-vpn 0.0.0.0/0":       awsfacts.TargetVirtualPrivateGateway,
		"nb-public 0.0.0.0/0":    awsfacts.TargetInternetGateway,
	},
	statuses: map[string]finding.Status{
		"nb-private " + control.PrivateServiceAccessID:     finding.Pass,
		"nb-private " + control.SecurityGroupHTTPSEgressID: finding.Pass,
		"nb-private " + control.InVPCID:                    finding.Pass,
		// A virtual private gateway may lead to a NAT on premises: undecided,
		// never the internet-gateway fail.
		"nb-vpn " + control.PrivateServiceAccessID:        finding.Unknown,
		"nb-vpn " + control.SecurityGroupHTTPSEgressID:    finding.Pass,
		"nb-vpn " + control.InVPCID:                       finding.Pass,
		"nb-public " + control.PrivateServiceAccessID:     finding.Fail,
		"nb-public " + control.SecurityGroupHTTPSEgressID: finding.Pass,
		"nb-public " + control.InVPCID:                    finding.Pass,
	},
}

// TestNetworkFactsAgree feeds one network through all four surfaces
// (Terraform source, plan JSON, CloudFormation, live on moto) and checks
// that each classifies every route target and decides every network
// control as the others do. It needs terraform (one plan) and moto_server.
func TestNetworkFactsAgree(t *testing.T) {
	tf := testutil.RequireTool(t, "terraform")
	plugins := testutil.TerraformPluginDir(t)
	moto := testutil.StartMoto(t)
	ctx := t.Context()

	surfaces := map[string]networkFacts{}
	opts := surface.Options{Getenv: func(string) string { return "" }}
	tfDir := filepath.Join(networkDir, "terraform")
	surfaces[model.SurfaceTerraform] = loadNetwork(t,
		terraform.Load(ctx, terraform.Input{Dirs: []string{tfDir}, Args: []string{tfDir}}, opts), model.SurfaceTerraform)
	loader, errs := cloudformation.NewLoader(ctx, opts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	surfaces[model.SurfaceCloudFormation] = loadNetwork(t,
		loader.LoadFile(ctx, filepath.Join(networkDir, "cloudformation", "template.yaml")), model.SurfaceCloudFormation)

	work := t.TempDir()
	if err := copyTree(filepath.Join(networkDir, "terraform"), work); err != nil {
		t.Fatal(err)
	}
	planJSON, err := planRoot(ctx, tf, plugins, "", work, work, casespec.Spec{})
	if err != nil {
		t.Fatalf("terraform plan: %v", err)
	}
	planFile := filepath.Join(work, "plan.json")
	if err := os.WriteFile(planFile, planJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	surfaces[model.SurfaceTerraformPlan] = loadNetwork(t, tfplan.LoadFile(ctx, planFile, opts), model.SurfaceTerraformPlan)

	seedNetwork(t, moto.URL)
	live, err := awssurface.Audit(ctx, awssurface.Options{Regions: []string{"us-east-1"}, EndpointURL: moto.URL})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if len(live.Errors) > 0 {
		t.Fatalf("audit errors: %v", live.Errors)
	}
	surfaces[model.SurfaceAWS] = networkFactsOf(t, live.Sets, model.SurfaceAWS)

	for _, s := range []string{model.SurfaceTerraform, model.SurfaceTerraformPlan, model.SurfaceCloudFormation, model.SurfaceAWS} {
		got := surfaces[s]
		for _, k := range sortedKeys(wantNetwork.routes) {
			if g, ok := got.routes[k]; !ok || g != wantNetwork.routes[k] {
				t.Errorf("%s: route of %s: target kind %q, want %q", s, k, g, wantNetwork.routes[k])
			}
		}
		for _, k := range sortedKeys(got.routes) {
			if _, ok := wantNetwork.routes[k]; !ok {
				t.Errorf("%s: unexpected route %s (%s)", s, k, got.routes[k])
			}
		}
		for _, k := range sortedKeys(wantNetwork.statuses) {
			if g := got.statuses[k]; g != wantNetwork.statuses[k] {
				t.Errorf("%s: %s is %q, want %q", s, k, g, wantNetwork.statuses[k])
			}
		}
	}
}

// loadNetwork reads one input with the surface that owns it and keeps its facts.
func loadNetwork(t *testing.T, res surface.Result, surfaceName string) networkFacts {
	t.Helper()
	if len(res.Errors) > 0 {
		t.Fatalf("%s: %v", surfaceName, res.Errors)
	}
	return networkFactsOf(t, res.Sets, surfaceName)
}

// networkFactsOf reads the route kinds from the sets and runs the controls.
func networkFactsOf(t *testing.T, sets []*model.Set, surfaceName string) networkFacts {
	t.Helper()
	facts := networkFacts{routes: map[string]awsfacts.RouteTarget{}, statuses: map[string]finding.Status{}}
	var mine []*model.Set
	for _, set := range sets {
		if set.Surface != surfaceName {
			continue
		}
		mine = append(mine, set)
		for _, nb := range set.Notebooks {
			rt := routeTableOf(set, nb)
			if rt == nil {
				t.Errorf("%s: no route table for notebook %s", surfaceName, nb.Name)
				continue
			}
			for _, r := range rt.Routes {
				if r.TargetKind == awsfacts.TargetLocal {
					continue
				}
				facts.routes[nb.Name+" "+r.Destination.V] = r.TargetKind
			}
		}
	}
	if len(mine) == 0 {
		t.Fatalf("no %s set", surfaceName)
	}
	findings, errs := engine.Evaluate(mine, nil, nil, now)
	if len(errs) > 0 {
		t.Fatalf("%s: evaluation errors %v", surfaceName, errs)
	}
	for _, f := range findings {
		facts.statuses[f.Resource.Name+" "+f.ControlID] = f.Status
	}
	return facts
}

// routeTableOf returns the table explicitly associated with the notebook's subnet.
func routeTableOf(set *model.Set, nb *model.NotebookInstance) *model.RouteTable {
	key := nb.SubnetID.Ref
	if key == "" {
		key = nb.SubnetID.V
	}
	sub := set.SubnetByID(key)
	if sub == nil {
		return nil
	}
	for _, rt := range set.RouteTables {
		if slices.ContainsFunc(rt.Subnets, func(s model.Str) bool { return s.Ref == sub.ID() || s.V == sub.ID() }) {
			return rt
		}
	}
	return nil
}

// seedNetwork creates the network of testdata/network-agreement in moto.
func seedNetwork(t *testing.T, endpoint string) {
	t.Helper()
	ctx := context.Background()
	cfg := testutil.MotoSDKConfig(t, endpoint, "us-east-1")
	c, sm := ec2.NewFromConfig(cfg), sagemaker.NewFromConfig(cfg)
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("seeding %s: %v", what, err)
		}
	}
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdkaws.String("10.0.0.0/16")})
	must(err, "vpc")
	vpcID := vpc.Vpc.VpcId
	subnet := func(cidr string) *string {
		out, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpcID, CidrBlock: sdkaws.String(cidr)})
		must(err, "subnet "+cidr)
		return out.Subnet.SubnetId
	}
	private, vpn, public := subnet("10.0.1.0/24"), subnet("10.0.2.0/24"), subnet("10.0.3.0/24")
	igw, err := c.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	must(err, "internet gateway")
	_, err = c.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpcID})
	must(err, "internet gateway attachment")
	eigw, err := c.CreateEgressOnlyInternetGateway(ctx, &ec2.CreateEgressOnlyInternetGatewayInput{VpcId: vpcID})
	must(err, "egress-only internet gateway")
	vgw, err := c.CreateVpnGateway(ctx, &ec2.CreateVpnGatewayInput{Type: ec2types.GatewayTypeIpsec1})
	must(err, "vpn gateway")
	_, err = c.AttachVpnGateway(ctx, &ec2.AttachVpnGatewayInput{VpnGatewayId: vgw.VpnGateway.VpnGatewayId, VpcId: vpcID})
	must(err, "vpn gateway attachment")
	eip, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	must(err, "eip")
	nat, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: public, AllocationId: eip.AllocationId})
	must(err, "nat gateway")

	table := func(subnet *string, routes ...ec2.CreateRouteInput) {
		rt, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpcID})
		must(err, "route table")
		for _, r := range routes {
			r.RouteTableId = rt.RouteTable.RouteTableId
			_, err := c.CreateRoute(ctx, &r)
			must(err, fmt.Sprintf("route %v", r))
		}
		_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: subnet})
		must(err, "association")
	}
	table(private,
		ec2.CreateRouteInput{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId},
		ec2.CreateRouteInput{DestinationCidrBlock: sdkaws.String("10.1.0.0/16"), GatewayId: vgw.VpnGateway.VpnGatewayId},
		ec2.CreateRouteInput{DestinationIpv6CidrBlock: sdkaws.String("::/0"),
			EgressOnlyInternetGatewayId: eigw.EgressOnlyInternetGateway.EgressOnlyInternetGatewayId})
	table(vpn, ec2.CreateRouteInput{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), GatewayId: vgw.VpnGateway.VpnGatewayId})
	table(public, ec2.CreateRouteInput{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})

	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpcID,
		GroupName: sdkaws.String("notebook"), Description: sdkaws.String("notebook")})
	must(err, "security group")
	_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdkaws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	must(err, "revoke egress")
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: sdkaws.String("tcp"), FromPort: sdkaws.Int32(443), ToPort: sdkaws.Int32(443),
		IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	must(err, "authorize egress")

	for name, sub := range map[string]*string{"nb-private": private, "nb-vpn": vpn, "nb-public": public} {
		_, err := sm.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
			NotebookInstanceName: sdkaws.String(name), InstanceType: smtypes.InstanceTypeMlT3Medium,
			RoleArn:  sdkaws.String("arn:aws:iam::123456789012:role/notebook"),
			SubnetId: sub, SecurityGroupIds: []string{*sg.GroupId}, DirectInternetAccess: smtypes.DirectInternetAccessDisabled,
		})
		must(err, "notebook "+name)
	}
}
