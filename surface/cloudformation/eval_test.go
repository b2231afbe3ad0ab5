package cloudformation

import (
	"context"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/surface"
)

// evalTemplate is the template every evaluator test runs against.
const evalTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
  Required:
    Type: String
  Zones:
    Type: CommaDelimitedList
    Default: "a, b,c"
  FromSSM:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /org/value
  Count:
    Type: Number
    Default: 3
Mappings:
  Net:
    dev:
      Access: Enabled
      Cidrs: [10.0.0.0/16, 10.1.0.0/16]
    prod:
      Access: Disabled
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsDev, !Equals ["x", "x"]]
  Either: !Or [!Condition IsProd, {"Condition": "IsDev"}]
  NeedsInput: !Equals [!Ref Required, "yes"]
  DevOrInput: !Or [!Condition IsDev, !Condition NeedsInput]
  ProdAndInput: !And [!Condition IsProd, !Condition NeedsInput]
  Loop: !Not [!Condition Loop]
Resources:
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: vpc-1
      CidrBlock: 10.0.0.0/24
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: g
  LC:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
`

// evalExpr evaluates one YAML expression in the context of evalTemplate.
func evalExpr(t *testing.T, expr string, opts surface.Options) value {
	t.Helper()
	data := []byte(evalTemplate)
	root, err := parse(data)
	if err != nil {
		t.Fatal(err)
	}
	l, errs := NewLoader(context.Background(), opts)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e, _, _ := l.newEvaluator("t.yaml", data, root, Stack{})
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(expr), &n); err != nil {
		t.Fatalf("expression %q: %v", expr, err)
	}
	return e.eval(&n)
}

func TestIntrinsics(t *testing.T) {
	region := surface.Options{Region: "eu-west-1", Account: "111122223333"}
	tests := []struct {
		name string
		expr string
		opts surface.Options
		// want is the scalar, "ref:ID", "list:a|b", "absent", or "unknown:<reason substring>".
		want string
	}{
		{"literal", `Disabled`, surface.Options{}, "Disabled"},
		{"number literal", `5`, surface.Options{}, "5"},
		{"null is absent", `~`, surface.Options{}, "absent"},
		{"Ref parameter default", `!Ref Env`, surface.Options{}, "dev"},
		{"Ref parameter override", `!Ref Env`, surface.Options{Parameters: map[string]string{"Env": "prod"}}, "prod"},
		{"Ref parameter without value", `!Ref Required`, surface.Options{}, "unknown:parameter Required has no Default"},
		{"Ref number parameter", `{"Ref": "Count"}`, surface.Options{}, "3"},
		{"Ref list parameter", `!Ref Zones`, surface.Options{}, "list:a|b|c"},
		{"Ref SSM parameter", `!Ref FromSSM`, surface.Options{}, "unknown:parameter FromSSM (SSM parameter /org/value) is resolved from SSM"},
		{"Ref resource", `!Ref Subnet`, surface.Options{}, "ref:Subnet"},
		{"Ref unknown name", `!Ref Nope`, surface.Options{}, "unknown:names neither a parameter nor a resource"},
		{"Ref NoValue", `!Ref AWS::NoValue`, surface.Options{}, "absent"},
		{"Ref region unknown", `!Ref AWS::Region`, surface.Options{}, "unknown:AWS::Region is resolved at deploy time"},
		{"Ref region given", `!Ref AWS::Region`, region, "eu-west-1"},
		{"Ref account given", `!Ref AWS::AccountId`, region, "111122223333"},
		{"Partition", `!Ref AWS::Partition`, surface.Options{}, "aws"},
		{"Partition China", `!Ref AWS::Partition`, surface.Options{Region: "cn-north-1"}, "aws-cn"},
		{"URLSuffix", `!Ref AWS::URLSuffix`, surface.Options{}, "amazonaws.com"},
		{"StackName", `!Ref AWS::StackName`, surface.Options{}, "unknown:AWS::StackName is set at deploy time"},
		{"GetAtt identity short", `!GetAtt Group.GroupId`, surface.Options{}, "ref:Group"},
		{"GetAtt identity list", `{"Fn::GetAtt": ["LC", "NotebookInstanceLifecycleConfigName"]}`, surface.Options{}, "ref:LC"},
		{"GetAtt other attribute", `!GetAtt Subnet.AvailabilityZone`, surface.Options{}, "unknown:Fn::GetAtt Subnet.AvailabilityZone is resolved at deploy time"},
		{"GetAtt missing resource", `!GetAtt Missing.Arn`, surface.Options{}, "unknown:names no resource"},
		{"Sub parameter", `!Sub "${Env}-nb"`, surface.Options{}, "dev-nb"},
		{"Sub literal escape", `!Sub "${!Env}"`, surface.Options{}, "${Env}"},
		{"Sub map form", `!Sub ["${A}-${Env}", {A: !Ref Env}]`, surface.Options{}, "dev-dev"},
		{"Sub pseudo", `!Sub "arn:${AWS::Partition}:s3:::b-${AWS::Region}"`, region, "arn:aws:s3:::b-eu-west-1"},
		{"Sub pseudo unknown", `!Sub "b-${AWS::Region}"`, surface.Options{}, "unknown:AWS::Region"},
		{"Sub sole resource is a ref", `!Sub "${Subnet}"`, surface.Options{}, "ref:Subnet"},
		{"Sub resource inside text", `!Sub "x-${Subnet}"`, surface.Options{}, "unknown:physical ID of resource Subnet"},
		{"Sub GetAtt", `!Sub "${Subnet.AvailabilityZone}"`, surface.Options{}, "unknown:Fn::GetAtt Subnet.AvailabilityZone"},
		{"Join", `!Join ["", [Dis, abled]]`, surface.Options{}, "Disabled"},
		{"Join list parameter", `!Join ["-", !Ref Zones]`, surface.Options{}, "a-b-c"},
		{"Join sole ref", `!Join ["", [!Ref Subnet]]`, surface.Options{}, "ref:Subnet"},
		{"Join GetAZs", `!Join [",", !GetAZs ""]`, surface.Options{}, "unknown:Fn::GetAZs is resolved at deploy time"},
		{"Select", `!Select [1, [a, b, c]]`, surface.Options{}, "b"},
		{"Select list parameter", `!Select ["2", !Ref Zones]`, surface.Options{}, "c"},
		{"Select out of range", `!Select [5, [a]]`, surface.Options{}, "unknown:out of range"},
		{"Select GetAZs", `!Select [0, !GetAZs ""]`, surface.Options{}, "unknown:Fn::GetAZs"},
		{"Split", `!Split [",", "x,y"]`, surface.Options{}, "list:x|y"},
		{"Select Split", `!Select [1, !Split ["/", "a/b/c"]]`, surface.Options{}, "b"},
		{"Base64", `!Base64 hi`, surface.Options{}, "aGk="},
		{"FindInMap", `!FindInMap [Net, !Ref Env, Access]`, surface.Options{}, "Enabled"},
		{"FindInMap list", `!FindInMap [Net, dev, Cidrs]`, surface.Options{}, "list:10.0.0.0/16|10.1.0.0/16"},
		{"FindInMap missing key", `!FindInMap [Net, prod, Cidrs]`, surface.Options{}, "unknown:has no key Cidrs"},
		{"FindInMap DefaultValue", `!FindInMap [Net, staging, Access, {DefaultValue: Disabled}]`, surface.Options{}, "Disabled"},
		{"FindInMap unknown key", `!FindInMap [Net, !Ref Required, Access]`, surface.Options{}, "unknown:parameter Required"},
		{"If true", `!If [IsDev, Enabled, Disabled]`, surface.Options{}, "Enabled"},
		{"If false", `!If [IsProd, Disabled, Enabled]`, surface.Options{}, "Enabled"},
		{"If override", `!If [IsProd, Disabled, Enabled]`, surface.Options{Parameters: map[string]string{"Env": "prod"}}, "Disabled"},
		{"If NoValue", `!If [IsProd, Disabled, !Ref AWS::NoValue]`, surface.Options{}, "absent"},
		{"If And", `!If [Both, y, n]`, surface.Options{}, "y"},
		{"If Or long form", `{"Fn::If": ["Either", "y", "n"]}`, surface.Options{}, "y"},
		{"If unknown condition", `!If [NeedsInput, a, b]`, surface.Options{}, "unknown:Fn::If on condition NeedsInput, which cannot be resolved: parameter Required"},
		{"If unknown condition same branches", `!If [NeedsInput, same, same]`, surface.Options{}, "same"},
		{"Or decided by a true operand", `!If [DevOrInput, y, n]`, surface.Options{}, "y"},
		{"And decided by a false operand", `!If [ProdAndInput, y, n]`, surface.Options{}, "n"},
		{"If self-referencing condition", `!If [Loop, y, n]`, surface.Options{}, "unknown:refers to itself"},
		{"If undefined condition", `!If [Nope, y, n]`, surface.Options{}, "unknown:condition Nope is not defined"},
		{"ImportValue", `!ImportValue SharedSubnet`, surface.Options{}, "unknown:Fn::ImportValue SharedSubnet is resolved at deploy time"},
		{"ImportValue Sub", `!ImportValue {"Fn::Sub": "${Env}-subnet"}`, surface.Options{}, "unknown:Fn::ImportValue dev-subnet is resolved"},
		{"Cidr", `!Cidr [10.0.0.0/16, 4, 8]`, surface.Options{}, "unknown:Fn::Cidr"},
		{"Transform", `{"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}}`, surface.Options{}, "unknown:Fn::Transform AWS::Include is applied at deploy time"},
		{"Length", `{"Fn::Length": [a, b]}`, surface.Options{}, "2"},
		{"Equals in a value", `!Equals [a, a]`, surface.Options{}, "true"},
		{"list drops NoValue", `[a, !Ref AWS::NoValue, b]`, surface.Options{}, "list:a|b"},
		{"nested functions", `!Select [0, !Split ["-", !Sub "${Env}-x"]]`, surface.Options{}, "dev"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render(evalExpr(t, tc.expr, tc.opts))
			if strings.HasPrefix(tc.want, "unknown:") {
				if !strings.HasPrefix(got, "unknown:") || !strings.Contains(got, strings.TrimPrefix(tc.want, "unknown:")) {
					t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
				}
				return
			}
			if got != tc.want {
				t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func render(v value) string {
	switch v.kind {
	case kScalar:
		return v.s
	case kRef:
		return "ref:" + v.ref
	case kAbsent:
		return "absent"
	case kUnknown:
		return "unknown:" + v.reason
	case kList:
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = render(it)
		}
		return "list:" + strings.Join(parts, "|")
	}
	return "map"
}

func TestSubKeepsUnresolvedTextForScripts(t *testing.T) {
	v := evalExpr(t, `!Sub "aws s3 cp s3://cfg-${AWS::AccountId}/x . --region ${AWS::Region} # ${Env}"`, surface.Options{Region: "us-east-2"})
	if v.kind != kUnknown {
		t.Fatalf("want unknown, got %s", render(v))
	}
	if want := "aws s3 cp s3://cfg-${AWS::AccountId}/x . --region us-east-2 # dev"; v.text != want {
		t.Errorf("text = %q, want %q", v.text, want)
	}
}

func TestJoinPlaceholdersNameTheReference(t *testing.T) {
	v := evalExpr(t, `{"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]}`, surface.Options{})
	if v.text != "com.amazonaws.${AWS::Region}.s3" {
		t.Errorf("text = %q", v.text)
	}
}

func TestOriginsNameWhereValuesCameFrom(t *testing.T) {
	tests := []struct {
		expr string
		opts surface.Options
		want string
	}{
		{`!Ref Env`, surface.Options{}, "parameter Env default in t.yaml:5"},
		{`!Ref Env`, surface.Options{Parameters: map[string]string{"Env": "qa"}}, `parameter Env = "qa" from --parameter`},
		{`!If [IsProd, a, b]`, surface.Options{}, "Fn::If IsProd is false"},
		{`!FindInMap [Net, !Ref Env, Access]`, surface.Options{}, "Mappings Net.dev.Access in t.yaml:20, keyed by parameter Env default"},
		{`!Ref AWS::Region`, surface.Options{Region: "eu-west-1"}, "AWS::Region = eu-west-1 from --region"},
	}
	for _, tc := range tests {
		if got := finding.DescribeProvenance(evalExpr(t, tc.expr, tc.opts).prov); !strings.Contains(got, tc.want) {
			t.Errorf("%s: origin %q, want it to contain %q", tc.expr, got, tc.want)
		}
	}
}

func TestHostileInputIsBounded(t *testing.T) {
	// A billion-laughs style alias tree must not explode evaluation.
	var b strings.Builder
	b.WriteString("Resources:\n  N:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n")
	b.WriteString("      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("      a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &a")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	l, _ := NewLoader(context.Background(), surface.Options{})
	res := l.Load(context.Background(), "bomb.yaml", []byte(b.String()), Stack{})
	if len(res.Sets) != 1 || len(res.Sets[0].Notebooks) != 1 {
		t.Fatalf("want the notebook despite the alias bomb, got %+v", res)
	}
}
