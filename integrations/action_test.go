package integrations_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The composite action's steps, run locally: each `run:` step's shell runs
// under bash with a fake GITHUB_* / RUNNER_* environment, `${{ }}`
// expressions are evaluated from the inputs, the github and runner contexts
// and earlier steps' outputs, `if:` conditions decide which steps run, and
// `uses:` steps (setup-go, upload-sarif) are recorded with their inputs
// instead of being run.

type actionStep struct {
	ID               string            `yaml:"id"`
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Run              string            `yaml:"run"`
	WorkingDirectory string            `yaml:"working-directory"`
	Env              map[string]string `yaml:"env"`
	With             map[string]string `yaml:"with"`
}

type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

// actionRun is one local run of the action.
type actionRun struct {
	inputs   map[string]string
	github   map[string]string
	runner   map[string]string
	steps    map[string]map[string]string
	uses     map[string]map[string]string // uses step name -> evaluated with
	logs     strings.Builder
	failed   string // name of the step that failed
	exitCode int
	summary  string
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

func (r *actionRun) value(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "'") && strings.HasSuffix(ref, "'") {
		return strings.Trim(ref, "'")
	}
	parts := strings.SplitN(ref, ".", 2)
	if len(parts) != 2 {
		return ""
	}
	switch parts[0] {
	case "inputs":
		return r.inputs[parts[1]]
	case "github":
		return r.github[parts[1]]
	case "runner":
		return r.runner[parts[1]]
	case "steps":
		id, rest, _ := strings.Cut(parts[1], ".outputs.")
		return r.steps[id][rest]
	}
	return ""
}

// eval handles the expression forms action.yml uses: references, string
// literals, ==, !=, &&, always().
func (r *actionRun) eval(expr string) string {
	if strings.Contains(expr, "&&") {
		for _, part := range strings.Split(expr, "&&") {
			if r.eval(part) != "true" {
				return "false"
			}
		}
		return "true"
	}
	expr = strings.TrimSpace(expr)
	if expr == "always()" {
		return "true"
	}
	for _, op := range []string{"==", "!="} {
		if l, rr, ok := strings.Cut(expr, op); ok {
			eq := r.value(l) == r.value(rr)
			return fmt.Sprint(eq == (op == "=="))
		}
	}
	return r.value(expr)
}

func (r *actionRun) expand(s string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string { return r.eval(exprRE.FindStringSubmatch(m)[1]) })
}

