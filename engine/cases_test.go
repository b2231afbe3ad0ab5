package engine_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/casespec"
	"github.com/sagefence/sagefence/surface"
)

// The format of expected.json is internal/casespec's.

func key(controlID, address, status string) string {
	return controlID + " " + address + " " + status
}

// rootKey is key plus the root, for cases that name roots.
func rootKey(k, root string, byRoot bool) string {
	if !byRoot {
		return k
	}
	return k + " root=" + root
}

// TestCases runs every case of testdata/cases through the whole engine.
func TestCases(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/cases/*/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no cases found under testdata/cases")
	}
	for _, exp := range dirs {
		dir := filepath.Dir(exp)
		t.Run(filepath.Base(dir), func(t *testing.T) { runCase(t, dir) })
	}
}

func runCase(t *testing.T, dir string) {
	spec, err := casespec.Read(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for k, v := range spec.Args.Env {
		t.Setenv(k, v)
	}
	controls, err := control.Select(spec.Controls)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if spec.Args.Now != "" {
		if now, err = time.Parse("2006-01-02", spec.Args.Now); err != nil {
			t.Fatal(err)
		}
	}
	paths := spec.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	res := engine.Scan(context.Background(), paths, engine.Options{
		Options: surface.Options{
			VarInputs:  surface.VarFilesThenVars(spec.Args.VarFiles, spec.Args.Vars),
			Parameters: spec.Args.Parameters, ParameterFiles: spec.Args.ParameterFiles,
			Region: spec.Args.Region, Account: spec.Args.Account,
			Getenv: os.Getenv,
		},
		Controls: controls,
		Now:      now,
	})

	byRoot := false
	for _, e := range spec.Findings {
		byRoot = byRoot || e.Root != ""
	}
	actual := map[string]finding.Finding{}
	for _, f := range res.Findings {
		if f.Surface == "terraform" && f.Resource.Root == "" {
			t.Errorf("%s %s: a Terraform finding without resource.root", f.ControlID, f.Resource.Address)
		}
		k := rootKey(key(f.ControlID, f.Resource.Address, string(f.Status)), f.Resource.Root, byRoot)
		if _, dup := actual[k]; dup {
			t.Errorf("duplicate finding %s", k)
		}
		actual[k] = f
	}
	expected := map[string]bool{}
	for _, e := range spec.Findings {
		if _, ok := control.Lookup(e.ControlID); !ok {
			t.Errorf("expected.json names unknown control %q", e.ControlID)
		}
		k := rootKey(key(e.ControlID, e.Address, e.Status), e.Root, byRoot)
		expected[k] = true
		f, ok := actual[k]
		if !ok {
			t.Errorf("missing finding: %s\n%s", k, describe(res.Findings, e.ControlID))
			continue
		}
		checkFields(t, e, f)
	}
	var extra []string
	for k, f := range actual {
		if !expected[k] {
			extra = append(extra, fmt.Sprintf("%s (%s)", k, f.Message))
		}
	}
	sort.Strings(extra)
	for _, x := range extra {
		t.Errorf("unexpected finding: %s", x)
	}

	checkGaps(t, spec.Gaps, res.Gaps)

	if len(res.Errors) != len(spec.Errors) {
		t.Errorf("errors: got %d %v, want %d", len(res.Errors), res.Errors, len(spec.Errors))
	}
	for i := 0; i < len(spec.Errors) && i < len(res.Errors); i++ {
		e, g := spec.Errors[i], res.Errors[i]
		if filepath.ToSlash(g.File) != e.File || (e.Line != 0 && g.Line != e.Line) ||
			!strings.Contains(g.Message, e.MessageContains) {
			t.Errorf("error %d: got %s:%d %q, want %s:%d containing %q", i, g.File, g.Line, g.Message, e.File, e.Line, e.MessageContains)
		}
	}
}

func checkFields(t *testing.T, e casespec.Finding, f finding.Finding) {
	t.Helper()
	k := key(e.ControlID, e.Address, e.Status)
	if e.Surface != "" && f.Surface != e.Surface {
		t.Errorf("%s: surface %q, want %q", k, f.Surface, e.Surface)
	}
	if e.Resolution != "" && string(f.Resolution) != e.Resolution {
		t.Errorf("%s: resolution %q, want %q (%s)", k, f.Resolution, e.Resolution, f.Message)
	}
	if e.File != "" && filepath.ToSlash(f.Location.File) != e.File {
		t.Errorf("%s: file %q, want %q", k, f.Location.File, e.File)
	}
	if e.StartLine != 0 && f.Location.StartLine != e.StartLine {
		t.Errorf("%s: start_line %d, want %d", k, f.Location.StartLine, e.StartLine)
	}
	if e.Observed != nil {
		got := "<null>"
		if f.Observed != nil {
			got = *f.Observed
		}
		if got != *e.Observed {
			t.Errorf("%s: observed %q, want %q", k, got, *e.Observed)
		}
	}
	if e.Path != "" && f.Resource.Path != e.Path {
		t.Errorf("%s: path %q, want %q", k, f.Resource.Path, e.Path)
	}
	if e.MessageContains != "" && !strings.Contains(f.Message, e.MessageContains) {
		t.Errorf("%s: message %q does not contain %q", k, f.Message, e.MessageContains)
	}
	if e.SuppressionFrom != "" && (f.Suppression == nil || f.Suppression.Source != e.SuppressionFrom) {
		t.Errorf("%s: suppression %+v, want source %q", k, f.Suppression, e.SuppressionFrom)
	}
}

// checkGaps compares the gaps exactly by kind and address (and root), then
// the optional fields.
func checkGaps(t *testing.T, want []casespec.Gap, got []finding.Gap) {
	t.Helper()
	used := make([]bool, len(got))
	for _, e := range want {
		found := false
		for i, g := range got {
			if used[i] || string(g.Kind) != e.Kind || g.Address != e.Address || (e.Root != "" && g.Root != e.Root) {
				continue
			}
			used[i], found = true, true
			k := e.Kind + " " + e.Address
			if e.File != "" && filepath.ToSlash(g.File) != e.File {
				t.Errorf("gap %s: file %q, want %q", k, g.File, e.File)
			}
			if e.Line != 0 && g.Line != e.Line {
				t.Errorf("gap %s: line %d, want %d", k, g.Line, e.Line)
			}
			if e.Source != "" && g.Source != e.Source {
				t.Errorf("gap %s: source %q, want %q", k, g.Source, e.Source)
			}
			if e.Hides != nil && strings.Join(g.Hides, ",") != strings.Join(e.Hides, ",") {
				t.Errorf("gap %s: hides %v, want %v", k, g.Hides, e.Hides)
			}
			if e.Controls != nil && strings.Join(g.Controls, ",") != strings.Join(e.Controls, ",") {
				t.Errorf("gap %s: controls %v, want %v", k, g.Controls, e.Controls)
			}
			if !strings.Contains(g.Reason, e.ReasonContains) {
				t.Errorf("gap %s: reason %q does not contain %q", k, g.Reason, e.ReasonContains)
			}
			break
		}
		if !found {
			t.Errorf("missing gap: %s %s (root %q); got %+v", e.Kind, e.Address, e.Root, got)
		}
	}
	for i, g := range got {
		if !used[i] {
			t.Errorf("unexpected gap: %s %s (root %q): %s", g.Kind, g.Address, g.Root, g.Reason)
		}
	}
}

// describe lists the actual findings of a control/address, for failure messages.
func describe(fs []finding.Finding, controlID string) string {
	var b strings.Builder
	b.WriteString("  actual findings for this control:\n")
	for _, f := range fs {
		if f.ControlID == controlID {
			fmt.Fprintf(&b, "    %s %s: %s\n", f.Resource.Address, f.Status, f.Message)
		}
	}
	return b.String()
}
