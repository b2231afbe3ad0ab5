package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}, args)
	return out.String(), errOut.String(), code
}

func TestGuardrailCommand(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains []string
		json     bool
	}{
		{[]string{"guardrail", "--kind", "scp"}, 0, []string{`"Version": "2012-10-17"`, "DenyNotebookDirectInternetAccess"}, true},
		{[]string{"guardrail"}, 0, []string{`"service_control_policy"`, `"iam_policy"`}, true},
		{[]string{"guardrail", "--kind", "iam", "--format", "terraform"}, 0, []string{`resource "aws_iam_policy" "sagefence_sagemaker_network"`, "jsonencode("}, false},
		{[]string{"guardrail", "--format", "terraform", "--name", "org-sm"}, 0, []string{`resource "aws_organizations_policy" "org_sm"`, `resource "aws_iam_policy" "org_sm"`, "Not verified"}, false},
		{[]string{"guardrail", "--kind", "rcp"}, 2, nil, false},
		{[]string{"guardrail", "--format", "yaml"}, 2, nil, false},
		{[]string{"guardrail", "--kind", "config", "--format", "cloudformation"}, 0, []string{`"PermissionModel": "SERVICE_MANAGED"`, `"AWS::CloudFormation::StackSet"`}, true},
		{[]string{"guardrail", "--kind", "config", "--template", "member"}, 0, []string{`"provided.al2023"`, `sagefence_control`, "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"}, true},
		{[]string{"guardrail", "--kind", "config", "--template", "conformance-pack"}, 0, []string{`"LambdaFunctionArn"`, "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC"}, true},
		{[]string{"guardrail", "--kind", "config", "--format", "terraform"}, 0, []string{`resource "aws_cloudformation_stack_set" "sagefence_config"`, `permission_model = "SERVICE_MANAGED"`}, false},
		{[]string{"guardrail", "--kind", "config", "--template", "pack"}, 2, nil, false},
		{[]string{"guardrail", "--kind", "config", "--format", "terraform", "--template", "member"}, 2, nil, false},
		{[]string{"guardrail", "--kind", "scp", "--template", "member"}, 2, nil, false},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			for _, s := range tc.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			if tc.json && !json.Valid([]byte(out)) {
				t.Errorf("output is not JSON:\n%s", out)
			}
		})
	}
}
