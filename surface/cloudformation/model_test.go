package cloudformation

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

func loadCase(t *testing.T, rel string, opts surface.Options) *model.Set {
	t.Helper()
	r := LoadFile(context.Background(), filepath.Join("../../testdata/cases", rel), opts)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %v", r.Errors)
	}
	if len(r.Sets) != 1 {
		t.Fatalf("want one set, got %d", len(r.Sets))
	}
	return r.Sets[0]
}

// TestNetworkModel checks that the network around a private notebook is
// filled faithfully: subnets, route tables with their routes and
// associations, NAT, endpoints with their defaults, security groups with
// inline, separate and AWS-default egress, and the lifecycle script.
func TestNetworkModel(t *testing.T) {
	set := loadCase(t, "cfn-private-network/template.yaml", surface.Options{})

	nb := set.Notebooks[0]
	if nb.SubnetID.Ref != "PrivateSubnet" || nb.SecurityGroups.Items[0].Ref != "NotebookSecurityGroup" {
		t.Errorf("notebook network refs: subnet %+v groups %+v", nb.SubnetID, nb.SecurityGroups.Items)
	}
	if nb.LifecycleConfigName.Ref != "NotebookLifecycle" {
		t.Errorf("lifecycle config name: %+v", nb.LifecycleConfigName)
	}
	if got := nb.DirectInternetAccess.Range; got.StartLine != 147 || got.EndLine != 147 {
		t.Errorf("DirectInternetAccess range %+v, want line 147", got)
	}
	if got := nb.SecurityGroups.Range; got.StartLine != 145 || got.EndLine != 146 {
		t.Errorf("SecurityGroupIds range %+v, want 145-146", got)
	}
	if nb.Range.StartLine != 139 || nb.Range.EndLine != 149 {
		t.Errorf("notebook range %+v, want 139-149", nb.Range)
	}

	if sub := set.SubnetByID("PrivateSubnet"); sub == nil || sub.VpcID.Ref != "Vpc" {
		t.Errorf("private subnet: %+v", sub)
	}
	rt := set.RouteTableForSubnet("PrivateSubnet", "Vpc")
	if rt == nil || rt.ID() != "PrivateRouteTable" || !rt.Complete {
		t.Fatalf("route table for the private subnet: %+v", rt)
	}
	if len(rt.Routes) != 1 || rt.Routes[0].TargetKind != "nat" || rt.Routes[0].Target.Ref != "NatGateway" ||
		rt.Routes[0].Destination.V != "0.0.0.0/0" {
		t.Errorf("private routes: %+v", rt.Routes)
	}
	pub := set.RouteTableForSubnet("PublicSubnet", "Vpc")
	if pub == nil || len(pub.Routes) != 1 || pub.Routes[0].TargetKind != "igw" {
		t.Errorf("public route table: %+v", pub)
	}
	if nat := set.NATGatewayByID("NatGateway"); nat == nil || nat.SubnetID.Ref != "PublicSubnet" {
		t.Errorf("NAT gateway: %+v", nat)
	}

	eps := map[string]*model.VPCEndpoint{}
	for _, ep := range set.VPCEndpoints {
		eps[ep.Address] = ep
	}
	s3 := eps["S3Endpoint"]
	if s3 == nil || s3.Type.V != "Gateway" || s3.Type.Resolution != model.Default ||
		s3.PrivateDNSEnabled.V || s3.PrivateDNSEnabled.Resolution != model.Default ||
		len(s3.RouteTableIDs.Items) != 1 || s3.RouteTableIDs.Items[0].Ref != "PrivateRouteTable" {
		t.Errorf("S3 endpoint defaults: %+v", s3)
	}
	if s3 != nil && (s3.ServiceName.V != "com.amazonaws.${AWS::Region}.s3" || !strings.Contains(finding.DescribeProvenance(s3.ServiceName.Provenance), "AWS::Region")) {
		t.Errorf("S3 service name without --region: %+v", s3.ServiceName)
	}
	api := eps["SageMakerApiEndpoint"]
	if api == nil || api.Type.V != "Interface" || !api.PrivateDNSEnabled.V || api.PrivateDNSEnabled.Resolution != model.Explicit ||
		api.SubnetIDs.Items[0].Ref != "PrivateSubnet" || api.SecurityGroupIDs.Items[0].Ref != "EndpointSecurityGroup" {
		t.Errorf("API endpoint: %+v", api)
	}

	nbsg := set.SecurityGroupByID("NotebookSecurityGroup")
	if nbsg == nil || nbsg.DefaultEgress || !nbsg.EgressDeclared || !nbsg.EgressComplete || len(nbsg.Egress) != 2 {
		t.Fatalf("notebook group: %+v", nbsg)
	}
	inline, separate := nbsg.Egress[0], nbsg.Egress[1]
	if inline.Protocol.V != "tcp" || inline.FromPort.V != 443 || inline.CIDRs[0].V != "0.0.0.0/0" || inline.Address != "" {
		t.Errorf("inline rule: %+v", inline)
	}
	if separate.Address != "NotebookToEndpoints" || separate.SecurityGroups[0].Ref != "EndpointSecurityGroup" ||
		separate.Range.StartLine == 0 {
		t.Errorf("separate rule: %+v", separate)
	}
	epsg := set.SecurityGroupByID("EndpointSecurityGroup")
	if epsg == nil || !epsg.DefaultEgress || len(epsg.Egress) != 1 || epsg.Egress[0].Protocol.V != "-1" ||
		epsg.Egress[0].CIDRs[0].V != "0.0.0.0/0" {
		t.Errorf("a group without SecurityGroupEgress keeps the AWS default allow-all rule: %+v", epsg)
	}

	lc := set.LifecycleConfigByID("NotebookLifecycle")
	if lc == nil || lc.Name != "private-notebook-setup" || len(lc.Scripts) != 1 {
		t.Fatalf("lifecycle config: %+v", lc)
	}
	sc := lc.Scripts[0]
	if sc.Hook != "on_start" || sc.Resolution != model.Explicit ||
		!strings.Contains(sc.Content, `echo "region ${AWS::Region}"`) || !strings.Contains(sc.Content, "pip config set") ||
		!strings.Contains(sc.Reason, "AWS::Region") {
		t.Errorf("script: %+v", sc)
	}
}

