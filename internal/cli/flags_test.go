package cli

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sagefence/sagefence/finding"
)

// notebookTF is a notebook that fails the headline control (direct internet
// access omitted) and the in-VPC control (no subnet).
func notebookTF(name, extra string) string {
	return `resource "aws_sagemaker_notebook_instance" "` + name + `" {
` + extra + `  name          = "` + name + `"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::111122223333:role/sagemaker"
}
`
}

// writeTree writes files (slash paths relative to dir) and returns dir.
func writeTree(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scanJSON runs scan with --format json and decodes the result.
func scanJSON(t *testing.T, c cliRun, args ...string) (int, *finding.Result, string) {
	t.Helper()
	code, out, stderr := runWith(t, c, append([]string{"scan", "--format", "json"}, args...)...)
	var res finding.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("scan %v: exit %d, output is not JSON: %v\n%s\n%s", args, code, err, out, stderr)
	}
	return code, &res, stderr
}

func addresses(res *finding.Result) map[string]bool {
	m := map[string]bool{}
	for _, f := range res.Findings {
		m[f.Resource.Address] = true
	}
	return m
}

func TestSkipPathFlagAndConfig(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"infra/main.tf":           notebookTF("prod", ""),
		"legacy/main.tf":          notebookTF("old", ""),
		"vendor/x/main.tf":        notebookTF("vendored", ""),
		"infra/modules/a/main.tf": notebookTF("mod", ""),
	})
	_, all, _ := scanJSON(t, cliRun{}, "--no-config", dir)
	for _, a := range []string{"aws_sagemaker_notebook_instance.prod", "aws_sagemaker_notebook_instance.old", "aws_sagemaker_notebook_instance.vendored"} {
		if !addresses(all)[a] {
			t.Fatalf("without skips %s is missing: %v", a, addresses(all))
		}
	}
	_, res, _ := scanJSON(t, cliRun{}, "--no-config", "--skip-path", "legacy", "--skip-path", "vendor/**", "--skip-path", "infra/modules/*", dir)
	got := addresses(res)
	if !got["aws_sagemaker_notebook_instance.prod"] || got["aws_sagemaker_notebook_instance.old"] || got["aws_sagemaker_notebook_instance.vendored"] || got["aws_sagemaker_notebook_instance.mod"] {
		t.Errorf("--skip-path legacy, vendor/**, infra/modules/*: got %v", got)
	}
	// The same through exclude: in .sagefence.yaml, relative to the file.
	writeTree(t, dir, map[string]string{".sagefence.yaml": "exclude:\n  - legacy\n  - vendor/x\n"})
	_, res, _ = scanJSON(t, cliRun{}, "--config", filepath.Join(dir, ".sagefence.yaml"), filepath.Join(dir, "infra"), filepath.Join(dir, "legacy"), filepath.Join(dir, "vendor"))
	got = addresses(res)
	if !got["aws_sagemaker_notebook_instance.prod"] || got["aws_sagemaker_notebook_instance.old"] || got["aws_sagemaker_notebook_instance.vendored"] {
		t.Errorf("exclude: [legacy, vendor/x]: got %v", got)
	}
	if code, _, stderr := run(t, "", "scan", "--skip-path", "[bad", dir); code != ExitError || !strings.Contains(stderr, "[bad") {
		t.Errorf("bad glob: exit %d %q", code, stderr)
	}
}

func TestSkipControlTakesAliases(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", "")})
	_, res, _ := scanJSON(t, cliRun{}, "--no-config", "--skip-control", "CKV_AWS_122", "--skip-control", "sagemaker_domain_vpc_only", dir)
	inVPC := false
	for _, f := range res.Findings {
		if f.ControlID == "sagemaker_notebook_instance_direct_internet_access_disabled" {
			t.Errorf("skipped control %s still evaluated", f.ControlID)
		}
		inVPC = inVPC || f.ControlID == "sagemaker_notebook_instance_in_vpc"
	}
	if !inVPC {
		t.Errorf("the control not skipped is gone: %+v", res.Findings)
	}
	if code, _, stderr := run(t, "", "scan", "--skip-control", "CKV_AWS_999", dir); code != ExitError || !strings.Contains(stderr, "CKV_AWS_999") {
		t.Errorf("unknown control: exit %d %q", code, stderr)
	}
}

