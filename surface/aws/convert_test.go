package aws

import (
	"errors"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagefence/sagefence/model"
	mt "github.com/sagefence/sagefence/model/modeltest"
)

func testScope() *regionScope {
	return &regionScope{account: "123456789012", region: "eu-west-1", set: &model.Set{Surface: model.SurfaceAWS}}
}

// An answer without DirectInternetAccess / AppNetworkAccessType means the API
// default, marked as a default; a present value is explicit.
func TestDefaultsWhenOmitted(t *testing.T) {
	s := testScope()
	for _, tc := range []struct {
		in   smtypes.DirectInternetAccess
		want model.Str
	}{
		{"", mt.Default("Enabled")},
		{"Enabled", mt.Lit("Enabled")},
		{"Disabled", mt.Lit("Disabled")},
	} {
		nb := s.notebook(&sagemaker.DescribeNotebookInstanceOutput{
			NotebookInstanceName: sdkaws.String("nb"), NotebookInstanceArn: sdkaws.String("arn:nb"), DirectInternetAccess: tc.in})
		got := nb.DirectInternetAccess
		if got.V != tc.want.V || got.Resolution != tc.want.Resolution {
			t.Errorf("DirectInternetAccess %q → %+v, want %+v", tc.in, got, tc.want)
		}
		if nb.SubnetID.Resolution != model.Default || nb.SecurityGroups.Resolution != model.Default ||
			nb.Address != "nb" || nb.Key != "nb" || nb.ARN != "arn:nb" || nb.Region != "eu-west-1" || nb.Account != "123456789012" {
			t.Errorf("notebook meta/values: %+v", nb)
		}
	}
	for _, tc := range []struct {
		in   smtypes.AppNetworkAccessType
		want model.Str
	}{
		{"", mt.Default("PublicInternetOnly")},
		{"VpcOnly", mt.Lit("VpcOnly")},
	} {
		d := s.domain(&sagemaker.DescribeDomainOutput{DomainId: sdkaws.String("d-1"), AppNetworkAccessType: tc.in})
		if got := d.AppNetworkAccessType; got.V != tc.want.V || got.Resolution != tc.want.Resolution {
			t.Errorf("AppNetworkAccessType %q → %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestIsNotFound(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&smithy.GenericAPIError{Code: "ValidationException", Message: "RecordNotFound"}, true},
		{&smithy.GenericAPIError{Code: "ResourceNotFound", Message: "Cannot find Domain"}, true},
		{&smithy.GenericAPIError{Code: "ValidationException", Message: "1 validation error detected"}, false},
		{&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}, false},
		{errors.New("dial tcp: connection refused"), false},
	} {
		if got := isNotFound(tc.err); got != tc.want {
			t.Errorf("isNotFound(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestDecodeHook(t *testing.T) {
	if s := decodeHook("on_start", "IyEvYmluL2Jhc2gKcGlwIGluc3RhbGwgeAo="); s.Resolution != model.Explicit || s.Content != "#!/bin/bash\npip install x\n" {
		t.Errorf("valid base64: %+v", s)
	}
	if s := decodeHook("on_create", "pip install x"); s.Resolution != model.Unknown || s.Reason == "" || s.Hook != "on_create" {
		t.Errorf("raw script content must be unknown with a reason: %+v", s)
	}
}

func TestRouteConversion(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         ec2types.Route
		kind, dest string
		ref        string
	}{
		{"nat", ec2types.Route{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), NatGatewayId: sdkaws.String("nat-1"), State: "active"}, "nat", "0.0.0.0/0", "nat-1"},
		{"igw", ec2types.Route{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), GatewayId: sdkaws.String("igw-1")}, "igw", "0.0.0.0/0", "igw-1"},
		{"gateway endpoint", ec2types.Route{DestinationPrefixListId: sdkaws.String("pl-1"), GatewayId: sdkaws.String("vpce-1")}, "vpce", "pl-1", "vpce-1"},
		{"local", ec2types.Route{DestinationCidrBlock: sdkaws.String("10.0.0.0/16"), GatewayId: sdkaws.String("local")}, "local", "10.0.0.0/16", "local"},
		{"ipv6 egress-only", ec2types.Route{DestinationIpv6CidrBlock: sdkaws.String("::/0"), EgressOnlyInternetGatewayId: sdkaws.String("eigw-1")}, "eigw", "::/0", "eigw-1"},
		{"virtual private gateway", ec2types.Route{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), GatewayId: sdkaws.String("vgw-1")}, "vgw", "0.0.0.0/0", "vgw-1"},
		{"transit gateway", ec2types.Route{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), TransitGatewayId: sdkaws.String("tgw-1")}, "tgw", "0.0.0.0/0", "tgw-1"},
		{"blackhole nat", ec2types.Route{DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), NatGatewayId: sdkaws.String("nat-gone"), State: ec2types.RouteStateBlackhole}, "other", "0.0.0.0/0", ""},
	} {
		r := route(tc.in)
		if string(r.TargetKind) != tc.kind || r.Destination.V != tc.dest || r.Target.Ref != tc.ref {
			t.Errorf("%s: %+v", tc.name, r)
		}
	}
}

func TestSecurityGroupRule(t *testing.T) {
	all := sgRule("sg-1", ec2types.IpPermission{IpProtocol: sdkaws.String("-1"),
		IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}, Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: sdkaws.String("::/0")}}})
	if all.Protocol.V != "-1" || all.FromPort.V != 0 || all.ToPort.V != 65535 || all.FromPort.Resolution != model.Default || len(all.CIDRs) != 2 {
		t.Errorf("all traffic: %+v", all)
	}
	tcp := sgRule("sg-1", ec2types.IpPermission{IpProtocol: sdkaws.String("TCP"), FromPort: sdkaws.Int32(443), ToPort: sdkaws.Int32(443),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: sdkaws.String("sg-1")}, {GroupId: sdkaws.String("sg-2")}}})
	if tcp.Protocol.V != "tcp" || tcp.FromPort.V != 443 || tcp.FromPort.Resolution != model.Explicit || !tcp.Self ||
		len(tcp.SecurityGroups) != 1 || tcp.SecurityGroups[0].Ref != "sg-2" {
		t.Errorf("tcp 443 to groups: %+v", tcp)
	}
}
