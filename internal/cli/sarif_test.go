package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/sarif")

var (
	sarifSchemaOnce sync.Once
	sarifSchema     *jsonschema.Schema
	sarifSchemaErr  error
)

// validateSARIF checks a log against the SARIF 2.1.0 schema kept in
// report/testdata/schema.
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	sarifSchemaOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join("..", "..", "report", "testdata", "schema", "sarif-2.1.0-rtm.5.json"))
		if err != nil {
			sarifSchemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			sarifSchemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("sarif.json", doc); err != nil {
			sarifSchemaErr = err
			return
		}
		sarifSchema, sarifSchemaErr = c.Compile("sarif.json")
	})
	if sarifSchemaErr != nil {
		t.Fatal(sarifSchemaErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sarifSchema.Validate(inst); err != nil {
		t.Fatalf("not valid SARIF 2.1.0: %v", err)
	}
}

// sarifRepo is a repository (a .git directory is all discovery needs) with
// one failing notebook and one whose headline control is waived.
func sarifRepo(t *testing.T) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	writeTree(t, repo, map[string]string{
		".git/HEAD": "ref: refs/heads/main\n",
		"infra/ml/main.tf": notebookTF("research", "") +
			notebookTF("lab", "  #checkov:skip=CKV_AWS_122:isolated lab account\n"),
	})
	return repo
}

// normalizeSARIF replaces what differs between runs (the temporary
// directory, the scan time, the tool version) so the log can be compared.
func normalizeSARIF(data []byte, repo string) []byte {
	s := strings.ReplaceAll(string(data), filepath.ToSlash(repo), "/REPO")
	s = regexp.MustCompile(`"time": "[^"]*"`).ReplaceAllString(s, `"time": "TIME"`)
	s = regexp.MustCompile(`"version": "[^"]*",\n(\s*)"semanticVersion": "[^"]*"`).ReplaceAllString(s, `"version": "VERSION"`)
	s = regexp.MustCompile(`("name": "sagefence",\n\s*)"version": "[^"]*"`).ReplaceAllString(s, `$1"version": "VERSION"`)
	return []byte(s)
}

// TestSARIFGolden scans the same repository three ways and compares each
// log with its golden file (`go test ./internal/cli -run TestSARIFGolden
// -update` rewrites them): an absolute path, from a subdirectory, and with
// suppressed findings included. Every log is valid SARIF 2.1.0; URIs are
// relative to the repository root, never file: URIs.
func TestSARIFGolden(t *testing.T) {
	repo := sarifRepo(t)
	goldenDir, err := filepath.Abs(filepath.Join("testdata", "sarif")) // before run changes directory
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		args []string
	}{
		{"absolute-path", "", []string{filepath.Join(repo, "infra")}},
		{"subdirectory", filepath.Join(repo, "infra", "ml"), []string{"."}},
		{"suppressed", repo, []string{"infra", "--sarif-include-suppressed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "--no-config", "--format", "sarif"}, tc.args...)
			code, out, stderr := run(t, tc.dir, args...)
			if code != ExitFail {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			validateSARIF(t, []byte(out))
			// The only absolute URI is SRCROOT's base in originalUriBaseIds.
			if n := strings.Count(out, `"uri": "file:`); n != 1 || strings.Contains(out, `"uri": "/`) {
				t.Errorf("%d file: URIs (want 1, the base); artifact URIs must be relative:\n%s", n, out)
			}
			if !strings.Contains(out, `"uri": "infra/ml/main.tf"`) || !strings.Contains(out, `"uriBaseId": "SRCROOT"`) {
				t.Errorf("URIs must be relative to the repository root with uriBaseId SRCROOT:\n%s", out)
			}
			got := normalizeSARIF([]byte(out), repo)
			path := filepath.Join(goldenDir, tc.name+".sarif")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update and review the diff):\n%s", tc.name, path, got)
			}
		})
	}
}

// TestSARIFSuppressions checks the suppressed logic on the logs directly:
// by default no suppressed result and no suppressions property; with
// --sarif-include-suppressed the waived one is there and every result has
// suppressions ([] when not suppressed).
func TestSARIFSuppressions(t *testing.T) {
	repo := sarifRepo(t)
	type log struct {
		Runs []struct {
			Results []struct {
				Properties   map[string]any    `json:"properties"`
				Suppressions *[]map[string]any `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	decode := func(extra ...string) log {
		_, out, _ := run(t, "", append([]string{"scan", "--no-config", "--format", "sarif", repo}, extra...)...)
		var l log
		if err := json.Unmarshal([]byte(out), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, r := range decode().Runs[0].Results {
		if r.Properties["status"] == "suppressed" || r.Suppressions != nil {
			t.Errorf("default log has a suppressed result or a suppressions property: %+v", r)
		}
	}
	suppressed := 0
	for _, r := range decode("--sarif-include-suppressed").Runs[0].Results {
		if r.Suppressions == nil {
			t.Errorf("result without suppressions: %+v", r)
			continue
		}
		if r.Properties["status"] == "suppressed" {
			suppressed++
			if len(*r.Suppressions) != 1 {
				t.Errorf("suppressed result: %+v", *r.Suppressions)
			}
		} else if len(*r.Suppressions) != 0 {
			t.Errorf("%v result with suppressions %+v", r.Properties["status"], *r.Suppressions)
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
}

// TestSARIFRepoRoot: --repo-root wins over the git top level.
func TestSARIFRepoRoot(t *testing.T) {
	repo := sarifRepo(t)
	_, out, _ := run(t, "", "scan", "--no-config", "--format", "sarif", "--repo-root", filepath.Join(repo, "infra"), repo)
	if !strings.Contains(out, `"uri": "ml/main.tf"`) {
		t.Errorf("--repo-root infra: want uri ml/main.tf:\n%s", out)
	}
	if code, _, _ := run(t, "", "scan", "--no-config", "--format", "sarif", "--repo-root", filepath.Join(repo, "missing"), repo); code != ExitError {
		t.Errorf("a missing --repo-root: exit %d, want 2", code)
	}
}
