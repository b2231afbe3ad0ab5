package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sagefence/sagefence/finding"
)

const teamTF = `resource "aws_sagemaker_notebook_instance" "team" {
  count = 2
  #checkov:skip=CKV_AWS_122:team notebooks live in an isolated account
  name                   = "team-${count.index}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = "Enabled"
}
`

func TestBlockAddress(t *testing.T) {
	for in, want := range map[string]string{
		`aws_sagemaker_notebook_instance.team[1]`:                        `aws_sagemaker_notebook_instance.team`,
		`module.ml["a.b"].module.x[0].aws_sagemaker_domain.this["k[0]"]`: `module.ml.module.x.aws_sagemaker_domain.this`,
		`aws_sagemaker_domain.d`:                                         `aws_sagemaker_domain.d`,
	} {
		if got := blockAddress(in); got != want {
			t.Errorf("blockAddress(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestPlanMappedToSource scans testdata's plan-count plan with a source
// directory declaring its team notebooks with an inline waiver: the team
// findings point at the resource block and the waiver applies to them; the
// plan resource the source does not declare keeps the plan's location.
// With the plan inside the source directory, the mapping is automatic.
func TestPlanMappedToSource(t *testing.T) {
	plan, err := os.ReadFile(filepath.Join("..", "testdata", "cases", "plan-count", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "infra")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.tf"), []byte(teamTF), 0o644); err != nil {
		t.Fatal(err)
	}
	apart := filepath.Join(dir, "plan.json")
	inside := filepath.Join(src, "plan.json")
	for _, p := range []string{apart, inside} {
		if err := os.WriteFile(p, plan, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(name string, res *finding.Result, planFile string, mapped bool) {
		t.Helper()
		team, suppressed := 0, 0
		for _, f := range res.Findings {
			if f.Surface != "terraform-plan" {
				t.Errorf("%s: unexpected %s finding %s", name, f.Surface, f.Resource.Address)
				continue
			}
			switch blockAddress(f.Resource.Address) {
			case "aws_sagemaker_notebook_instance.team":
				team++
				wantFile, wantLine := filepath.Join(src, "main.tf"), 1
				if !mapped {
					wantFile, wantLine = planFile, f.Location.StartLine
				}
				if f.Location.File != wantFile || f.Location.StartLine != wantLine {
					t.Errorf("%s: %s %s at %s:%d, want %s:%d", name, f.ControlID, f.Resource.Address, f.Location.File, f.Location.StartLine, wantFile, wantLine)
				}
				if f.Status == finding.Suppressed {
					suppressed++
				}
			case "aws_sagemaker_notebook_instance.none":
				if f.Location.File != planFile {
					t.Errorf("%s: %s is not in the source and must keep the plan's location, got %s", name, f.Resource.Address, f.Location.File)
				}
			}
		}
		if team == 0 {
			t.Fatalf("%s: no team findings", name)
		}
		if mapped && suppressed == 0 {
			t.Errorf("%s: the inline waiver in main.tf did not apply to the plan's failing team notebook", name)
		}
		if !mapped && suppressed != 0 {
			t.Errorf("%s: without source, nothing can be waived inline", name)
		}
	}
	check("--source", Scan(t.Context(), []string{apart}, Options{PlanSource: src}), apart, true)
	check("plan in the source directory", Scan(t.Context(), []string{inside}, Options{}), inside, true)
	check("no source", Scan(t.Context(), []string{apart}, Options{}), apart, false)
}