func TestLifecycleContentForms(t *testing.T) {
	tmpl := `Resources:
  Literal:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
    Properties:
      OnCreate:
        - Content: ZWNobyBoaQ==
  Plain:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
    Properties:
      OnStart:
        - Content: "echo not base64!"
  Joined:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
    Properties:
      OnStart:
        - Content:
            Fn::Base64: !Join ["\n", ["#!/bin/bash", "echo one", "echo two"]]
        - Content: !Base64 |
            #!/bin/bash
            echo literal block
  Imported:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
    Properties:
      OnStart:
        - Content: !ImportValue SharedScript
`
	l, _ := NewLoader(context.Background(), surface.Options{})
	r := l.Load(context.Background(), "lc.yaml", []byte(tmpl), Stack{})
	if len(r.Sets) != 1 {
		t.Fatal(r.Errors)
	}
	got := map[string][]model.Script{}
	for _, lc := range r.Sets[0].LifecycleConfigs {
		got[lc.Address] = lc.Scripts
	}
	check := func(id string, i int, res model.Resolution, content, reason string) {
		t.Helper()
		if len(got[id]) <= i {
			t.Fatalf("%s: no script %d", id, i)
		}
		s := got[id][i]
		if s.Resolution != res || s.Content != content || !strings.Contains(s.Reason, reason) {
			t.Errorf("%s[%d] = %+v, want %s %q (reason ~ %q)", id, i, s, res, content, reason)
		}
	}
	check("Literal", 0, model.Explicit, "echo hi", "")
	check("Plain", 0, model.Unknown, "", "not base64")
	check("Joined", 0, model.Explicit, "#!/bin/bash\necho one\necho two", "")
	check("Joined", 1, model.Explicit, "#!/bin/bash\necho literal block\n", "")
	check("Imported", 0, model.Unknown, "", "Fn::ImportValue SharedScript")
	if h := got["Literal"][0].Hook; h != "on_create" {
		t.Errorf("hook %q", h)
	}
}

