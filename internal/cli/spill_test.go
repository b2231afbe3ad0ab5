package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestScanSpilledMatchesInMemory runs scans whose findings are all written
// to disk (a budget of one byte: every finding its own run, runs merged
// again and again) and the same scans in memory, for the formats that
// stream (json) and those that read every finding at once, with a
// baseline, severity overrides and --output-file: the same bytes (but
// scope.time), the same exit codes, and no file left in the temporary
// directory.
func TestScanSpilledMatchesInMemory(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	secrets, _ := filepath.Abs("../../testdata/hostile/secrets")
	cases, _ := filepath.Abs("../../testdata/cases/pitfall-tf-endpoints-for-each")
	work := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	baseline := filepath.Join(work, "baseline.json")
	if code, _, stderr := run(t, "", "scan", examples, "--no-config", "--format", "json", "--output", baseline); code != 1 {
		t.Fatalf("baseline scan: exit %d: %s", code, stderr)
	}
	// Half the baseline's fails: some matched, some not.
	b, err := os.ReadFile(baseline)
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(string(b), `"status": "fail"`); i > 0 {
		b = append([]byte(nil), b...)
		copy(b[i:], `"status": "pass"`)
	}
	if err := os.WriteFile(baseline, b, 0o600); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(work, "sev.yaml")
	if err := os.WriteFile(config, []byte("severity:\n  sagemaker_notebook_instance_in_vpc: low\n  sagemaker_domain_vpc_only: medium\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	timeLine := regexp.MustCompile(`(?m)^.*"time": .*$`)
	// The reports' other clock readings (ASFF CreatedAt/UpdatedAt, SARIF and
	// GitLab run times, JUnit timestamps): the two runs may fall in
	// different seconds.
	stamp := regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?`)
	scanTwice := func(t *testing.T, args ...string) {
		t.Helper()
		var outs [2]string
		var codes [2]int
		for i, budget := range []int64{0, 1} {
			findingBudget = budget
			dir := filepath.Join(work, "out")
			os.RemoveAll(dir)
			os.Mkdir(dir, 0o700)
			full := append(args, "--output-file", "json="+filepath.Join(dir, "extra.json"))
			code, stdout, stderr := run(t, "", full...)
			extra, _ := os.ReadFile(filepath.Join(dir, "extra.json"))
			codes[i] = code
			outs[i] = stamp.ReplaceAllString(timeLine.ReplaceAllString(stdout+"\n--stderr--\n"+stderr+"\n--extra--\n"+string(extra), ""), "<time>")
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Fatalf("%v: %d entries left in the temporary directory", args, len(entries))
			}
		}
		findingBudget = 0
		if codes[0] != codes[1] || outs[0] != outs[1] {
			t.Fatalf("%v: spilled scan differs (exit %d vs %d)\n--- in memory ---\n%.3000s\n--- spilled ---\n%.3000s", args, codes[0], codes[1], outs[0], outs[1])
		}
		if strings.Contains(outs[1], "SECRET-MARKER") || strings.Contains(outs[1], "SECRETMARKER") {
			t.Fatalf("%v: a marker secret reached the output", args)
		}
	}
	defer func() { findingBudget = 0 }()
	for _, dir := range []string{examples, secrets, cases} {
		for _, args := range [][]string{
			{"--format", "json"},
			{"--format", "sarif"},
			{"--format", "csv"},
			{"--format", "csv", "--config", config, "--baseline", baseline},
			{"--format", "asff"},
			{"--format", "gitlab-sast", "--baseline", baseline},
			{"--format", "gitlab-codequality"},
			{"--format", "junit", "--config", config, "--baseline", baseline},
			{"--format", "json", "--baseline", baseline},
			{"--format", "json", "--config", config, "--severity", "medium"},
			{"--format", "json", "--config", config, "--baseline", baseline, "--strict"},
			{"--format", "markdown", "--baseline", baseline},
		} {
			if !slices.Contains(args, "--config") {
				args = append(args, "--no-config")
			}
			scanTwice(t, append([]string{"scan", dir}, args...)...)
		}
	}
}

// TestScanSpillFailureWarns: when the temporary directory cannot be
// written, the findings stay in memory, the report is the same, and stderr
// says so.
func TestScanSpillFailureWarns(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	timeLine := regexp.MustCompile(`(?m)^.*("time": |timestamp=).*$`)
	defer func() { findingBudget = 0 }()
	for _, format := range []string{"json", "junit"} {
		findingBudget = 0
		code0, out0, err0 := run(t, "", "scan", examples, "--no-config", "--format", format)
		findingBudget = 1
		code1, out1, err1 := run(t, "", "scan", examples, "--no-config", "--format", format)
		if code0 != 1 || code0 != code1 || timeLine.ReplaceAllString(out0, "") != timeLine.ReplaceAllString(out1, "") || len(out1) < 1000 {
			t.Fatalf("%s: report differs when spilling fails (exit %d vs %d)\n%.2000s", format, code0, code1, err1)
		}
		if strings.Contains(err0, "warning: findings kept in memory") || !strings.Contains(err1, "warning: findings kept in memory") {
			t.Fatalf("%s: stderr without spilling: %q\nstderr when spilling fails: %q", format, err0, err1)
		}
	}
}
