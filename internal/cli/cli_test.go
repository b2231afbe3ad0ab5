package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

func TestExplainAcceptsAliases(t *testing.T) {
	for _, id := range []string{
		"sagemaker_notebook_instance_direct_internet_access_disabled", "CKV_AWS_122", "SageMaker.1",
		"SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", "sagemaker-notebook-no-direct-internet-access",
	} {
		code, out, _ := run(t, "", "explain", id)
		if code != ExitOK || !strings.Contains(out, "direct internet access") || !strings.Contains(out, "replacement") {
			t.Errorf("explain %s: exit %d\n%s", id, code, out)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"explain", "CKV_AWS_999"},
		{"explain"},
		{"scan", "--bogus"},
		{"scan", "--control", "nope", "."},
		{"scan", "--var", "novalue", "."},
		{"scan", "--format", "yaml", "."},
		{"no-such-command"},
	} {
		code, _, stderr := run(t, "", args...)
		if code != ExitError || !strings.Contains(stderr, "sagefence:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
		}
	}
}

func TestScanUnreadablePathIsAnError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	code, out, stderr := run(t, "", "scan", "--format", "json", missing)
	if code != ExitError {
		t.Fatalf("exit %d, want 2", code)
	}
	var res finding.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if len(res.Errors) != 1 || res.Errors[0].File != missing || res.Findings == nil {
		t.Errorf("errors %+v findings %v", res.Errors, res.Findings)
	}
	if !strings.Contains(stderr, missing) {
		t.Errorf("stderr does not name the path: %q", stderr)
	}
}

func TestScanEmptyDirectoryExits0(t *testing.T) {
	code, out, _ := run(t, "", "scan", "--format", "json", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	if !strings.Contains(out, `"findings": []`) || !strings.Contains(out, `"errors": []`) {
		t.Errorf("findings/errors must be [] not null:\n%s", out)
	}
}

func TestOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, _ := run(t, "", "scan", "--format", "json", "--output", path, t.TempDir())
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	data, err := os.ReadFile(path)
	if err != nil || !json.Valid(data) {
		t.Fatalf("report file: %v\n%s", err, data)
	}
}

func TestControlsListsEveryControl(t *testing.T) {
	code, out, _ := run(t, "", "controls", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var list []struct {
		ID          string `json:"id"`
		Remediation struct {
			BySurface map[string]string `json:"by_surface"`
		} `json:"remediation"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	all := control.All()
	if len(list) != len(all) {
		t.Fatalf("controls --json lists %d controls, the catalog has %d", len(list), len(all))
	}
	for i, c := range all {
		if list[i].ID != c.ID {
			t.Errorf("controls --json entry %d is %s, the catalog's is %s", i, list[i].ID, c.ID)
			continue
		}
		for _, s := range model.Surfaces() {
			if list[i].Remediation.BySurface[s] != c.Remediation.For(s) || c.Remediation.For(s) == "" {
				t.Errorf("%s: remediation for %s is %q", c.ID, s, list[i].Remediation.BySurface[s])
			}
		}
	}
}
