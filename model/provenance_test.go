package model

import "testing"

func TestProvenanceChain(t *testing.T) {
	tfvars := Step{Kind: StepTFVars, Name: "var.dia", Range: Range{File: "terraform.tfvars.json", StartLine: 1}}
	arg := func(inputs ...Step) Step {
		return Step{Kind: StepModuleArgument, Name: "var.access", Detail: "module.nb", Range: Range{File: "main.tf", StartLine: 12}, Inputs: inputs}
	}
	expr := Step{Kind: StepExpression, Detail: "conditional", Range: Range{File: "main.tf", StartLine: 3}, Inputs: []Step{tfvars}}
	tests := []struct {
		name     string
		p        Provenance
		wantLen  int
		wantLast StepKind
		editable bool
	}{
		{"literal", nil, 0, "", false},
		{"tfvars", Provenance{tfvars}, 1, StepTFVars, true},
		{"through a module argument", Provenance{arg(tfvars)}, 2, StepTFVars, true},
		{"literal module argument", Provenance{arg()}, 1, StepModuleArgument, true},
		{"argument that computes", Provenance{arg(expr)}, 2, StepExpression, false},
		{"argument with two inputs", Provenance{arg(tfvars, tfvars)}, 0, "", false},
		{"two inputs", Provenance{tfvars, tfvars}, 0, "", false},
		{"local", Provenance{{Kind: StepLocal, Name: "local.a", Range: Range{File: "main.tf", StartLine: 2}}}, 1, StepLocal, false},
		{"--var", Provenance{{Kind: StepVarFlag, Name: "var.a", Via: "--var"}}, 1, StepVarFlag, false},
		{"mapping keyed by a parameter", Provenance{{Kind: StepMapping, Name: "M.a.b", Range: Range{File: "t.yaml", StartLine: 4},
			Inputs: []Step{{Kind: StepParameterDefault, Name: "Env", Range: Range{File: "t.yaml", StartLine: 2}}}}}, 1, StepMapping, true},
	}
	for _, tc := range tests {
		chain := tc.p.Chain()
		if len(chain) != tc.wantLen {
			t.Errorf("%s: chain %+v, want %d steps", tc.name, chain, tc.wantLen)
			continue
		}
		if len(chain) == 0 {
			continue
		}
		last := chain[len(chain)-1]
		if last.Kind != tc.wantLast || last.Editable() != tc.editable {
			t.Errorf("%s: ends in %s (editable %v), want %s (editable %v)", tc.name, last.Kind, last.Editable(), tc.wantLast, tc.editable)
		}
	}
}

func TestProvenanceWalkDepths(t *testing.T) {
	p := Provenance{{Kind: StepEach, Name: "each.value", Inputs: []Step{{Kind: StepVariableDefault, Name: "var.m"}}}, {Kind: StepCount, Name: "count.index"}}
	var got []string
	p.Walk(func(s Step, depth int) { got = append(got, string(s.Kind)+"@"+string(rune('0'+depth))) })
	want := []string{"each@0", "variable_default@1", "count@0"}
	if len(got) != len(want) {
		t.Fatalf("walk %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("walk %v, want %v", got, want)
		}
	}
}