// runAction runs the action's steps as GitHub would, stopping at the first
// failing step (later steps have no `always()` except the upload).
func runAction(t *testing.T, def *actionFile, r *actionRun, workspace string, stopAfter string) {
	t.Helper()
	root, _ := filepath.Abs("..")
	tmp := t.TempDir()
	summary := filepath.Join(tmp, "summary.md")
	r.steps = map[string]map[string]string{}
	r.uses = map[string]map[string]string{}
	for k, v := range def.Inputs {
		if _, set := r.inputs[k]; !set {
			r.inputs[k] = v.Default
		}
	}
	r.github["action_path"] = root
	r.github["workspace"] = workspace
	for _, s := range def.Runs.Steps {
		cond := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s.If, "${{"), "}}"))
		if r.failed != "" && !strings.Contains(cond, "always()") {
			continue
		}
		if cond != "" && r.eval(cond) != "true" {
			continue
		}
		if s.Uses != "" {
			with := map[string]string{}
			for k, v := range s.With {
				with[k] = r.expand(v)
			}
			r.uses[s.Uses] = with
			continue
		}
		out := filepath.Join(tmp, "output-"+s.ID+fmt.Sprint(len(r.steps)))
		if err := os.WriteFile(out, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", r.expand(s.Run))
		cmd.Dir = workspace
		if s.WorkingDirectory != "" {
			cmd.Dir = r.expand(s.WorkingDirectory)
		}
		cmd.Env = append(os.Environ(),
			"GITHUB_ACTION_PATH="+root, "GITHUB_WORKSPACE="+workspace, "GITHUB_OUTPUT="+out,
			"GITHUB_STEP_SUMMARY="+summary, "GITHUB_SERVER_URL="+r.github["server_url"],
			"RUNNER_OS="+r.runner["os"], "RUNNER_ARCH="+r.runner["arch"], "RUNNER_TEMP="+r.runner["temp"],
		)
		for k, v := range s.Env {
			cmd.Env = append(cmd.Env, k+"="+r.expand(v))
		}
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		err := cmd.Run()
		fmt.Fprintf(&r.logs, "--- %s\n%s", s.Name, log.String())
		outputs := map[string]string{}
		raw, _ := os.ReadFile(out)
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				outputs[k] = v
			}
		}
		if s.ID != "" {
			r.steps[s.ID] = outputs
		}
		if err != nil {
			r.failed = s.Name
			if ee, ok := err.(*exec.ExitError); ok {
				r.exitCode = ee.ExitCode()
			}
		}
		if stopAfter != "" && s.ID == stopAfter {
			break
		}
	}
	data, _ := os.ReadFile(summary)
	r.summary = string(data)
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// sagefenceBinary builds the CLI once for the action tests.
func sagefenceBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sagefence-action-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sagefence")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/sagefence").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// releaseServer serves a fake release v1.2.3 of sagefence for linux/amd64:
// the archive holding the binary, and checksums.txt (wrong when tamper).
func releaseServer(t *testing.T, tamper bool) *httptest.Server {
	t.Helper()
	bin, err := os.ReadFile(sagefenceBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "sagefence", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(bin)
	tw.Close()
	gz.Close()
	archive := buf.Bytes()
	sum := sha256.Sum256(archive)
	hexSum := hex.EncodeToString(sum[:])
	if tamper {
		hexSum = strings.Repeat("0", 64)
	}
	files := map[string][]byte{
		"sagefence_1.2.3_linux_amd64.tar.gz": archive,
		"checksums.txt":                      []byte(hexSum + "  sagefence_1.2.3_linux_amd64.tar.gz\n"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name, ok := strings.CutPrefix(req.URL.Path, "/sagefence/sagefence/releases/download/v1.2.3/")
		if data, found := files[name]; ok && found {
			w.Write(data)
			return
		}
		http.NotFound(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func loadAction(t *testing.T) *actionFile {
	t.Helper()
	var def actionFile
	raw, err := os.ReadFile(filepath.Join("..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &def); err != nil {
		t.Fatal(err)
	}
	return &def
}

// workspaceWithExamples is a checkout holding a copy of the examples.
func workspaceWithExamples(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	if err := os.CopyFS(filepath.Join(ws, "infra"), os.DirFS(filepath.Join("..", "examples"))); err != nil {
		t.Fatal(err)
	}
	return ws
}

func newRun(t *testing.T, server string, inputs map[string]string, ref string) *actionRun {
	return &actionRun{
		inputs: inputs,
		github: map[string]string{"server_url": server, "action_ref": ref},
		runner: map[string]string{"os": "Linux", "arch": "X64", "temp": t.TempDir()},
	}
}

func needLinuxAMD64(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the fake release is a linux/amd64 binary")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is missing")
		}
		t.Skip("curl is missing")
	}
}

// TestActionReleaseDownload: a release tag downloads the archive, verifies
// its checksum, runs ONE scan that writes the SARIF, the step summary and
// records one evidence run, uploads the SARIF, and fails on findings.
func TestActionReleaseDownload(t *testing.T) {
	needLinuxAMD64(t)
	srv := releaseServer(t, false)
	ws := workspaceWithExamples(t)
	store := filepath.Join(t.TempDir(), "evidence.db")
	r := newRun(t, srv.URL, map[string]string{"path": "infra", "args": "--record --store " + store}, "v1.2.3")
	runAction(t, loadAction(t), r, ws, "")
	logs := r.logs.String()
	if r.steps["install"]["method"] != "release" || !strings.Contains(logs, "verified (sha256") {
		t.Fatalf("install: %v\n%s", r.steps["install"], logs)
	}
	if _, ran := r.uses["actions/setup-go@v6"]; ran {
		t.Error("setup-go ran although the release binary was installed")
	}
	if r.steps["scan"]["exit-code"] != "1" || r.failed != "Exit with sagefence's status" || r.exitCode != 1 {
		t.Errorf("scan exit %q, failed step %q exit %d\n%s", r.steps["scan"]["exit-code"], r.failed, r.exitCode, logs)
	}
	sarif := filepath.Join(ws, "sagefence.sarif")
	if r.steps["scan"]["sarif-file"] != sarif || r.uses["github/codeql-action/upload-sarif@v4"]["sarif_file"] != sarif {
		t.Errorf("sarif-file %q, upload %v", r.steps["scan"]["sarif-file"], r.uses)
	}
	if data, err := os.ReadFile(sarif); err != nil || !json.Valid(data) {
		t.Errorf("SARIF report: %v", err)
	}
	if !strings.Contains(r.summary, "fail") || !strings.Contains(r.summary, "|") {
		t.Errorf("step summary is not the Markdown report:\n%s", r.summary)
	}
	// One scan: one evidence run.
	out, err := exec.Command(sagefenceBinary(t), "evidence", "list", "--format", "json", "--store", store).Output()
	var runs []any
	if err != nil || json.Unmarshal(out, &runs) != nil || len(runs) != 1 {
		t.Errorf("evidence runs: %d (%v), want 1: one scan per action run\n%s", len(runs), err, out)
	}
}

// TestActionChecksumMismatch: a tampered download fails the install; it is
// never replaced by a source build.
func TestActionChecksumMismatch(t *testing.T) {
	needLinuxAMD64(t)
	srv := releaseServer(t, true)
	r := newRun(t, srv.URL, map[string]string{"version": "v1.2.3"}, "main")
	runAction(t, loadAction(t), r, workspaceWithExamples(t), "")
	if r.failed == "" || !strings.Contains(r.failed, "Install") || !strings.Contains(r.logs.String(), "checksum mismatch") {
		t.Errorf("failed step %q\n%s", r.failed, r.logs.String())
	}
	if _, ran := r.uses["actions/setup-go@v6"]; ran || r.steps["scan"] != nil {
		t.Error("a checksum mismatch must stop the action, not fall back")
	}
}

// TestActionMissingRelease: a version without a downloadable release falls
// back to a source build, with a warning.
func TestActionMissingRelease(t *testing.T) {
	needLinuxAMD64(t)
	srv := releaseServer(t, false)
	r := newRun(t, srv.URL, map[string]string{"version": "v9.9.9"}, "main")
	runAction(t, loadAction(t), r, workspaceWithExamples(t), "install")
	if r.steps["install"]["method"] != "source" || !strings.Contains(r.logs.String(), "::warning::sagefence: could not download") {
		t.Errorf("install: %v\n%s", r.steps["install"], r.logs.String())
	}
}

// fakeGo puts a `go` first on PATH that records its arguments and working
// directory and, for `go build ... -o PATH`, copies the prebuilt CLI there:
// the source-build step's shell runs as written without a minutes-long
// compile (TestActionDefinition checks it builds ./cmd/sagefence).
func fakeGo(t *testing.T) (logFile string) {
	t.Helper()
	dir := t.TempDir()
	logFile = filepath.Join(dir, "go.log")
	script := `#!/usr/bin/env bash
echo "$PWD: go $*" >> "` + logFile + `"
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out="$2"; shift; fi
  shift
done
[ -n "$out" ] && cp "` + sagefenceBinary(t) + `" "$out"
`
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return logFile
}

// TestActionSourceBuildAndNothingToUpload: at a branch ref the action builds
// from source (after setup-go) in the action's directory; with format json
// the same scan also writes the SARIF for the upload; a scan that stops
// before writing anything says there is nothing to upload and fails with
// exit 2.
func TestActionSourceBuildAndNothingToUpload(t *testing.T) {
	goLog := fakeGo(t)
	def := loadAction(t)
	ws := workspaceWithExamples(t)
	r := newRun(t, "http://127.0.0.1:1", map[string]string{"path": "infra", "format": "json", "output": "result.json", "fail-on-findings": "false"}, "main")
	runAction(t, def, r, ws, "")
	logs := r.logs.String()
	if r.steps["install"]["method"] != "source" || r.uses["actions/setup-go@v6"] == nil {
		t.Fatalf("install %v, uses %v\n%s", r.steps["install"], r.uses, logs)
	}
	root, _ := filepath.Abs("..")
	if built, _ := os.ReadFile(goLog); !strings.Contains(string(built), root+": go build -trimpath -o "+r.steps["install"]["bin"]+" ./cmd/sagefence") {
		t.Errorf("source build: %q, want go build -trimpath -o %s ./cmd/sagefence in %s", built, r.steps["install"]["bin"], root)
	}
	if r.failed != "" || r.steps["scan"]["exit-code"] != "1" {
		t.Errorf("with fail-on-findings false the action passes: failed %q, exit %q\n%s", r.failed, r.steps["scan"]["exit-code"], logs)
	}
	sarif := r.steps["scan"]["sarif-file"]
	if !strings.HasPrefix(sarif, r.runner["temp"]) || r.uses["github/codeql-action/upload-sarif@v4"]["sarif_file"] != sarif {
		t.Errorf("format json: the SARIF for the upload should come from the same scan in RUNNER_TEMP: %q %v", sarif, r.uses)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "result.json")); err != nil || !json.Valid(data) {
		t.Errorf("the json report: %v", err)
	}

	bad := newRun(t, "http://127.0.0.1:1", map[string]string{"path": "infra", "args": "--no-such-flag"}, "main")
	bad.runner["temp"] = r.runner["temp"] // reuse the built binary's directory
	runAction(t, def, bad, ws, "")
	if bad.steps["scan"]["exit-code"] != "2" || bad.steps["scan"]["sarif-file"] != "" || bad.uses["github/codeql-action/upload-sarif@v4"] != nil {
		t.Errorf("scan %v, uses %v", bad.steps["scan"], bad.uses)
	}
	if !strings.Contains(bad.logs.String(), "nothing to upload to code scanning") || bad.exitCode != 2 {
		t.Errorf("exit %d\n%s", bad.exitCode, bad.logs.String())
	}
}
