package cdk

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

func TestLoadTwoStacks(t *testing.T) {
	r := Load(context.Background(), "../../testdata/cases/cdk-two-stacks/cdk.out", surface.Options{Region: "ap-south-1"})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if len(r.Sets) != 2 {
		t.Fatalf("want 2 sets (one per stack), got %d", len(r.Sets))
	}
	type nb struct{ stack, path, region, account, file string }
	got := map[string]nb{}
	for _, s := range r.Sets {
		if s.Surface != model.SurfaceCDK {
			t.Errorf("set surface %q", s.Surface)
		}
		for _, n := range s.Notebooks {
			got[n.Address] = nb{n.Stack, n.Path, n.Region, n.Account, filepath.Base(n.Range.File)}
			if n.Surface != model.SurfaceCDK {
				t.Errorf("%s surface %q", n.Address, n.Surface)
			}
		}
	}
	want := map[string]nb{
		// env-agnostic stack: --region applies
		"ResearchNotebook7E4F1C2A": {"ResearchNotebookStack", "ResearchNotebookStack/Research/Notebook", "ap-south-1", "", "ResearchNotebookStack.template.json"},
		"ScratchNotebook0B7D4E91":  {"ResearchNotebookStack", "ResearchNotebookStack/Scratch/Notebook", "ap-south-1", "", "ResearchNotebookStack.template.json"},
		// the stack environment wins over --region; stackName over the artifact ID
		"AnalystNotebook9C8D7E6F": {"research-studio", "StudioStack/Analyst/Notebook", "eu-west-1", "123456789012", "StudioStack.template.json"},
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %+v, want %+v", id, got[id], w)
		}
	}
}

func TestLoadStageAndNestedStack(t *testing.T) {
	r := Load(context.Background(), "../../testdata/cases/cdk-stage-nested/cdk.out", surface.Options{})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	var stacks []string
	for _, s := range r.Sets {
		for _, n := range s.Notebooks {
			stacks = append(stacks, n.Stack+" "+n.Name)
		}
		for _, d := range s.Domains {
			stacks = append(stacks, d.Stack+" "+d.Name)
		}
	}
	sort.Strings(stacks)
	want := []string{
		"Prod-MlPlatform prod-platform",
		"Prod-MlPlatform/NotebooksNestedStackNotebooksNestedStackResource8A1C2E3F us-east-1-team",
	}
	if strings.Join(stacks, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", stacks, want)
	}
}

func TestBrokenAssemblies(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("bad/manifest.json", "{\n  \"version\": \"38.0.1\",\n  \"artifacts\": {\n}}}\n")
	write("missing/manifest.json", `{"version":"38.0.1","artifacts":{
		"Gone":{"type":"aws:cloudformation:stack","properties":{"templateFile":"Gone.template.json"}},
		"Ok":{"type":"aws:cloudformation:stack","properties":{"templateFile":"Ok.template.json"}}}}`)
	write("missing/Ok.template.json", `{"Resources":{"N":{"Type":"AWS::SageMaker::NotebookInstance","Properties":{"InstanceType":"ml.t3.medium","RoleArn":"r"}}}}`)

	r := Load(context.Background(), filepath.Join(dir, "bad"), surface.Options{})
	if len(r.Errors) != 1 || r.Errors[0].Line != 4 || !strings.Contains(r.Errors[0].Message, "invalid cloud assembly manifest") {
		t.Errorf("broken manifest: %+v", r.Errors)
	}
	r = Load(context.Background(), filepath.Join(dir, "missing"), surface.Options{})
	if len(r.Errors) != 1 || !strings.HasSuffix(r.Errors[0].File, "Gone.template.json") || len(r.Sets) != 1 {
		t.Errorf("missing template: sets %d errors %+v", len(r.Sets), r.Errors)
	}
}

func TestEnvironment(t *testing.T) {
	tests := []struct{ env, account, region string }{
		{"aws://123456789012/eu-west-1", "123456789012", "eu-west-1"},
		{"aws://unknown-account/unknown-region", "", ""},
		{"aws://123456789012/unknown-region", "123456789012", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		a, r := environment(tc.env)
		if a != tc.account || r != tc.region {
			t.Errorf("%q = %q %q", tc.env, a, r)
		}
	}
}
