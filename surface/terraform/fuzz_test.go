package terraform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/surface"
)

// FuzzLoad feeds arbitrary configuration text (native syntax, and the same
// bytes as JSON) through parsing and evaluation: it must never panic.
// Seeds are every .tf and .tf.json file of testdata/cases.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/cases/*/*.tf")
	jsonSeeds, _ := filepath.Glob("../../testdata/cases/*/*.tf.json")
	// The hostile inputs (README "Security model"): reads outside the root,
	// broken variable and override files, evaluation bombs, secrets.
	hostile, _ := filepath.Glob("../../testdata/hostile/*/*.tf")
	hostileVars, _ := filepath.Glob("../../testdata/hostile/*/*.tfvars")
	seeds = append(append(seeds, hostile...), hostileVars...)
	for _, p := range append(seeds, jsonSeeds...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`resource "aws_sagemaker_notebook_instance" "x" { for_each = { for i in range(3) : i => i } name = each.key }`))
	// Nesting past the depth limit, in expressions, templates and jsondecode.
	f.Add([]byte("locals {\n x = " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n}\n"))
	f.Add([]byte("locals {\n x = " + strings.Repeat(`"${`, 300) + "1" + strings.Repeat(`}"`, 300) + "\n}\n"))
	f.Add([]byte(`locals { x = jsondecode("` + strings.Repeat("[", 300) + `") }`))
	f.Add([]byte(`resource "aws_sagemaker_notebook_instance" "x" { direct_internet_access = format("%99999999d", length([for a in range(100) : [for b in range(100) : [for c in range(200) : c]]])) }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "other.tf.json"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		res := Load(context.Background(), Input{Dirs: []string{dir}, Args: []string{dir}}, surface.Options{VarInputs: []surface.VarInput{surface.Var("x=" + string(src))}})
		for _, e := range res.Errors {
			if e.Message == "" {
				t.Errorf("error without a message: %+v", e)
			}
		}
	})
}