func TestTemplateDetection(t *testing.T) {
	tests := []struct {
		name, body string
		sets       int
		errs       int
	}{
		{"yaml template", "Resources:\n  A:\n    Type: AWS::EC2::Subnet\n", 1, 0},
		{"json template", `{"Resources": {"A": {"Type": "AWS::EC2::Subnet"}}}`, 1, 0},
		{"only custom resources but a format version", "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: Custom::Thing\n", 1, 0},
		{"resources not a mapping", "Resources: [AWS::EC2::Subnet]\n", 0, 0},
		{"kubernetes manifest", "kind: Pod\nspec:\n  resources: {}\n", 0, 0},
		{"empty", "", 0, 0},
		{"scalar document", "just text mentioning Resources and AWS::\n", 0, 0},
		{"broken template", "Resources:\n  A:\n    Type: AWS::EC2::Subnet\n   Properties: {}\n", 0, 1},
		{"broken unrelated yaml", "a: b: c\n", 0, 0},
	}
	l, _ := NewLoader(context.Background(), surface.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := l.Load(context.Background(), "f.yaml", []byte(tc.body), Stack{})
			if len(r.Sets) != tc.sets || len(r.Errors) != tc.errs {
				t.Errorf("sets %d errors %v, want %d sets %d errors", len(r.Sets), r.Errors, tc.sets, tc.errs)
			}
		})
	}
}

func TestBrokenTemplateLines(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
	}{
		{"bad indentation", "Resources:\n  A:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: x\n     CidrBlock: y\n", 6},
		{"tab", "Resources:\n  A:\n\tType: AWS::EC2::Subnet\n", 3},
		{"unclosed quote", "Resources:\n  A:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: \"x\n", 5},
		{"json missing comma", "{\n \"Resources\": {\n  \"A\": {\n   \"Type\": \"AWS::EC2::Subnet\"\n   \"Properties\": {}\n  }\n }\n}\n", 5},
	}
	l, _ := NewLoader(context.Background(), surface.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := l.Load(context.Background(), "f", []byte(tc.body), Stack{})
			if len(r.Errors) != 1 || r.Errors[0].Line != tc.line || r.Errors[0].File != "f" {
				t.Errorf("errors %+v, want one at line %d", r.Errors, tc.line)
			}
		})
	}
}

func TestUnknownPropertiesAndConditions(t *testing.T) {
	tmpl := `Parameters:
  Mode:
    Type: String
Conditions:
  Custom: !Equals [!Ref Mode, custom]
Resources:
  Whole:
    Type: AWS::SageMaker::NotebookInstance
    Properties: !If
      - Custom
      - {InstanceType: ml.t3.medium, RoleArn: r, DirectInternetAccess: Disabled}
      - {InstanceType: ml.t3.medium, RoleArn: r}
  Maybe:
    Type: AWS::SageMaker::Domain
    Condition: Custom
    Properties:
      AuthMode: IAM
      DomainName: d
      DefaultUserSettings: {ExecutionRole: r}
`
	l, _ := NewLoader(context.Background(), surface.Options{})
	set := l.Load(context.Background(), "u.yaml", []byte(tmpl), Stack{}).Sets[0]
	nb := set.Notebooks[0]
	if nb.DirectInternetAccess.Known() || !strings.Contains(nb.DirectInternetAccess.Reason, "Fn::If on condition Custom") {
		t.Errorf("DirectInternetAccess %+v", nb.DirectInternetAccess)
	}
	if nb.SecurityGroups.Known() {
		t.Errorf("SecurityGroups %+v", nb.SecurityGroups)
	}
	d := set.Domains[0]
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "condition Custom") {
		t.Errorf("domain notes %v", d.Notes)
	}
}