func TestSoftFailAndExitCode(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", "")})
	broken := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", ""), "broken.tf": "resource \"x\" {\n"})
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{dir}, ExitFail},
		{[]string{"--soft-fail", dir}, ExitOK},
		{[]string{"--exit-code", "3", dir}, 3},
		{[]string{"--exit-code", "0", dir}, ExitOK},
		{[]string{"--soft-fail", broken}, ExitError},
		{[]string{"--exit-code", "0", broken}, ExitError},
		{[]string{"--exit-code", "4", broken}, 4},
		{[]string{"--exit-code", "200", dir}, ExitError},
	} {
		if code, _, stderr := run(t, "", append([]string{"scan", "--no-config", "--format", "json"}, tc.args...)...); code != tc.want {
			t.Errorf("scan %v: exit %d, want %d\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

func TestSeverityListAndCritical(t *testing.T) {
	// The lifecycle control is low, the HTTPS-egress one medium, the
	// headline high; a notebook in a subnet with a group that has no egress
	// fails the medium one and passes the high ones it can.
	dir := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", "")})
	for _, tc := range []struct {
		sev  string
		want int
	}{
		{"HIGH,CRITICAL", ExitFail},
		{"critical", ExitFail},
		{"low,medium", ExitOK}, // the notebook fails only high controls
		{"Medium", ExitFail},   // at or above medium
		{"high,", ExitError},
		{"urgent", ExitError},
	} {
		if code, _, stderr := run(t, "", "scan", "--no-config", "--format", "json", "--severity", tc.sev, dir); code != tc.want {
			t.Errorf("--severity %s: exit %d, want %d\n%s", tc.sev, code, tc.want, stderr)
		}
	}
}

func TestCompactWrapsToColumns(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{60, 100} {
		code, out, _ := runWith(t, cliRun{env: map[string]string{"COLUMNS": strconv.Itoa(width)}},
			"scan", "--no-config", "--format", "table", "--compact", examples)
		if code != ExitFail {
			t.Fatalf("exit %d", code)
		}
		lines := strings.Split(out, "\n")
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("COLUMNS=%d: line of %d columns: %q", width, n, l)
			}
		}
		if !strings.Contains(out, "FAIL high CKV_AWS_122") || !strings.Contains(out, "Summary:") {
			t.Errorf("compact output lacks findings or summary:\n%s", out)
		}
	}
	// Without --compact the table keeps its long lines (what --compact is for).
	_, out, _ := runWith(t, cliRun{env: map[string]string{"COLUMNS": "60"}}, "scan", "--no-config", "--format", "table", examples)
	long := false
	for _, l := range strings.Split(out, "\n") {
		long = long || utf8.RuneCountInString(l) > 60
	}
	if !long {
		t.Error("the full table has no line over 60 columns: the compact test proves nothing")
	}
}

// TestFourOutputFilesFromOneScan runs one scan writing four reports and
// checks each: SARIF valid against the schema and without passes, JSON
// equal to the main output, JUnit XML and CSV readable with the same
// number of findings; standard output gets the table.
func TestFourOutputFilesFromOneScan(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{
		"main.tf": notebookTF("nb", "") + notebookTF("waived", "  #checkov:skip=CKV_AWS_122:lab account\n"),
	})
	out := t.TempDir()
	paths := map[string]string{}
	args := []string{"scan", "--no-config", "--record=false", dir}
	for _, f := range []string{"sarif", "json", "junit", "csv"} {
		paths[f] = filepath.Join(out, "report."+f)
		args = append(args, "--output-file", f+"="+paths[f])
	}
	code, stdout, stderr := run(t, "", args...)
	if code != ExitFail {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "Summary: fail") {
		t.Errorf("standard output should be the table with --output-file only:\n%s", stdout)
	}
	read := func(f string) []byte {
		data, err := os.ReadFile(paths[f])
		if err != nil {
			t.Fatalf("%s report: %v", f, err)
		}
		return data
	}
	var res finding.Result
	if err := json.Unmarshal(read("json"), &res); err != nil {
		t.Fatalf("json report: %v", err)
	}
	if res.Summary.Fail == 0 || res.Summary.Suppressed != 1 || len(res.Findings) != res.Summary.Fail+res.Summary.Pass+res.Summary.Unknown+res.Summary.Suppressed {
		t.Fatalf("json report summary %+v, %d findings", res.Summary, len(res.Findings))
	}
	sarif := read("sarif")
	validateSARIF(t, sarif)
	var log struct {
		Runs []struct {
			Results []struct {
				Properties map[string]any `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarif, &log); err != nil {
		t.Fatal(err)
	}
	if want := res.Summary.Fail + res.Summary.Unknown; len(log.Runs[0].Results) != want {
		t.Errorf("sarif: %d results, want %d (fail + unknown; no pass, no suppressed)", len(log.Runs[0].Results), want)
	}
	var junit struct {
		XMLName xml.Name
		Tests   int `xml:"tests,attr"`
		Suites  []struct {
			Tests int `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(read("junit"), &junit); err != nil {
		t.Fatalf("junit report: %v", err)
	}
	tests := junit.Tests
	for _, s := range junit.Suites {
		if junit.Tests == 0 {
			tests += s.Tests
		}
	}
	if tests != len(res.Findings) {
		t.Errorf("junit: %d tests, want %d findings", tests, len(res.Findings))
	}
	rows, err := csv.NewReader(strings.NewReader(string(read("csv")))).ReadAll()
	if err != nil {
		t.Fatalf("csv report: %v", err)
	}
	if len(rows) != len(res.Findings)+1 {
		t.Errorf("csv: %d rows, want header + %d findings", len(rows), len(res.Findings))
	}
}

func TestOutputFileUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--output-file", "sarif"},
		{"--output-file", "yaml=x.yaml"},
		{"--output-file", "json=" + filepath.Join(dir, "a"), "--output-file", "sarif=" + filepath.Join(dir, "a")},
		{"--output", filepath.Join(dir, "b"), "--output-file", "sarif=" + filepath.Join(dir, "b")},
	} {
		if code, _, stderr := run(t, "", append([]string{"scan", "--no-config"}, append(args, dir)...)...); code != ExitError || !strings.Contains(stderr, "--output-file") {
			t.Errorf("%v: exit %d %q", args, code, stderr)
		}
	}
}

func TestQuietSilencesRecordedRun(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"main.tf": notebookTF("nb", "")})
	store := filepath.Join(t.TempDir(), "evidence.db")
	_, _, stderr := run(t, "", "scan", "--no-config", "--format", "json", "--record", "--store", store, dir)
	if !strings.Contains(stderr, "recorded run 1") {
		t.Fatalf("without -q the recorded run is announced: %q", stderr)
	}
	_, _, stderr = run(t, "", "scan", "--no-config", "--format", "json", "--record", "--store", store, "-q", dir)
	if stderr != "" {
		t.Errorf("-q: stderr %q, want nothing", stderr)
	}
	// Errors are still printed with -q.
	broken := writeTree(t, t.TempDir(), map[string]string{"broken.tf": "resource \"x\" {\n"})
	if _, _, stderr = run(t, "", "scan", "--no-config", "--format", "json", "-q", broken); !strings.Contains(stderr, "broken.tf") {
		t.Errorf("-q must keep error lines: %q", stderr)
	}
}

