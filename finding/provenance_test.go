package finding

import (
	"testing"

	"github.com/sagefence/sagefence/model"
)

// TestDescribeProvenance pins the prose of each step kind: messages built
// from it are part of what users and the cases read.
func TestDescribeProvenance(t *testing.T) {
	at := func(file string, line int) model.Range {
		return model.Range{File: file, StartLine: line, EndLine: line}
	}
	def := model.Step{Kind: model.StepVariableDefault, Name: "var.notebooks", Range: at("main.tf", 21)}
	tests := []struct {
		p    model.Provenance
		want string
	}{
		{nil, ""},
		{model.Provenance{{Kind: model.StepVariableDefault, Name: "var.access", Range: at("variables.tf", 3)}}, "var.access default in variables.tf:3"},
		{model.Provenance{{Kind: model.StepTFVars, Name: "var.d", Range: at("terraform.tfvars.json", 1)}}, "var.d from terraform.tfvars.json:1"},
		{model.Provenance{{Kind: model.StepVarFlag, Name: "var.b", Via: "--var"}}, "var.b from --var b"},
		{model.Provenance{{Kind: model.StepEnvironment, Name: "var.x", Via: "TF_VAR_x"}}, "var.x from environment variable TF_VAR_x"},
		{model.Provenance{{Kind: model.StepModuleArgument, Name: "var.access", Detail: `module.nb["beta"]`, Range: at("main.tf", 9),
			Inputs: []model.Step{{Kind: model.StepEach, Name: "each.value", Inputs: []model.Step{{Kind: model.StepExpression, Name: `{ alpha = "Disabled" }`}}}}}},
			`var.access set by module.nb["beta"] (main.tf:9) from each.value of { alpha = "Disabled" }`},
		{model.Provenance{{Kind: model.StepExpression, Detail: "index", Inputs: []model.Step{def, {Kind: model.StepEach, Name: "each.key", Inputs: []model.Step{def}}}}},
			"var.notebooks default in main.tf:21, each.key of var.notebooks default in main.tf:21"},
		{model.Provenance{{Kind: model.StepLocal, Name: "local.access", Range: at("main.tf", 2)}}, "local.access"},
		{model.Provenance{{Kind: model.StepPlan, Name: "aws_x.a[0]", Range: model.Range{File: "plan.json"}, Detail: "count.index", Via: "sensitive"}},
			"aws_x.a[0] in plan.json, written as count.index (sensitive)"},
		{model.Provenance{{Kind: model.StepCondition, Name: "Locked", Detail: "false",
			Inputs: []model.Step{{Kind: model.StepParameterDefault, Name: "AccessMode", Range: at("template.yaml", 9)}}}},
			"Fn::If Locked is false, parameter AccessMode default in template.yaml:9"},
		{model.Provenance{{Kind: model.StepMapping, Name: "Net.regulated.Mode", Range: at("template.yaml", 20),
			Inputs: []model.Step{{Kind: model.StepParameterOverride, Name: "EnvType", Detail: "regulated", Via: "--parameter"}}}},
			`Mappings Net.regulated.Mode in template.yaml:20, keyed by parameter EnvType = "regulated" from --parameter`},
		{model.Provenance{{Kind: model.StepParameterOverride, Name: "Access", Detail: "Enabled", Range: at("params.json", 2)}}, `parameter Access = "Enabled" from params.json`},
		{model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::Region", Detail: "eu-west-1", Via: "--region"}}, "AWS::Region = eu-west-1 from --region"},
		{model.Provenance{{Kind: model.StepRef, Name: "PrivateSubnet"}}, "Ref PrivateSubnet"},
		{model.Provenance{{Kind: model.StepServiceDefault, Name: "DirectInternetAccess", Detail: "Enabled", Via: "DescribeNotebookInstance"}},
			"DescribeNotebookInstance returned no DirectInternetAccess; the API default is Enabled"},
	}
	for _, tc := range tests {
		if got := DescribeProvenance(tc.p); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// TestProvenanceFlattens: the JSON steps are depth-first with their depth.
func TestProvenanceFlattens(t *testing.T) {
	p := model.Provenance{{Kind: model.StepModuleArgument, Name: "var.access", Detail: "module.nb", Range: model.Range{File: "main.tf", StartLine: 12},
		Inputs: []model.Step{{Kind: model.StepTFVars, Name: "var.dia", Range: model.Range{File: "terraform.tfvars.json", StartLine: 1}}}}}
	got := Provenance(p)
	if len(got) != 2 || got[0].Depth != 0 || got[1].Depth != 1 || got[1].File != "terraform.tfvars.json" || got[1].Line != 1 || got[0].Detail != "module.nb" {
		t.Errorf("flattened %+v", got)
	}
	if got[0].Describe() != "var.access set by module.nb (main.tf:12)" {
		t.Errorf("one step alone: %q", got[0].Describe())
	}
	if Provenance(nil) != nil {
		t.Error("an empty provenance must flatten to nil (omitted in JSON)")
	}
}
