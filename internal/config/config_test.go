package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
)

func TestParseFull(t *testing.T) {
	text := `# project settings
format: sarif
controls:
  sagemaker_domain_vpc_only: false
  CKV_AWS_122: true
severity:
  SageMaker.2: medium
suppressions:
  - control: CKV_AWS_122
    resource: "module.legacy.*"
    reason: vendor notebook in an isolated account, ticket SEC-123
    expires: 2027-03-31
  - control: "*"
    resource: sandbox-nb
    reason: sandbox
var_files: [env/prod.tfvars, /abs/x.tfvars]
vars:
  region: eu-west-1
  access: Disabled
parameters:
  Access: Disabled
`
	cfg, err := Parse("/repo/.sagefence.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path:     "/repo/.sagefence.yaml",
		Format:   "sarif",
		Disabled: []string{control.DomainVpcOnlyID},
		Severity: map[string]finding.Severity{control.InVPCID: finding.Medium},
		Suppressions: []engine.ConfigSuppression{
			{Control: control.DirectInternetAccessID, Resource: "module.legacy.*", Reason: "vendor notebook in an isolated account, ticket SEC-123", Expires: "2027-03-31"},
			{Control: "*", Resource: "sandbox-nb", Reason: "sandbox"},
		},
		VarFiles:   []string{"/repo/env/prod.tfvars", "/abs/x.tfvars"},
		Vars:       []string{"access=Disabled", "region=eu-west-1"},
		Parameters: map[string]string{"Access": "Disabled"},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if got := cfg.Enabled(control.All()); len(got) != len(control.All())-1 {
		t.Errorf("Enabled kept %d controls", len(got))
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"no reason", "suppressions:\n  - control: CKV_AWS_122\n    resource: nb\n", 2, "has no reason"},
		{"blank reason", "suppressions:\n  - control: CKV_AWS_122\n    resource: nb\n    reason: '  '\n", 2, "has no reason"},
		{"no resource", "suppressions:\n  - control: CKV_AWS_122\n    reason: x\n", 2, "without a resource"},
		{"bad date", "suppressions:\n  - control: CKV_AWS_122\n    resource: nb\n    reason: x\n    expires: next week\n", 5, "YYYY-MM-DD"},
		{"unknown control", "controls:\n  CKV_AWS_999: false\n", 2, `unknown control "CKV_AWS_999"`},
		{"bad severity", "severity:\n  CKV_AWS_122: critical\n", 2, "not low, medium or high"},
		{"unknown key", "format: json\nformats: sarif\n", 2, `unknown setting "formats"`},
		{"unknown suppression key", "suppressions:\n  - control: CKV_AWS_122\n    resource: nb\n    why: x\n", 4, `unknown suppression field "why"`},
		{"syntax", "format: json\n  bad: [\n", 2, ""},
		{"control not bool", "controls:\n  CKV_AWS_122: maybe\n", 2, "true (on) or false (off)"},
		{"not a mapping", "- a\n- b\n", 1, "expected a mapping"},
		{"record not bool", "format: json\nrecord: sometimes\n", 2, "expected true or false"},
		{"record a list", "record: [true]\n", 1, "expected true or false"},
		{"empty store", "store: ''\n", 1, "expected a SQLite path or a postgres:// URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("cfg/.sagefence.yaml", []byte(c.text))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want a *config.Error, got %v", err)
			}
			if ce.File != "cfg/.sagefence.yaml" || ce.Line != c.line || !strings.Contains(ce.Msg, c.msg) {
				t.Errorf("got %q (line %d), want line %d containing %q", err, ce.Line, c.line, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "cfg/.sagefence.yaml:") {
				t.Errorf("error does not start with file:line: %q", err)
			}
		})
	}
}

