package cli

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
)

// TestEvidenceCommands drives the evidence workflow through the command line
// on SQLite and on a real PostgreSQL server.
func TestEvidenceCommands(t *testing.T) {
	stores := []struct {
		name  string
		store func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nested", "evidence.db") }},
		{"postgres", func(t *testing.T) string {
			pg := testutil.StartPostgres(t)
			admin, err := sql.Open("pgx", pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			if _, err := admin.Exec("CREATE DATABASE cli_evidence"); err != nil {
				t.Fatal(err)
			}
			return strings.Replace(pg.URL, "/postgres?", "/cli_evidence?", 1)
		}},
	}
	for _, backend := range stores {
		name := backend.name
		t.Run(name, func(t *testing.T) {
			store := backend.store(t)
			serveHistory(t, store)
			dir := t.TempDir()
			// scan --record appends run 11 with the scanned paths as its scope.
			code, _, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": ""}}, "scan", dir, "--record", "--store", store, "--format", "json")
			if code != ExitOK || !strings.Contains(stderr, "recorded run 11") {
				t.Fatalf("scan --record: %d %s", code, stderr)
			}
			code, out, _ := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "list", "--json")
			var runs []struct {
				Seq     int64    `json:"seq"`
				Command string   `json:"command"`
				Paths   []string `json:"paths"`
			}
			if err := json.Unmarshal([]byte(out), &runs); code != 0 || err != nil || len(runs) != 11 || runs[0].Command != "scan" || runs[0].Paths[0] != dir {
				t.Fatalf("list: %d %v %s", code, err, out)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "show", "5", "--format", "json")
			if code != 0 || !strings.Contains(out, `"nb-b direct internet access is Enabled"`) || !strings.Contains(out, `"fail": 1`) {
				t.Fatalf("show 5: %d %s", code, out)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "diff", "4", "5", "--format", "table")
			if code != 0 || !strings.Contains(out, "Regressed (1)") || !strings.Contains(out, "pass       -> fail") || !strings.Contains(out, "nb-b") {
				t.Fatalf("diff 4 5: %d %s", code, out)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "diff", "7", "8", "--json")
			if code != 0 || !strings.Contains(out, `"became_compliant": [`) || !strings.Contains(out, `"before": "fail"`) {
				t.Fatalf("diff 7 8: %d %s", code, out)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "export", "--from", "2026-03-01", "--to", "2026-03-11", "--format", "json")
			var rep struct {
				Regressions []struct {
					Resource string `json:"resource"`
				} `json:"regressions"`
				Chain struct{ OK bool } `json:"chain"`
			}
			if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || len(rep.Regressions) != 1 || !rep.Chain.OK {
				t.Fatalf("export: %d %v %s", code, err, out)
			}
			keyDir := t.TempDir()
			key := filepath.Join(keyDir, "k.pem")
			if code, _, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "keygen", "--out", key); code != 0 {
				t.Fatalf("keygen: %s", stderr)
			}
			if code, _, _ := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "keygen", "--out", key); code != ExitError {
				t.Fatalf("keygen over an existing key: exit %d", code)
			}
			if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("private key mode: %v %v", fi.Mode(), err)
			}
			if code, out, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "sign", "--key", key); code != 0 || !strings.Contains(out, "signed run 11") {
				t.Fatalf("sign: %d %s %s", code, out, stderr)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "verify", "--format", "table", "--pub", filepath.Join(keyDir, "k.pub.pem"))
			if code != 0 || !strings.Contains(out, "OK: 11 runs verified") || !strings.Contains(out, "OK: head run 11 signed") {
				t.Fatalf("verify: %d %s", code, out)
			}
			if code, out, _ := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "prune", "--before", "2026-03-04"); code != 0 || !strings.Contains(out, "pruned 3 runs; checkpoint at run 3") {
				t.Fatalf("prune: %d %s", code, out)
			}
			if code, out, _ := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "verify", "--format", "table"); code != 0 || !strings.Contains(out, "from the prune checkpoint (run 3, 3 runs pruned)") {
				t.Fatalf("verify after prune: %d %s", code, out)
			}
			// Tampering makes verify exit 1 and name the run.
			db, err := sql.Open(map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[name], store)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec("UPDATE findings SET status = 'pass' WHERE run_seq = 6 AND status = 'fail'"); err != nil {
				t.Fatal(err)
			}
			code, out, _ = runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "verify", "--format", "table")
			if code != ExitFail || !strings.Contains(out, "FAILED at run 6: run 6 was altered") {
				t.Fatalf("verify after tampering: %d %s", code, out)
			}
			// Usage errors.
			for _, args := range [][]string{
				{"evidence", "show", "abc"}, {"evidence", "show", "99"}, {"evidence", "export", "--from", "yesterday", "--to", "2026-01-01"},
				{"evidence", "export", "--from", "2026-02-01", "--to", "2026-01-01"}, {"evidence", "export", "--from", "2026-01-01", "--to", "2026-02-01", "-f", "xml"},
			} {
				if code, _, _ := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, args...); code != ExitError {
					t.Errorf("%v: exit %d, want %d", args, code, ExitError)
				}
			}
		})
	}
}