func TestEmptyScanSaysWhatWasFound(t *testing.T) {
	dir := writeTree(t, t.TempDir(), map[string]string{"README.md": "nothing here", "skipped/main.tf": notebookTF("x", "")})
	code, _, stderr := run(t, "", "scan", "--no-config", "--format", "json", "--skip-path", "skipped", dir)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"no SageMaker notebook instance or Studio domain found", "0 Terraform directories", "0 plan files", "0 CloudFormation templates", "0 CDK assemblies", "1 path skipped"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %q", want, stderr)
		}
	}
	if _, _, stderr := run(t, "", "scan", "--no-config", "--format", "json", "-q", dir); stderr != "" {
		t.Errorf("-q: %q", stderr)
	}
}

func TestHelpTexts(t *testing.T) {
	_, scanHelp, _ := run(t, "", "scan", "--help")
	if strings.Contains(scanHelp, "--record sagefence") || !strings.Contains(scanHelp, "--record  ") {
		t.Errorf("scan --help shows --record as taking a value:\n%s", scanHelp)
	}
	for _, flag := range []string{"--skip-path GLOB", "--skip-control ID", "--soft-fail", "--exit-code N", "--compact", "--output-file FORMAT=PATH", "--sarif-include-suppressed", "--repo-root DIR"} {
		if !strings.Contains(scanHelp, flag) {
			t.Errorf("scan --help lacks %s", flag)
		}
	}
	_, auditHelp, _ := run(t, "", "audit", "--help")
	if strings.Contains(auditHelp, "scan root") || strings.Contains(auditHelp, "first scanned path") {
		t.Errorf("audit --help speaks of a scan root:\n%s", auditHelp)
	}
}

