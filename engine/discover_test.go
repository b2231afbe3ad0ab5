package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestDiscoverWalk checks what discovery finds in a tree holding every
// kind of entry it treats apart: directories it never enters, a CDK
// assembly (found by its listing, not descended into), a directory with a
// manifest.json that is no assembly, links, a FIFO, an unlistable
// directory and a skipped one; in lexical order, with an error per entry
// it cannot read.
func TestDiscoverWalk(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	template := "Resources:\n  Nb:\n    Type: AWS::SageMaker::NotebookInstance\n"
	write("main.tf", "")
	write("README.md", "")
	write("terraform.tfvars", "")
	write("UPPER/MAIN.TF", "")
	write("a/b.tf", "")
	write("a/z/t.yaml", template)
	write(".git/x.tf", "")
	write("node_modules/m/y.tf", "")
	write("cdk.out/manifest.json", "{}")
	write("cdk.out/tree.json", "{}")
	write("cdk.out/Stack.template.json", `{"Resources": {"Nb": {"Type": "AWS::SageMaker::NotebookInstance"}}}`)
	write("notcdk/manifest.json", "{}")
	write("notcdk/t.yaml", template)
	write("plans/plan.json", `{"format_version": "1.2", "terraform_version": "1.11.0"}`)
	write("skipme/s.tf", "")
	for link, target := range map[string]string{"link-dir": "a", "dangling.tf": "missing", "dangling.json": "missing"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(root, "locked")
	write("locked/l.tf", "")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	_, lockedErr := os.ReadDir(locked) // root reads it anyway

	skip, err := NewPathFilter([]string{"skipme"}, []string{root})
	if err != nil {
		t.Fatal(err)
	}
	at := func(rels ...string) []string {
		var out []string
		for _, r := range rels {
			out = append(out, filepath.Join(root, r))
		}
		return out
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}
	for _, tc := range []struct {
		name    string
		arg     string
		skip    *PathFilter
		wantTF  []string
		skipped int
	}{
		{"skipping", root, skip, at(".", "UPPER", "a"), 1},
		{"skipping nothing, argument with a trailing slash", root + "/", nil, at(".", "UPPER", "a", "skipme"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := DiscoverSkipping(context.Background(), []string{tc.arg}, nil, tc.skip)
			wantTF := tc.wantTF
			if lockedErr == nil {
				wantTF = append(slices.Clone(wantTF), locked)
				slices.Sort(wantTF)
			}
			check("Terraform directories", in.TerraformDirs, wantTF)
			check("Terraform arguments", in.TerraformArgs, at("."))
			check("plans", in.PlanFiles, at("plans/plan.json"))
			check("templates", in.TemplateFiles, at("a/z/t.yaml", "notcdk/t.yaml"))
			check("CDK assemblies", in.CDKAssemblies, at("cdk.out"))
			if in.Skipped != tc.skipped {
				t.Errorf("skipped %d paths, want %d", in.Skipped, tc.skipped)
			}
			var errFiles []string
			for _, e := range in.Errors {
				errFiles = append(errFiles, e.File)
				if e.Message == "" || strings.Contains(e.Message, root) {
					t.Errorf("error %+v: want a message that does not repeat the path", e)
				}
			}
			wantErrs := at("dangling.json", "fifo.yaml")
			if lockedErr != nil {
				wantErrs = append(wantErrs, locked)
			}
			check("errors", errFiles, wantErrs)
		})
	}

	// A cancelled discovery finds nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if in := DiscoverSkipping(ctx, []string{root}, nil, nil); len(in.TerraformDirs) != 0 {
		t.Errorf("a cancelled discovery found %q", in.TerraformDirs)
	}
}

// A scanned argument that is a symbolic link to a directory is walked like
// the directory, under the name given (it found nothing, and said nothing,
// before); links below it are still not followed.
func TestDiscoverFollowsALinkedArgument(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	for rel, content := range map[string]string{
		"main.tf":    "",
		"sub/b.tf":   "",
		"cfn/t.yaml": "Resources:\n  Nb:\n    Type: AWS::SageMaker::NotebookInstance\n",
	} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(other, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "x", "x.tf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "x"), filepath.Join(dir, "inner-link")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	in := DiscoverSkipping(context.Background(), []string{link}, nil, nil)
	if want := []string{link, filepath.Join(link, "sub")}; !slices.Equal(in.TerraformDirs, want) {
		t.Errorf("Terraform directories %q, want %q", in.TerraformDirs, want)
	}
	if want := []string{link}; !slices.Equal(in.TerraformArgs, want) {
		t.Errorf("Terraform arguments %q, want %q", in.TerraformArgs, want)
	}
	if want := []string{filepath.Join(link, "cfn", "t.yaml")}; !slices.Equal(in.TemplateFiles, want) {
		t.Errorf("templates %q, want %q", in.TemplateFiles, want)
	}
	if len(in.Errors) != 0 {
		t.Errorf("errors %+v", in.Errors)
	}
}
