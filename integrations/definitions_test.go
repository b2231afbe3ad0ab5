// Package integrations_test checks the CI integration definitions at the
// repository root (action.yml, .pre-commit-hooks.yaml) against the code
// they run: every input they use exists, the commands and flags exist.
package integrations_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/internal/cli"
	"github.com/sagefence/sagefence/report"
)

func readYAML(t *testing.T, name string, into any) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(raw)
}

// scanHelp is `sagefence scan --help`, to check flags exist.
func scanHelp(t *testing.T) string {
	var out, errOut bytes.Buffer
	io := &cli.IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
	if code := cli.Run(context.Background(), io, []string{"scan", "--help"}); code != 0 {
		t.Fatalf("scan --help: exit %d: %s", code, errOut.String())
	}
	return out.String()
}

func TestActionDefinition(t *testing.T) {
	var action struct {
		Inputs map[string]struct {
			Default string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	raw := readYAML(t, "action.yml", &action)
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using = %q, want composite", action.Runs.Using)
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(raw, -1) {
		if _, ok := action.Inputs[m[1]]; !ok {
			t.Errorf("action.yml uses inputs.%s, which it does not declare", m[1])
		}
	}
	if _, err := report.New(action.Inputs["format"].Default, report.Options{}); err != nil {
		t.Errorf("default format: %v", err)
	}
	var built, uploads bool
	for _, s := range action.Runs.Steps {
		if strings.Contains(s.Run, "go build") && strings.Contains(s.Run, "./cmd/sagefence") {
			built = true
		}
		if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") {
			uploads = true
		}
	}
	if _, err := os.Stat(filepath.Join("..", "cmd", "sagefence", "main.go")); err != nil || !built {
		t.Errorf("action must build ./cmd/sagefence: %v", err)
	}
	if !uploads {
		t.Error("action does not upload SARIF")
	}
	help := scanHelp(t)
	script, err := os.ReadFile(filepath.Join("action", "scan.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(raw, "integrations/action/scan.sh") || !strings.Contains(raw, "integrations/action/install.sh") {
		t.Error("action.yml must run integrations/action/install.sh and scan.sh")
	}
	for _, flag := range []string{"--format", "--output", "--output-file"} {
		if !strings.Contains(string(script), flag) || !strings.Contains(help, flag) {
			t.Errorf("flag %s: used by the action's scan and known to scan?", flag)
		}
	}
	for _, pin := range []string{"actions/setup-go@v6", "github/codeql-action/upload-sarif@v4"} {
		if !strings.Contains(raw, pin) {
			t.Errorf("action.yml does not use %s", pin)
		}
	}
}

func TestPreCommitDefinition(t *testing.T) {
	var hooks []struct {
		ID            string   `yaml:"id"`
		Entry         string   `yaml:"entry"`
		Language      string   `yaml:"language"`
		Files         string   `yaml:"files"`
		PassFilenames *bool    `yaml:"pass_filenames"`
		Args          []string `yaml:"args"`
	}
	readYAML(t, ".pre-commit-hooks.yaml", &hooks)
	if len(hooks) != 1 || hooks[0].ID != "sagefence" || hooks[0].Language != "golang" || !strings.HasPrefix(hooks[0].Entry, "sagefence scan") {
		t.Fatalf("hooks: %+v", hooks)
	}
	h := hooks[0]
	if h.PassFilenames == nil || *h.PassFilenames {
		t.Error("the hook must scan the repository, not single files (pass_filenames: false)")
	}
	files := regexp.MustCompile(h.Files)
	for _, name := range []string{"main.tf", "x.tf.json", "prod.tfvars", "template.yaml", "plan.json"} {
		if !files.MatchString(name) {
			t.Errorf("hook does not run when %s changes", name)
		}
	}
	help := scanHelp(t)
	for _, a := range append(strings.Fields(h.Entry), h.Args...) {
		if strings.HasPrefix(a, "--") && !strings.Contains(help, a) {
			t.Errorf("hook passes %s, which scan does not know", a)
		}
	}
	// A project's args replace the hook's: the output format must not
	// depend on them, or `args: [infra/]` would print JSON.
	for _, a := range h.Args {
		if strings.HasPrefix(a, "--format") {
			t.Errorf("--format belongs in the entry, not in args that users replace")
		}
	}
	if !strings.Contains(h.Entry, "--format table") {
		t.Errorf("entry %q must fix the format", h.Entry)
	}
	// The documented examples must not cite a release tag that does not
	// exist in this repository (placeholders such as vX.Y.Z are fine).
	tags := map[string]bool{}
	if out, err := exec.Command("git", "tag", "--list").Output(); err == nil {
		for _, tag := range strings.Fields(string(out)) {
			tags[tag] = true
		}
	}
	cited := regexp.MustCompile(`(?:rev: |sagefence/sagefence@|releases/download/)(v[0-9]+\.[0-9]+\.[0-9]+)\b`)
	for _, name := range []string{filepath.Join("..", "docs", "integrations.md"), filepath.Join("..", "README.md")} {
		doc, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range cited.FindAllStringSubmatch(string(doc), -1) {
			if !tags[m[1]] {
				t.Errorf("%s cites %q: tag %s does not exist", name, m[0], m[1])
			}
		}
	}
}
