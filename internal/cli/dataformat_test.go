package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormatOnEveryDataCommand: controls, fix, guardrail and evidence
// list|show|diff|verify take --format json (and -f), the old --json switch
// still works, and off a terminal the listings default to JSON.
func TestFormatOnEveryDataCommand(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", "")})
	store := filepath.Join(t.TempDir(), "evidence.db")
	env := cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}
	for range 2 {
		if code, _, stderr := runWith(t, env, "scan", "--no-config", "--format", "json", "--record", dir); code != ExitFail {
			t.Fatalf("recording a run: exit %d %s", code, stderr)
		}
	}
	isJSON := func(args ...string) {
		t.Helper()
		code, out, stderr := runWith(t, env, args...)
		if code != ExitOK && code != ExitFail {
			t.Errorf("%v: exit %d %s", args, code, stderr)
			return
		}
		if !json.Valid([]byte(out)) {
			t.Errorf("%v: not JSON:\n%s", args, out)
		}
	}
	for _, args := range [][]string{
		{"controls", "--format", "json"}, {"controls", "-f", "json"}, {"controls", "--json"}, {"controls"},
		{"fix", "--format", "json", dir}, {"fix", "--json", dir},
		{"guardrail", "--format", "json"},
		{"evidence", "list", "--format", "json"}, {"evidence", "list", "--json"}, {"evidence", "list"},
		{"evidence", "show", "latest", "--format", "json"},
		{"evidence", "diff", "1", "2", "--format", "json"}, {"evidence", "diff", "1", "2"},
		{"evidence", "verify", "--format", "json"},
		{"version", "--format", "json"},
	} {
		isJSON(args...)
	}
	// The table (or diff) when asked for.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"controls", "--format", "table"}, "SEVERITY"},
		{[]string{"evidence", "list", "-f", "table"}, "RUN"},
		{[]string{"evidence", "diff", "1", "2", "--format", "table"}, "unchanged"},
		{[]string{"fix", "--format", "diff", dir}, "+++ "},
		{[]string{"fix", dir}, "+++ "},
	} {
		if _, out, _ := runWith(t, env, tc.args...); !strings.Contains(out, tc.want) {
			t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.want, out)
		}
	}
	for _, args := range [][]string{
		{"controls", "--format", "xml"},
		{"controls", "--json", "--format", "table"},
		{"fix", "--format", "table", dir},
		{"evidence", "list", "--format", "sarif"},
	} {
		if code, _, stderr := runWith(t, env, args...); code != ExitError || !strings.Contains(stderr, "--") {
			t.Errorf("%v: exit %d %q, want a usage error", args, code, stderr)
		}
	}
	// -q on evidence show drops the hash line.
	if _, _, stderr := runWith(t, env, "evidence", "show", "latest", "--format", "json", "-q"); stderr != "" {
		t.Errorf("evidence show -q: %q", stderr)
	}
}
