package engine

import (
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	mt "github.com/sagefence/sagefence/model/modeltest"
)

func failingNotebook(sups ...model.Suppression) *model.Set {
	return &model.Set{Notebooks: []*model.NotebookInstance{{
		Meta: model.Meta{
			Surface: model.SurfaceTerraform, Type: "aws_sagemaker_notebook_instance",
			Address: `module.ml.aws_sagemaker_notebook_instance.nb["a"]`, Name: "research",
			Suppressions: sups,
		},
		DirectInternetAccess: mt.Default("Enabled"),
		SubnetID:             mt.Default(""),
	}}}
}

func statusOf(t *testing.T, fs []finding.Finding, control string) finding.Finding {
	t.Helper()
	for _, f := range fs {
		if f.ControlID == control {
			return f
		}
	}
	t.Fatalf("no finding for %s", control)
	return finding.Finding{}
}

func TestSuppression(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const dia = "sagemaker_notebook_instance_direct_internet_access_disabled"
	tests := []struct {
		name   string
		sups   []model.Suppression
		cfg    []ConfigSuppression
		want   finding.Status
		source string
	}{
		{"none", nil, nil, finding.Fail, ""},
		{"checkov alias", []model.Suppression{{Source: "checkov", IDs: []string{"CKV_AWS_122"}, Reason: "lab"}}, nil, finding.Suppressed, "checkov"},
		{"other control", []model.Suppression{{Source: "checkov", IDs: []string{"CKV_AWS_306"}, Reason: "lab"}}, nil, finding.Fail, ""},
		{"future expiry", []model.Suppression{{Source: "trivy", IDs: []string{"SageMaker.1"}, Expires: "2026-12-31"}}, nil, finding.Suppressed, "trivy"},
		{"expired", []model.Suppression{{Source: "trivy", IDs: []string{"SageMaker.1"}, Expires: "2026-05-31"}}, nil, finding.Fail, ""},
		{"expires today", []model.Suppression{{Source: "sagefence", IDs: []string{dia}, Expires: "2026-06-01"}}, nil, finding.Fail, ""},
		{"config glob", nil, []ConfigSuppression{{Control: "CKV_AWS_122", Resource: "module.ml.*", Reason: "sandbox"}}, finding.Suppressed, "config"},
		{"config by name", nil, []ConfigSuppression{{Control: dia, Resource: "research", Reason: "sandbox"}}, finding.Suppressed, "config"},
		{"config other resource", nil, []ConfigSuppression{{Control: dia, Resource: "module.other.*", Reason: "x"}}, finding.Fail, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := evaluate(t, []*model.Set{failingNotebook(tt.sups...)}, tt.cfg, now)
			f := statusOf(t, fs, dia)
			if f.Status != tt.want {
				t.Fatalf("status %s, want %s (%s)", f.Status, tt.want, f.Message)
			}
			if tt.source != "" && (f.Suppression == nil || f.Suppression.Source != tt.source) {
				t.Errorf("suppression %+v, want source %s", f.Suppression, tt.source)
			}
			// A suppression of one control never touches another.
			wantInVPC := finding.Fail
			if tt.name == "other control" {
				wantInVPC = finding.Suppressed
			}
			if g := statusOf(t, fs, "sagemaker_notebook_instance_in_vpc"); g.Status != wantInVPC {
				t.Errorf("in_vpc status %s, want %s", g.Status, wantInVPC)
			}
		})
	}
}

func TestSuppressionNeverHidesUnknown(t *testing.T) {
	set := failingNotebook(model.Suppression{Source: "checkov", IDs: []string{"CKV_AWS_122"}, Reason: "x"})
	set.Notebooks[0].DirectInternetAccess = mt.Unknown("var.x has no value")
	f := statusOf(t, evaluate(t, []*model.Set{set}, nil, time.Now()), "sagemaker_notebook_instance_direct_internet_access_disabled")
	if f.Status != finding.Unknown {
		t.Fatalf("status %s, want unknown", f.Status)
	}
}

// evaluate runs every control on the sets; an evaluation error fails the test.
func evaluate(t *testing.T, sets []*model.Set, cfg []ConfigSuppression, now time.Time) []finding.Finding {
	t.Helper()
	fs, errs := Evaluate(sets, nil, cfg, now)
	if len(errs) > 0 {
		t.Fatalf("evaluation errors: %v", errs)
	}
	return fs
}

// Evaluate keeps a finding without a Terraform root once when two sets
// reach it (one template read twice), the first time, as a scan does; the
// same finding under two roots is two findings.
func TestEvaluateKeepsARootlessFindingOnce(t *testing.T) {
	one := evaluate(t, []*model.Set{failingNotebook()}, nil, time.Now())
	if len(one) == 0 {
		t.Fatal("no finding: the test checks nothing")
	}
	first, second := failingNotebook(), failingNotebook()
	second.Notebooks[0].Name = "research-again" // not in the finding's identity
	twice := evaluate(t, []*model.Set{first, second}, nil, time.Now())
	if len(twice) != len(one) {
		t.Fatalf("root-less finding reached twice: %d findings, want %d", len(twice), len(one))
	}
	rooted := func(root string) *model.Set {
		s := failingNotebook()
		s.Notebooks[0].Root = root
		return s
	}
	if got := evaluate(t, []*model.Set{rooted("a"), rooted("b")}, nil, time.Now()); len(got) != 2*len(one) {
		t.Fatalf("same finding under two roots: %d findings, want %d", len(got), 2*len(one))
	}
}
