package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/report"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// project makes a directory that is a repository root (so discovery stops
// there) with a configuration file.
func project(t *testing.T, cfg string) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, ".git", "HEAD"), "ref: refs/heads/main\n")
	if cfg != "" {
		write(t, filepath.Join(dir, ".sagefence.yaml"), cfg)
	}
	write(t, filepath.Join(dir, "infra", "main.tf"), "# nothing to scan\n")
	return dir
}

func TestScanConfigErrors(t *testing.T) {
	cases := []struct {
		name, cfg string
		args      []string
		want      string
	}{
		{"suppression without a reason", "suppressions:\n  - control: CKV_AWS_122\n    resource: nb\n", nil, ".sagefence.yaml:2: suppression of sagemaker_notebook_instance_direct_internet_access_disabled on \"nb\" has no reason"},
		{"unknown setting", "fromat: json\n", nil, ".sagefence.yaml:1: unknown setting \"fromat\""},
		{"explicit config missing", "", []string{"--config", "nope.yaml"}, "nope.yaml"},
		{"bad severity flag", "", []string{"--severity", "urgent"}, "--severity: severity \"urgent\""},
		{"bad baseline", "", []string{"--baseline", "missing.json"}, "reading baseline"},
		{"every control off", everyControlOff(), nil, "switches every control off"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := project(t, c.cfg)
			args := append([]string{"scan", "infra", "--format", "json"}, c.args...)
			code, _, stderr := run(t, dir, args...)
			if code != ExitError || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, c.want)
			}
		})
	}
}

func TestScanConfigDiscoveredFormat(t *testing.T) {
	dir := project(t, "format: csv\n")
	code, out, stderr := run(t, dir, "scan", "infra")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 1 || rows[0][0] != "control_id" {
		t.Errorf("want the CSV header from the configured format, got %q (%v)", out, err)
	}
	// --format wins over the file; --no-config ignores it.
	for _, args := range [][]string{{"scan", "infra", "--format", "json"}, {"scan", "infra", "--no-config"}} {
		_, out, _ = run(t, dir, args...)
		var r finding.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Errorf("%v: want JSON, got %q", args, out)
		}
	}
}

func TestScanEveryFormat(t *testing.T) {
	dir := project(t, "")
	for _, name := range report.Names() {
		code, out, stderr := run(t, dir, "scan", "infra", "--format", name)
		if code != ExitOK || out == "" {
			t.Errorf("--format %s: exit %d, %d bytes, stderr %q", name, code, len(out), stderr)
		}
	}
}

func TestScanBaselineRecorded(t *testing.T) {
	dir := project(t, "")
	base := filepath.Join(dir, "baseline.json")
	code, out, _ := run(t, dir, "scan", "infra", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	write(t, base, out)
	code, out, stderr := run(t, dir, "scan", "infra", "--format", "json", "--baseline", base, "--severity", "high")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r finding.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Baseline == nil || r.Baseline.File != base {
		t.Errorf("baseline not recorded in the result: %+v %v", r.Baseline, err)
	}
}

// everyControlOff is a config that switches off every control of the catalog.
func everyControlOff() string {
	var b strings.Builder
	b.WriteString("controls:\n")
	for _, c := range control.All() {
		b.WriteString("  " + c.ID + ": false\n")
	}
	return b.String()
}