func TestParseRecordStore(t *testing.T) {
	cases := []struct {
		name, text string
		record     bool
		store      string
	}{
		{"unset", "format: json\n", false, ""},
		{"record only", "record: true\n", true, ""},
		{"record off", "record: false\nstore: /var/sagefence/evidence.db\n", false, "/var/sagefence/evidence.db"},
		{"relative path is anchored at the file", "record: true\nstore: .sagefence/evidence.db\n", true, "/repo/.sagefence/evidence.db"},
		{"sqlite scheme", "store: sqlite://history.db\n", false, "/repo/history.db"},
		{"postgres URL kept", "store: postgres://u@db:5432/ev?sslmode=disable\n", false, "postgres://u@db:5432/ev?sslmode=disable"},
		{"postgresql URL kept", "store: postgresql://db/ev\n", false, "postgresql://db/ev"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("/repo/.sagefence.yaml", []byte(c.text))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Record != c.record || cfg.Store != c.store {
				t.Errorf("record %v store %q, want record %v store %q", cfg.Record, cfg.Store, c.record, c.store)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "# only a comment\n", "~\n"} {
		cfg, err := Parse("x.yaml", []byte(text))
		if err != nil || cfg.Format != "" || len(cfg.Suppressions) != 0 {
			t.Errorf("%q: %+v %v", text, cfg, err)
		}
	}
}

func mkfile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	mkfile(t, filepath.Join(base, ".sagefence.yaml"), "format: json\n") // above the repo: never reached
	mkfile(t, filepath.Join(repo, ".git", "HEAD"), "ref: x\n")
	mkfile(t, filepath.Join(repo, "infra", "ml", "main.tf"), "")
	mkfile(t, filepath.Join(repo, "infra", ".sagefence.yml"), "format: csv\n")
	mkfile(t, filepath.Join(repo, "other", "main.tf"), "")
	mkfile(t, filepath.Join(base, "loose", "main.tf"), "")

	cases := []struct{ root, want string }{
		{filepath.Join(repo, "infra", "ml"), filepath.Join(repo, "infra", ".sagefence.yml")},
		{filepath.Join(repo, "infra", "ml", "main.tf"), filepath.Join(repo, "infra", ".sagefence.yml")},
		{filepath.Join(repo, "other"), ""}, // stops at the .git directory
		// outside a repository only the scan root itself: the file two
		// directories up is not applied
		{filepath.Join(base, "loose"), ""},
		{filepath.Join(base, "loose", "main.tf"), ""},
	}
	for _, c := range cases {
		got, err := Discover(c.root)
		if err != nil || got != c.want {
			t.Errorf("Discover(%s) = %q, %v; want %q", c.root, got, err, c.want)
		}
	}
	mkfile(t, filepath.Join(base, "loose", ".sagefence.yaml"), "format: json\n")
	if got, _ := Discover(filepath.Join(base, "loose")); got != filepath.Join(base, "loose", ".sagefence.yaml") {
		t.Errorf("the scan root's own file outside a repository is not found: %q", got)
	}
	mkfile(t, filepath.Join(repo, ".sagefence.yaml"), "format: markdown\n")
	if got, _ := Discover(filepath.Join(repo, "other")); got != filepath.Join(repo, ".sagefence.yaml") {
		t.Errorf("the repository root's file is not found: %q", got)
	}
}

func TestApplySeverity(t *testing.T) {
	cfg := &Config{Severity: map[string]finding.Severity{"c1": finding.Low}}
	res := &finding.Result{Findings: []finding.Finding{{ControlID: "c1", Severity: finding.High}, {ControlID: "c2", Severity: finding.High}}}
	cfg.ApplySeverity(res)
	if res.Findings[0].Severity != finding.Low || res.Findings[1].Severity != finding.High {
		t.Errorf("severities %v %v", res.Findings[0].Severity, res.Findings[1].Severity)
	}
}

// FuzzParse: any text either parses or fails with a *Error naming the file;
// it never panics.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "format: sarif\n", "controls:\n  CKV_AWS_122: false\n", "severity:\n  SageMaker.2: low\n",
		"suppressions:\n  - control: '*'\n    resource: 'a*'\n    reason: r\n    expires: 2027-01-01\n",
		"vars: {a: b}\nparameters: {A: B}\nvar_files: [x.tfvars]\n", "- [\n", "suppressions: [1, 2]\n", "a: &x [*x]\n",
		// hostile: nesting past the YAML parser's limit, and a file of the hostile suite
		"controls: " + strings.Repeat("[", 10001) + "\n", strings.Repeat("- ", 5000) + "x\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := Parse("f.yaml", []byte(text))
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "f.yaml" {
				t.Fatalf("error without file position: %v", err)
			}
			return
		}
		for _, s := range cfg.Suppressions {
			if s.Reason == "" || s.Control == "" || s.Resource == "" {
				t.Fatalf("accepted an incomplete suppression: %+v", s)
			}
		}
	})
}
