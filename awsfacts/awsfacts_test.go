package awsfacts

import "testing"

func TestRouteTargetOfID(t *testing.T) {
	for id, want := range map[string]RouteTarget{
		"":          TargetUnknown,
		"local":     TargetLocal,
		"nat-0abc":  TargetNAT,
		"igw-0abc":  TargetInternetGateway,
		"eigw-0abc": TargetEgressOnlyInternetGateway,
		"vgw-0abc":  TargetVirtualPrivateGateway,
		"vpce-0abc": TargetVPCEndpoint,
		"tgw-0abc":  TargetTransitGateway,
		"pcx-0abc":  TargetPeering,
		"eni-0abc":  TargetNetworkInterface,
		"i-0abc":    TargetInstance,
		"cagw-0abc": TargetCarrierGateway,
		"lgw-0abc":  TargetLocalGateway,
		"arn:aws:networkmanager::123456789012:core-network/core-network-0abc": TargetCoreNetwork,
		"gw-0abc": TargetOther,
	} {
		if got := RouteTargetOfID(id); got != want {
			t.Errorf("RouteTargetOfID(%q) = %q, want %q", id, got, want)
		}
	}
}

// TestGatewayIDIsDecidedByItsValue is the drift issue 14 names: a
// gateway_id / GatewayId naming a virtual private gateway is not an
// internet gateway, whether it is a literal or a reference.
func TestGatewayIDIsDecidedByItsValue(t *testing.T) {
	var gateway RouteTargetAttribute
	for _, a := range RouteTargetAttributes {
		if a.Terraform == "gateway_id" {
			gateway = a
		}
	}
	if !gateway.ByValue() || gateway.CloudFormation != "GatewayId" || gateway.Live != "GatewayId" {
		t.Fatalf("gateway_id row: %+v", gateway)
	}
	for _, tc := range []struct {
		linked, id string
		resolved   bool
		want       RouteTarget
	}{
		{"", "vgw-0abc", true, TargetVirtualPrivateGateway},
		{"", "igw-0abc", true, TargetInternetGateway},
		{"", "vpce-0abc", true, TargetVPCEndpoint},
		{"", "local", true, TargetLocal},
		{"aws_vpn_gateway", "", true, TargetVirtualPrivateGateway},
		{"AWS::EC2::VPNGateway", "", true, TargetVirtualPrivateGateway},
		{"aws_internet_gateway", "", true, TargetInternetGateway},
		{"AWS::EC2::InternetGateway", "", true, TargetInternetGateway},
		{"aws_vpc_endpoint", "", true, TargetVPCEndpoint},
		{"aws_subnet", "", true, TargetOther},
		{"", "", false, TargetUnknown},
		{"", "", true, TargetOther},
	} {
		if got := ClassifyRouteTarget(gateway, tc.linked, tc.id, tc.resolved); got != tc.want {
			t.Errorf("gateway_id linked %q id %q resolved %v: %q, want %q", tc.linked, tc.id, tc.resolved, got, tc.want)
		}
	}
	if TargetVirtualPrivateGateway.IsInternetGateway() || TargetEgressOnlyInternetGateway.IsInternetGateway() ||
		!TargetInternetGateway.IsInternetGateway() {
		t.Error("only igw is an internet gateway")
	}
}

// TestSingleKindAttributesDecideAlone: nat_gateway_id is a NAT gateway even
// when its value is known only after apply, on every surface.
func TestSingleKindAttributesDecideAlone(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range RouteTargetAttributes {
		if a.Terraform == "" || a.CloudFormation == "" {
			t.Errorf("%+v: every attribute has a Terraform and a CloudFormation spelling", a)
		}
		if seen[a.Terraform] {
			t.Errorf("%s listed twice", a.Terraform)
		}
		seen[a.Terraform] = true
		if a.ByValue() {
			continue
		}
		if got := ClassifyRouteTarget(a, "", "", false); got != a.Kind() || got == TargetUnknown || got == TargetOther {
			t.Errorf("%s unresolved: %q, want %q", a.Terraform, got, a.Kind())
		}
	}
}

func TestServiceNames(t *testing.T) {
	for _, tc := range []struct {
		name, suffix, region string
		ok                   bool
	}{
		{"com.amazonaws.us-east-1.sagemaker.api", "sagemaker.api", "us-east-1", true},
		{"com.amazonaws.us-gov-west-1.sagemaker.runtime", "sagemaker.runtime", "us-gov-west-1", true},
		{"cn.com.amazonaws.cn-north-1.s3", "s3", "cn-north-1", true},
		{"com.amazonaws.${AWS::Region}.s3", "s3", "", true},
		{"com.amazonaws.eu-west-1.sagemaker.runtime-fips", "", "", false},
		{"com.amazonaws.eu-west-1.logs", "", "", false},
	} {
		suffix, region, ok := ParseServiceName(tc.name)
		if suffix != tc.suffix || region != tc.region || ok != tc.ok {
			t.Errorf("ParseServiceName(%q) = %q %q %v", tc.name, suffix, region, ok)
		}
	}
	for _, svc := range NotebookServices {
		name := ServiceName("eu-west-1", svc.Suffix)
		if suffix, region, ok := ParseServiceName(name); !ok || suffix != svc.Suffix || region != "eu-west-1" {
			t.Errorf("ServiceName/ParseServiceName round trip of %s: %q %q %v", name, suffix, region, ok)
		}
	}
}

func TestForcesReplacement(t *testing.T) {
	for _, tc := range []struct {
		typ, attr string
		want      bool
	}{
		{"aws_sagemaker_notebook_instance", "direct_internet_access", true},
		{"AWS::SageMaker::NotebookInstance", "DirectInternetAccess", true},
		{"aws_sagemaker_notebook_instance", "subnet_id", true},
		{"AWS::SageMaker::NotebookInstance", "SecurityGroupIds", true},
		{"aws_sagemaker_notebook_instance", "lifecycle_config_name", false},
		{"aws_sagemaker_domain", "app_network_access_type", false},
		{"AWS::SageMaker::Domain", "AppNetworkAccessType", false},
		{"aws_sagemaker_domain", "vpc_id", true},
	} {
		if got := ForcesReplacement(tc.typ, tc.attr); got != tc.want {
			t.Errorf("ForcesReplacement(%s, %s) = %v", tc.typ, tc.attr, got)
		}
	}
}
