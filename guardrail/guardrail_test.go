package guardrail

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/sagefence/sagefence/internal/testutil"
)

func ctx(kv ...any) map[string][]string {
	m := map[string][]string{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case string:
			m[kv[i].(string)] = []string{v}
		case []string:
			m[kv[i].(string)] = v
		}
	}
	return m
}

// TestPoliciesDecide evaluates both policies over the requests that matter.
func TestPoliciesDecide(t *testing.T) {
	const (
		dia, subnets, sgs, ana = KeyDirectInternetAccess, KeyVpcSubnets, KeyVpcSecurityGroupIds, KeyAppNetworkAccessType
	)
	net := func(kv ...any) map[string][]string {
		return ctx(append([]any{subnets, "subnet-1", sgs, "sg-1"}, kv...)...)
	}
	tests := []struct {
		name   string
		req    Request
		denied bool
		by     []string
	}{
		{"compliant create", Request{ActionCreateNotebookInstance, net(dia, "Disabled")}, false, nil},
		{"compliant create, several subnets and groups", Request{ActionCreateNotebookInstance,
			ctx(dia, "Disabled", subnets, []string{"subnet-1", "subnet-2"}, sgs, []string{"sg-1", "sg-2"})}, false, nil},
		{"omitted DirectInternetAccess", Request{ActionCreateNotebookInstance, net()}, true, []string{"DenyNotebookDirectInternetAccess"}},
		{"DirectInternetAccess Enabled", Request{ActionCreateNotebookInstance, net(dia, "Enabled")}, true, []string{"DenyNotebookDirectInternetAccess"}},
		{"lower-case disabled (values are case-sensitive)", Request{ActionCreateNotebookInstance, net(dia, "disabled")}, true, []string{"DenyNotebookDirectInternetAccess"}},
		{"key name in another case still matches", Request{ActionCreateNotebookInstance,
			ctx("SageMaker:directinternetaccess", "Disabled", subnets, "subnet-1", sgs, "sg-1")}, false, nil},
		{"no subnet", Request{ActionCreateNotebookInstance, ctx(dia, "Disabled", sgs, "sg-1")}, true, []string{"DenyNotebookWithoutVpcSubnet"}},
		{"no security groups", Request{ActionCreateNotebookInstance, ctx(dia, "Disabled", subnets, "subnet-1")}, true, []string{"DenyNotebookWithoutSecurityGroups"}},
		{"nothing at all", Request{ActionCreateNotebookInstance, ctx()}, true,
			[]string{"DenyNotebookDirectInternetAccess", "DenyNotebookWithoutVpcSubnet", "DenyNotebookWithoutSecurityGroups"}},
		{"action name in another case", Request{"SageMaker:createnotebookinstance", net(dia, "Enabled")}, true, []string{"DenyNotebookDirectInternetAccess"}},
		{"domain VpcOnly", Request{ActionCreateDomain, ctx(ana, "VpcOnly", subnets, "subnet-1")}, false, nil},
		{"domain PublicInternetOnly", Request{ActionCreateDomain, ctx(ana, "PublicInternetOnly")}, true, []string{"DenyDomainNotVpcOnly"}},
		{"domain omitted (defaults to PublicInternetOnly)", Request{ActionCreateDomain, ctx()}, true, []string{"DenyDomainNotVpcOnly"}},
		{"domain vpconly in lower case", Request{ActionCreateDomain, ctx(ana, "vpconly")}, true, []string{"DenyDomainNotVpcOnly"}},
		{"update to PublicInternetOnly", Request{ActionUpdateDomain, ctx(ana, "PublicInternetOnly")}, true, []string{"DenyDomainUpdateToPublicInternet"}},
		{"update to VpcOnly", Request{ActionUpdateDomain, ctx(ana, "VpcOnly")}, false, nil},
		{"update omitting the key (unchanged)", Request{ActionUpdateDomain, ctx()}, false, nil},
		{"other actions are untouched", Request{"sagemaker:CreateTrainingJob", ctx()}, false, nil},
		{"UpdateNotebookInstance is untouched (it cannot change the network)", Request{"sagemaker:UpdateNotebookInstance", ctx()}, false, nil},
	}
	for _, kind := range []Kind{SCP, IAM} {
		doc, err := Policy(kind)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests {
			t.Run(string(kind)+"/"+tc.name, func(t *testing.T) {
				dec, err := Evaluate(doc, tc.req)
				if err != nil {
					t.Fatal(err)
				}
				if dec.Denied != tc.denied {
					t.Fatalf("denied = %v (by %v), want %v", dec.Denied, dec.By, tc.denied)
				}
				if strings.Join(dec.By, ",") != strings.Join(tc.by, ",") {
					t.Errorf("denied by %v, want %v", dec.By, tc.by)
				}
			})
		}
	}
}