func TestForEachExpansion(t *testing.T) {
	tmpl := `Transform: AWS::LanguageExtensions
Parameters:
  Teams:
    Type: CommaDelimitedList
    Default: alpha,beta-2
  Regions:
    Type: CommaDelimitedList
Resources:
  Fn::ForEach::Notebooks:
    - Team
    - !Ref Teams
    - Notebook&{Team}:
        Type: AWS::SageMaker::NotebookInstance
        Properties:
          InstanceType: ml.t3.medium
          RoleArn: r
          NotebookInstanceName: !Sub "${Team}-nb"
          DirectInternetAccess: !If [IsAlpha, Disabled, Enabled]
          SubnetId: !FindInMap [TeamSubnets, !Ref Team, Subnet]
  Fn::ForEach::Unresolvable:
    - Region
    - !Ref Regions
    - Domain${Region}:
        Type: AWS::SageMaker::Domain
        Properties:
          AuthMode: IAM
          DomainName: d
          DefaultUserSettings: {ExecutionRole: r}
Mappings:
  TeamSubnets:
    alpha: {Subnet: subnet-a}
    beta-2: {Subnet: subnet-b}
Conditions:
  IsAlpha: !Equals [!Ref Teams, [alpha]]
`
	l, _ := NewLoader(context.Background(), surface.Options{})
	r := l.Load(context.Background(), "fe.yaml", []byte(tmpl), Stack{})
	if len(r.Sets) != 1 {
		t.Fatal(r.Errors)
	}
	set := r.Sets[0]
	got := map[string]string{}
	for _, nb := range set.Notebooks {
		got[nb.Address] = nb.Name + " " + nb.SubnetID.V + " " + nb.DirectInternetAccess.V
		if nb.Range.StartLine != 12 {
			t.Errorf("%s range %+v, want the loop body line 12", nb.Address, nb.Range)
		}
	}
	want := map[string]string{"Notebookalpha": "alpha-nb subnet-a Enabled", "Notebookbeta2": "beta-2-nb subnet-b Enabled"}
	if len(got) != 2 || got["Notebookalpha"] != want["Notebookalpha"] || got["Notebookbeta2"] != want["Notebookbeta2"] {
		t.Errorf("expanded notebooks %v, want %v", got, want)
	}
	if len(set.Gaps) != 1 || set.Gaps[0].Address != "Fn::ForEach::Unresolvable" ||
		!strings.Contains(set.Gaps[0].Reason, "parameter Regions has no Default") {
		t.Errorf("gaps %+v", set.Gaps)
	}
}

// TestRouteTargetKinds: GatewayId is decided by what it names (a VPN gateway
// is no internet gateway) and EgressOnlyInternetGatewayId is an egress-only
// gateway, as on every other surface (testdata/network-agreement).
func TestRouteTargetKinds(t *testing.T) {
	set := loadCase(t, "../network-agreement/cloudformation/template.yaml", surface.Options{})
	want := map[string]awsfacts.RouteTarget{
		"PrivateRouteTable 0.0.0.0/0":   awsfacts.TargetNAT,
		"PrivateRouteTable 10.1.0.0/16": awsfacts.TargetVirtualPrivateGateway,
		"PrivateRouteTable ::/0":        awsfacts.TargetEgressOnlyInternetGateway,
		"VpnRouteTable 0.0.0.0/0":       awsfacts.TargetVirtualPrivateGateway,
		"PublicRouteTable 0.0.0.0/0":    awsfacts.TargetInternetGateway,
	}
	got := map[string]awsfacts.RouteTarget{}
	for _, rt := range set.RouteTables {
		for _, r := range rt.Routes {
			got[rt.Address+" "+r.Destination.V] = r.TargetKind
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: kind %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}