// TestGitLabFormats scans a repository from a subdirectory in both GitLab
// formats: paths are relative to the repository root, as GitLab needs.
func TestGitLabFormats(t *testing.T) {
	repo := sarifRepo(t)
	out := t.TempDir()
	sast, cq := filepath.Join(out, "gl-sast.json"), filepath.Join(out, "gl-codequality.json")
	code, _, stderr := run(t, filepath.Join(repo, "infra"), "scan", "--no-config", ".", "--output-file", "gitlab-sast="+sast, "--output-file", "gitlab-codequality="+cq)
	if code != ExitFail {
		t.Fatalf("exit %d %s", code, stderr)
	}
	var rep struct {
		Vulnerabilities []struct {
			Category string
			Location struct{ File string }
		}
		Scan struct{ Type, Status string }
	}
	raw, _ := os.ReadFile(sast)
	if err := json.Unmarshal(raw, &rep); err != nil || len(rep.Vulnerabilities) == 0 || rep.Scan.Type != "sast" || rep.Scan.Status != "success" {
		t.Fatalf("gitlab-sast: %v %s", err, raw)
	}
	for _, v := range rep.Vulnerabilities {
		if v.Category != "sast" || v.Location.File != "infra/ml/main.tf" {
			t.Errorf("vulnerability %+v: want category sast, file infra/ml/main.tf", v)
		}
	}
	var issues []struct {
		CheckName string `json:"check_name"`
		Location  struct{ Path string }
	}
	raw, _ = os.ReadFile(cq)
	if err := json.Unmarshal(raw, &issues); err != nil || len(issues) != len(rep.Vulnerabilities) {
		t.Fatalf("gitlab-codequality: %v, %d issues for %d vulnerabilities", err, len(issues), len(rep.Vulnerabilities))
	}
	for _, is := range issues {
		if is.Location.Path != "infra/ml/main.tf" || is.CheckName == "" {
			t.Errorf("issue %+v", is)
		}
	}
}

// TestScanPlanWithSource: --source gives plan findings the resource block's
// file and line; a missing --source directory is a usage error.
func TestScanPlanWithSource(t *testing.T) {
	plan, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cases", "plan-omitted", "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, t.TempDir(), map[string]string{
		"plan.json": string(plan),
		"src/main.tf": "# the notebook\n" + `resource "aws_sagemaker_notebook_instance" "default" {
  name          = "default-access"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/sagemaker"
}
`,
	})
	_, res, _ := scanJSON(t, cliRun{}, "--no-config", "--source", filepath.Join(dir, "src"), filepath.Join(dir, "plan.json"))
	if len(res.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range res.Findings {
		if f.Location.File != filepath.Join(dir, "src", "main.tf") || f.Location.StartLine != 2 {
			t.Errorf("%s %s at %s:%d, want src/main.tf:2", f.ControlID, f.Resource.Address, f.Location.File, f.Location.StartLine)
		}
	}
	if code, _, stderr := run(t, "", "scan", "--source", filepath.Join(dir, "missing"), filepath.Join(dir, "plan.json")); code != ExitError || !strings.Contains(stderr, "--source") {
		t.Errorf("missing --source: exit %d %q", code, stderr)
	}
}