// TestOperators pins the evaluator's operator semantics, independent of the policies.
func TestOperators(t *testing.T) {
	tests := []struct {
		op      string
		want    []string
		got     []string
		present bool
		match   bool
		err     bool
	}{
		{"StringEquals", []string{"a"}, []string{"a"}, true, true, false},
		{"StringEquals", []string{"a"}, []string{"A"}, true, false, false},
		{"StringEquals", []string{"a", "b"}, []string{"b"}, true, true, false},
		{"StringEquals", []string{"a"}, nil, false, false, false},
		{"StringEquals", []string{"a"}, []string{"a", "b"}, true, false, true},
		{"StringNotEquals", []string{"a"}, nil, false, true, false},
		{"StringNotEquals", []string{"a"}, []string{"a"}, true, false, false},
		{"StringNotEquals", []string{"a", "b"}, []string{"b"}, true, false, false},
		{"StringNotEquals", []string{"a"}, []string{"A"}, true, true, false},
		{"StringEqualsIgnoreCase", []string{"a"}, []string{"A"}, true, true, false},
		{"Null", []string{"true"}, nil, false, true, false},
		{"Null", []string{"true"}, []string{"x"}, true, false, false},
		{"Null", []string{"false"}, []string{"x"}, true, true, false},
		{"Null", []string{"false"}, nil, false, false, false},
		{"Null", []string{"yes"}, nil, false, false, true},
		{"ForAnyValue:StringEquals", []string{"a"}, []string{"b", "a"}, true, true, false},
		{"ForAnyValue:StringEquals", []string{"a"}, []string{"b"}, true, false, false},
		{"ForAnyValue:StringEquals", []string{"a"}, nil, false, false, false},
		{"ForAllValues:StringEquals", []string{"a", "b"}, []string{"b", "a"}, true, true, false},
		{"ForAllValues:StringEquals", []string{"a"}, []string{"a", "c"}, true, false, false},
		{"ForAllValues:StringEquals", []string{"a"}, nil, false, true, false},
		{"ForAllValues:StringNotEquals", []string{"a"}, []string{"b", "c"}, true, true, false},
		{"ForAnyValue:StringNotEquals", []string{"a"}, []string{"a", "c"}, true, true, false},
		{"NumericEquals", []string{"1"}, []string{"1"}, true, false, true},
		{"Sometimes:StringEquals", []string{"a"}, []string{"a"}, true, false, true},
	}
	for _, tc := range tests {
		match, err := operatorMatches(tc.op, tc.want, tc.got, tc.present)
		if (err != nil) != tc.err {
			t.Errorf("%s %v on %v (present %v): err = %v, want error %v", tc.op, tc.want, tc.got, tc.present, err, tc.err)
			continue
		}
		if err == nil && match != tc.match {
			t.Errorf("%s %v on %v (present %v) = %v, want %v", tc.op, tc.want, tc.got, tc.present, match, tc.match)
		}
	}
}

var sidPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// TestPolicyJSONShape decodes the rendered JSON generically and checks the
// policy grammar the consumers (Organizations, IAM) require.
func TestPolicyJSONShape(t *testing.T) {
	knownOps := map[string]bool{"StringEquals": true, "StringNotEquals": true, "Null": true}
	for _, kind := range []Kind{SCP, IAM} {
		t.Run(string(kind), func(t *testing.T) {
			doc, err := Policy(kind)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := doc.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var generic map[string]any
			if err := json.Unmarshal(raw, &generic); err != nil {
				t.Fatalf("rendered policy is not JSON: %v", err)
			}
			if len(generic) != 2 || generic["Version"] != "2012-10-17" {
				t.Fatalf("top level = %v, want exactly Version 2012-10-17 and Statement", generic)
			}
			stmts, ok := generic["Statement"].([]any)
			if !ok || len(stmts) == 0 {
				t.Fatalf("Statement = %T %v, want a non-empty list", generic["Statement"], generic["Statement"])
			}
			sids := map[string]bool{}
			for i, s := range stmts {
				st, ok := s.(map[string]any)
				if !ok {
					t.Fatalf("statement %d is %T", i, s)
				}
				sid, _ := st["Sid"].(string)
				if !sidPattern.MatchString(sid) || sids[sid] {
					t.Errorf("statement %d: Sid %q must be unique and alphanumeric", i, sid)
				}
				sids[sid] = true
				if st["Effect"] != "Deny" {
					t.Errorf("%s: Effect %v, want Deny", sid, st["Effect"])
				}
				actions, _ := st["Action"].([]any)
				if len(actions) == 0 {
					t.Errorf("%s: no Action", sid)
				}
				for _, a := range actions {
					if s, _ := a.(string); !strings.HasPrefix(s, "sagemaker:") {
						t.Errorf("%s: action %v is not a sagemaker action", sid, a)
					}
				}
				if st["Resource"] != "*" {
					t.Errorf("%s: Resource %v", sid, st["Resource"])
				}
				cond, _ := st["Condition"].(map[string]any)
				if len(cond) == 0 {
					t.Errorf("%s: a guardrail statement without a Condition would deny everything", sid)
				}
				for op, keys := range cond {
					if !knownOps[op] {
						t.Errorf("%s: operator %s", sid, op)
					}
					for key, vals := range keys.(map[string]any) {
						if !strings.HasPrefix(key, "sagemaker:") {
							t.Errorf("%s: key %s", sid, key)
						}
						if list, ok := vals.([]any); !ok || len(list) == 0 {
							t.Errorf("%s: %s values %v", sid, key, vals)
						}
					}
				}
				for k := range st {
					switch k {
					case "Sid", "Effect", "Action", "Resource", "Condition":
					default:
						t.Errorf("%s: unexpected element %s", sid, k)
					}
				}
			}
			if kind == SCP {
				n, err := doc.MinifiedSize()
				if err != nil {
					t.Fatal(err)
				}
				if n > 5120 {
					t.Errorf("SCP is %d characters, over the 5,120 quota", n)
				}
			}
		})
	}
}