// TestScanRecordFailure: an unusable store does not swallow the report, and
// exits 2 (there is no fail finding to report).
func TestScanRecordFailure(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": ""}}, "scan", t.TempDir(), "--record", "--store", filepath.Join(blocker, "sub", "evidence.db"), "--format", "json")
	if code != ExitError || !strings.Contains(out, `"format_version"`) || !strings.Contains(stderr, "store") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
}

// TestScanRecordFromConfig: `record:` and `store:` in .sagefence.yaml make
// scan record its runs; --record=false, --store and $SAGEFENCE_STORE win.
func TestScanRecordFromConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".sagefence.yaml"), []byte("record: true\nstore: ev/evidence.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	configured := filepath.Join(dir, "ev", "evidence.db")
	flagStore := filepath.Join(t.TempDir(), "flag.db")
	envStore := filepath.Join(t.TempDir(), "env.db")
	cases := []struct {
		name      string
		env       map[string]string
		args      []string
		recorded  string // "" when nothing may be recorded
		unchanged []string
	}{
		{"record off by flag", nil, []string{"--record=false"}, "", []string{configured}},
		{"the file's store", nil, nil, configured, nil},
		{"--store wins", nil, []string{"--store", flagStore}, flagStore, nil},
		{"$SAGEFENCE_STORE wins over the file", map[string]string{"SAGEFENCE_STORE": envStore}, nil, envStore, nil},
	}
	counts := map[string]int{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"scan", dir, "--format", "json"}, c.args...)
			code, _, stderr := runWith(t, cliRun{env: c.env}, args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if c.recorded == "" {
				if strings.Contains(stderr, "recorded") {
					t.Errorf("recorded although switched off: %q", stderr)
				}
				for _, p := range c.unchanged {
					if _, err := os.Stat(p); !os.IsNotExist(err) {
						t.Errorf("%s was opened: %v", p, err)
					}
				}
				return
			}
			counts[c.recorded]++
			if want := "recorded run " + strconv.Itoa(counts[c.recorded]) + " in " + c.recorded; !strings.Contains(stderr, want) {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			if runs := evidenceRuns(t, c.recorded); len(runs) != counts[c.recorded] || runs[0].Command != "scan" {
				t.Errorf("runs in %s: %+v", c.recorded, runs)
			}
		})
	}
}

// TestEvidenceVerifyNothingOrUnsigned: verify fails on a missing store
// (without creating it) and on an empty one; with --pub it fails on a
// checkpoint pruned without --key and passes on one pruned with it.
func TestEvidenceVerifyNothingOrUnsigned(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SAGEFENCE_STORE": ""}
	missing := filepath.Join(dir, "missing.db")
	for _, format := range []string{"table", "json"} {
		code, out, _ := runWith(t, cliRun{env: env}, "evidence", "verify", "--store", missing, "--format", format)
		if code != ExitFail || !strings.Contains(out, "no evidence store at "+missing) {
			t.Errorf("verify of a missing store (%s): exit %d: %s", format, code, out)
		}
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("verify created the missing store: %v", err)
	}
	empty := filepath.Join(dir, "empty.db")
	if code, _, stderr := runWith(t, cliRun{env: env}, "evidence", "list", "--store", empty); code != 0 {
		t.Fatalf("list (creating an empty store): %d %s", code, stderr)
	}
	if code, out, _ := runWith(t, cliRun{env: env}, "evidence", "verify", "--store", empty); code != ExitFail || !strings.Contains(out, "holds no run") {
		t.Errorf("verify of an empty store: exit %d: %s", code, out)
	}

	store := filepath.Join(dir, "history.db")
	serveHistory(t, store)
	key := filepath.Join(dir, "k.pem")
	pub := filepath.Join(dir, "k.pub.pem")
	if code, _, stderr := runWith(t, cliRun{env: env}, "evidence", "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen: %s", stderr)
	}
	for _, args := range [][]string{{"prune", "--before", "2026-03-04", "--key", key}, {"sign", "--key", key}} {
		if code, out, stderr := runWith(t, cliRun{env: env}, append(append([]string{"evidence"}, args...), "--store", store)...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, stderr)
		}
	}
	if code, out, _ := runWith(t, cliRun{env: env}, "evidence", "verify", "--store", store, "--pub", pub, "--format", "table"); code != 0 ||
		!strings.Contains(out, "from the prune checkpoint (run 3") || !strings.Contains(out, "OK: head run 10 signed") {
		t.Fatalf("verify --pub after a signed prune: exit %d: %s", code, out)
	}
	if code, _, stderr := runWith(t, cliRun{env: env}, "evidence", "prune", "--before", "2026-03-06", "--store", store); code != 0 || !strings.Contains(stderr, "not signed") {
		t.Fatalf("prune without --key: exit %d: %s", code, stderr)
	}
	if code, out, _ := runWith(t, cliRun{env: env}, "evidence", "verify", "--store", store, "--pub", pub, "--format", "table"); code != ExitFail ||
		!strings.Contains(out, "SIGNATURE FAILED: the prune checkpoint (run 5, 5 runs pruned) is not signed") {
		t.Errorf("verify --pub after an unsigned prune: exit %d: %s", code, out)
	}
}
