package engine

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathFilter(t *testing.T) {
	for _, tc := range []struct {
		patterns, args []string
		path           string
		want           bool
	}{
		{[]string{"examples"}, []string{"."}, "examples/tf/main.tf", true},
		{[]string{"examples"}, []string{"."}, "infra/examples/main.tf", true},
		{[]string{"examples"}, []string{"."}, "infra/example/main.tf", false},
		{[]string{"*.json"}, []string{"repo"}, "repo/plans/plan.json", true},
		{[]string{"legacy/**"}, []string{"repo"}, "repo/legacy/a/main.tf", true},
		{[]string{"legacy"}, []string{"repo"}, "repo/new/legacy.tf", false},
		{[]string{"infra/legacy"}, []string{"."}, "infra/legacy/main.tf", true},
		{[]string{"./infra/legacy/"}, []string{"."}, "./infra/legacy/main.tf", true},
		{[]string{"infra/legacy"}, []string{"."}, "infra/legacy2/main.tf", false},
		{[]string{"**/test/*.tf"}, []string{"/abs/repo"}, "/abs/repo/a/b/test/x.tf", true},
		{[]string{"**/test/*.tf"}, []string{"/abs/repo"}, "/abs/repo/a/b/test/sub/x.tf", false},
		{[]string{"a/*/c"}, []string{"."}, "a/b/c/main.tf", true},
		{[]string{"a/*/c"}, []string{"."}, "a/b/x/c/main.tf", false},
	} {
		f, err := NewPathFilter(tc.patterns, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(tc.path); got != tc.want {
			t.Errorf("patterns %v args %v: Match(%q) = %v, want %v", tc.patterns, tc.args, tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"", "./", "[a"} {
		if _, err := NewPathFilter([]string{bad}, nil); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
	var none *PathFilter
	if none.Match("anything") {
		t.Error("nil filter matched")
	}
}

// TestScanSkipPath scans a tree where one directory fails: skipping it
// leaves only the other's findings, counts it as skipped, and a skipped
// directory is not a Terraform root.
func TestScanSkipPath(t *testing.T) {
	dir := t.TempDir()
	nb := func(name string) string {
		return `resource "aws_sagemaker_notebook_instance" "` + name + `" {
  name = "` + name + `"
  instance_type = "ml.t3.medium"
  role_arn = "arn:aws:iam::111122223333:role/x"
}
`
	}
	for sub, body := range map[string]string{"keep": nb("keep"), "legacy": nb("legacy")} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sub, "main.tf"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	skip, err := NewPathFilter([]string{"legacy"}, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var in Inputs
	res := Scan(t.Context(), []string{dir}, Options{Skip: skip, Discovered: func(i Inputs) { in = i }})
	if in.Skipped != 1 || len(in.TerraformDirs) != 1 {
		t.Errorf("discovered %s, skipped %d", in, in.Skipped)
	}
	if len(res.Findings) == 0 {
		t.Fatal("no findings for keep/")
	}
	for _, f := range res.Findings {
		if filepath.Base(filepath.Dir(f.Location.File)) != "keep" {
			t.Errorf("finding in a skipped path: %s %s", f.Location.File, f.Resource.Address)
		}
	}
}