// TestTerraformRendering parses the rendered HCL, evaluates its jsonencode()
// with Terraform's function and compares the result with the JSON document.
func TestTerraformRendering(t *testing.T) {
	tests := []struct {
		kind          Kind
		resourceType  string
		attr          string
		wantAttribute map[string]string
	}{
		{SCP, "aws_organizations_policy", "content", map[string]string{"type": "SERVICE_CONTROL_POLICY", "name": DefaultName}},
		{IAM, "aws_iam_policy", "policy", map[string]string{"name": DefaultName}},
	}
	evalCtx := &hcl.EvalContext{Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
	for _, tc := range tests {
		t.Run(string(tc.kind), func(t *testing.T) {
			doc, _ := Policy(tc.kind)
			src, err := Terraform([]Kind{tc.kind}, "")
			if err != nil {
				t.Fatal(err)
			}
			file, diags := hclsyntax.ParseConfig(src, "guardrail.tf", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatalf("not valid HCL: %v\n%s", diags, src)
			}
			blocks := file.Body.(*hclsyntax.Body).Blocks
			if len(blocks) != 1 || blocks[0].Type != "resource" || blocks[0].Labels[0] != tc.resourceType {
				t.Fatalf("want one resource %q block, got %d blocks\n%s", tc.resourceType, len(blocks), src)
			}
			attrs := blocks[0].Body.Attributes
			for name, want := range tc.wantAttribute {
				v, diags := attrs[name].Expr.Value(nil)
				if diags.HasErrors() || v.AsString() != want {
					t.Errorf("%s = %#v (%v), want %q", name, v, diags, want)
				}
			}
			v, diags := attrs[tc.attr].Expr.Value(evalCtx)
			if diags.HasErrors() {
				t.Fatalf("evaluating %s: %v", tc.attr, diags)
			}
			if v.Type() != cty.String {
				t.Fatalf("%s is %s, want string", tc.attr, v.Type().FriendlyName())
			}
			var fromHCL, fromJSON any
			raw, _ := doc.JSON()
			if err := json.Unmarshal([]byte(v.AsString()), &fromHCL); err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal(raw, &fromJSON)
			a, _ := json.Marshal(fromHCL)
			b, _ := json.Marshal(fromJSON)
			if string(a) != string(b) {
				t.Errorf("jsonencode(...) gives\n%s\nwant\n%s", a, b)
			}
		})
	}
}

// TestTerraformValidates runs terraform validate on both rendered resources.
func TestTerraformValidates(t *testing.T) {
	dir := t.TempDir()
	providers := "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"
	src, err := Terraform([]Kind{SCP, IAM}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(src), "resource \""); n != 2 {
		t.Fatalf("want 2 resources, got %d\n%s", n, src)
	}
	files := map[string]string{"versions.tf": providers, "guardrail.tf": string(src)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testutil.TerraformValidate(t, dir)
}

func TestTerraformRejectsBadName(t *testing.T) {
	if _, err := Terraform([]Kind{SCP}, "9 bad name"); err == nil {
		t.Error("a name that is not a Terraform identifier was accepted")
	}
	if _, err := Policy("rcp"); err == nil {
		t.Error("unknown kind accepted")
	}
}
