package cloudformation

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/surface"
)

// deliberatelyBroken are case files that must not parse.
var deliberatelyBroken = map[string]bool{
	"cfn-broken-yaml/broken.yaml": true,
	"cfn-broken-yaml/broken.json": true,
}

// caseTemplates lists every CloudFormation template of the cfn-* and cdk-*
// cases (relative to testdata/cases), as the surface itself detects them.
func caseTemplates(t testing.TB) []string {
	t.Helper()
	root := "../../testdata/cases"
	var out []string
	l, _ := NewLoader(context.Background(), surface.Options{})
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && !strings.HasPrefix(rel, "cfn-") && !strings.HasPrefix(rel, "cdk-") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "expected.json" || deliberatelyBroken[rel] {
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json", ".template":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if r := l.Load(context.Background(), rel, data, Stack{}); len(r.Sets) > 0 {
			out = append(out, rel)
		} else if len(r.Errors) > 0 {
			t.Errorf("%s does not parse but is not listed as deliberately broken: %v", rel, r.Errors)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaseTemplatesPassCfnLint proves the case corpus is made of real
// templates: cfn-lint reports no error (E) on any of them.
//
// Warnings are not failures, on purpose: the corpus contains W1020 (a Fn::Sub
// with only an escaped ${!Literal}, which the cfn-sub-select-join case tests)
// and W3002 (a nested stack's local TemplateURL, which needs `aws
// cloudformation package` — the cfn-nested-stack case). Any error fails.
func TestCaseTemplatesPassCfnLint(t *testing.T) {
	lint := testutil.RequireTool(t, "cfn-lint")
	files := caseTemplates(t)
	if len(files) < 20 {
		t.Fatalf("found only %d case templates", len(files))
	}
	// The shipped examples must be real templates too (paths relative to the cases).
	examples, err := filepath.Glob("../../examples/cloudformation/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cdkExamples, _ := filepath.Glob("../../examples/cdk/cdk.out/*.template.json")
	for _, e := range append(examples, cdkExamples...) {
		files = append(files, e) // ../../examples/... from both the package and testdata/cases
	}
	cmd := exec.CommandContext(t.Context(), lint, append([]string{"--format", "parseable", "--"}, files...)...)
	cmd.Dir = "../../testdata/cases"
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running cfn-lint: %v", err)
	}
	// cfn-lint's exit code is a bit set: 2 errors, 4 warnings, 8 informational.
	code := 0
	if exit != nil {
		code = exit.ExitCode()
	}
	var lintErrors []string
	for _, line := range strings.Split(outBuf.String(), "\n") {
		// parseable: file:line:col:endline:endcol:RULE:message
		parts := strings.SplitN(line, ":", 7)
		if len(parts) == 7 && strings.HasPrefix(parts[5], "E") {
			lintErrors = append(lintErrors, line)
		}
	}
	if code&2 != 0 || code == 1 || len(lintErrors) > 0 {
		t.Errorf("cfn-lint exit %d, errors:\n%s\n%s", code, strings.Join(lintErrors, "\n"), errBuf.String())
	}
	t.Logf("cfn-lint checked %d templates (exit %d)", len(files), code)
}
