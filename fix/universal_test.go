package fix

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/casespec"
	"github.com/sagefence/sagefence/surface"
)

// Values the re-scan gives to the inputs fix added without a value.
var neededValues = map[string]string{
	"var." + subnetVariable:        "subnet-0f1x0000000000001",
	"var." + securityGroupVariable: `["sg-0f1x0000000000001"]`,
	subnetParameter:                "subnet-0f1x0000000000001",
	securityGroupParameter:         "sg-0f1x0000000000001",
}

// TestFixUniversal runs fix on every case of testdata/cases and
// testdata/fix, with the case's own inputs (--var, --var-file, TF_VAR_,
// --parameter, ...). For every case where fix changes something, after
// Write a fresh scan — with values for the inputs fix added and said need
// one — must pass every control fix claimed to fix, on the resource it
// claimed it for; and a second fix must change nothing.
func TestFixUniversal(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{"../testdata/cases/*/expected.json", "../testdata/fix/*/expected.json"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			abs, err := filepath.Abs(filepath.Dir(f))
			if err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, abs)
		}
	}
	fixedCases := 0
	for _, src := range dirs {
		name := filepath.Base(filepath.Dir(src)) + "/" + filepath.Base(src)
		t.Run(name, func(t *testing.T) {
			// testdata/cases specs give the scan's inputs; testdata/fix
			// cases scan with none.
			var spec casespec.Spec
			if filepath.Base(filepath.Dir(src)) == "cases" {
				var err error
				if spec, err = casespec.Read(filepath.Join(src, "expected.json")); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			copyCase(t, src, dir)
			t.Chdir(dir)
			paths := spec.Paths
			if len(paths) == 0 {
				paths = []string{"."}
			}
			opts := engine.Options{Options: surface.Options{
				VarInputs:  surface.VarFilesThenVars(spec.Args.VarFiles, spec.Args.Vars),
				Parameters: spec.Args.Parameters, ParameterFiles: spec.Args.ParameterFiles,
				Region: spec.Args.Region, Account: spec.Args.Account,
				Getenv: func(k string) string { return spec.Args.Env[k] },
			}}
			plan := func(opts engine.Options) (*finding.Result, *Result) {
				scan, sets := engine.ScanSets(context.Background(), paths, opts)
				return scan, Plan(context.Background(), Input{Findings: scan.Findings, Sets: sets, Errors: scan.Errors})
			}
			_, res := plan(opts)
			if len(res.Changes) == 0 {
				if len(res.Files) != 0 {
					t.Errorf("fix edits %d file(s) without reporting a change", len(res.Files))
				}
				return
			}
			fixedCases++
			if err := res.Write(context.Background()); err != nil {
				t.Fatal(err)
			}
			claims := map[string]bool{}
			needs := map[string]bool{}
			for _, c := range res.Changes {
				claims[c.Control+" "+c.Resource] = true
				if c.NeedsValue != "" {
					needs[c.NeedsValue] = true
				}
			}
			for _, n := range sortedKeys(needs) {
				v, ok := neededValues[n]
				if !ok {
					t.Fatalf("fix says %s needs a value; the test has none to give it", n)
				}
				if name, isVar := strings.CutPrefix(n, "var."); isVar {
					opts.VarInputs = append(opts.VarInputs, surface.Var(name+"="+v))
					continue
				}
				params := map[string]string{}
				for k, pv := range opts.Parameters {
					params[k] = pv
				}
				params[n] = v
				opts.Parameters = params
			}
			rescan, again := plan(opts)
			seen := map[string]finding.Status{}
			for _, f := range rescan.Findings {
				k := f.ControlID + " " + f.Resource.Address
				if claims[k] {
					seen[k] = f.Status
					if f.Status != finding.Pass {
						t.Errorf("fix claimed to fix %s, but after --write it is %s: %s", k, f.Status, f.Message)
					}
				}
			}
			for _, k := range sortedKeys(claims) {
				if _, ok := seen[k]; !ok {
					t.Errorf("fix claimed to fix %s, but the re-scan has no such finding", k)
				}
			}
			if len(again.Files) != 0 || len(again.Changes) != 0 {
				var files []string
				for _, f := range again.Files {
					files = append(files, f.Path)
				}
				sort.Strings(files)
				t.Errorf("a second fix is not a no-op: files %v, changes %s", files, dump(again))
			}
		})
	}
	// The cases above include the reproduced provenance bugs (a variable
	// default beside terraform.tfvars.json, *.auto.tfvars.json, override
	// files, module arguments, parameter defaults, mappings); a test that
	// fixed next to nothing would prove nothing.
	t.Logf("fix changed %d of %d cases; every claim held after --write and a second fix was a no-op", fixedCases, len(dirs))
	if min := 25; fixedCases < min {
		t.Errorf("fix changed only %d cases, want at least %d: is the scan wired in?", fixedCases, min)
	}
}
