package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
)

// serveHistory records ten daily runs: nb-a passes, nb-b regresses on day 4
// and is fixed on day 7, nb-c is unknown on day 5.
func serveHistory(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	st, err := evidence.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day0 := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	for d := range 10 {
		res := &finding.Result{FormatVersion: finding.FormatVersion, Tool: finding.Tool{Name: "sagefence", Version: Version},
			Scope: &finding.Scope{Command: "audit", Accounts: []string{"111122223333"}, Regions: []string{"eu-west-1"},
				Time: day0.AddDate(0, 0, d).Format(time.RFC3339)}}
		for _, nb := range []string{"nb-a", "nb-b", "nb-c"} {
			st := finding.Pass
			switch {
			case nb == "nb-b" && d >= 4 && d < 7:
				st = finding.Fail
			case nb == "nb-c" && d == 5:
				st = finding.Unknown
			}
			observed := "Disabled"
			if st == finding.Fail {
				observed = "Enabled"
			}
			f := finding.Finding{ControlID: "sagemaker_notebook_instance_direct_internet_access_disabled", Status: st,
				Severity: finding.High, Surface: model.SurfaceAWS, Attribute: "DirectInternetAccess", Expected: "Disabled",
				Resource: finding.Resource{Type: "AWS::SageMaker::NotebookInstance", Address: nb, Name: nb,
					ARN: "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/" + nb, Account: "111122223333", Region: "eu-west-1"},
				Resolution: model.Explicit, Message: fmt.Sprintf("%s direct internet access is %s", nb, observed)}
			if st != finding.Unknown {
				f.Observed = &observed
			} else {
				f.Resolution, f.Message = model.Unknown, "DescribeNotebookInstance was throttled"
			}
			res.Findings = append(res.Findings, f)
		}
		res.Finalize()
		if _, err := st.Record(ctx, res); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServeInBrowser starts `serve` in-process on a free port and loads its
// pages in headless Chromium. With SAGEFENCE_UPDATE_SCREENSHOTS=1 the
// screenshots are written to docs/img/serve-*.png for the README.
func TestServeInBrowser(t *testing.T) {
	testutil.RequireTool(t, "chromium")
	store := filepath.Join(t.TempDir(), "evidence.db")
	serveHistory(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	done := make(chan error, 1)
	var stderr bytes.Buffer
	io := &IO{Out: &bytes.Buffer{}, ErrOut: &stderr, Getenv: func(string) string { return "" }}
	go func() {
		done <- runServe(ctx, io, &ServeOptions{StoreOptions: StoreOptions{Store: store},
			Listen: fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t)), MaxRuns: 100, ready: func(a string) { addrCh <- a }})
	}()
	var base string
	select {
	case a := <-addrCh:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve stopped: %v %s", err, stderr.String())
	}
	shotDir := t.TempDir()
	if os.Getenv("SAGEFENCE_UPDATE_SCREENSHOTS") == "1" {
		shotDir = filepath.Join("..", "..", "docs", "img")
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pages := []struct {
		name, path string
		want       []string
	}{
		{"overview", "/", []string{"Chain verified: 10 runs", `class="series-fail"`, "<svg", "sagemaker_notebook_instance_direct_internet_access_disabled", `href="/runs/10"`}},
		{"run", "/runs/5", []string{"Run 5", "nb-b direct internet access is Enabled", `class="st-fail"`, "111122223333/eu-west-1"}},
		{"resources", "/resources", []string{"Resources over time", `class="s-fail"`, `class="s-unknown"`, "nb-c"}},
	}
	for _, p := range pages {
		dom := testutil.HeadlessChromium(t, base+p.path, "--dump-dom")
		for _, w := range p.want {
			if !strings.Contains(dom, w) {
				t.Errorf("%s: the rendered page lacks %q", p.path, w)
			}
		}
		shot := filepath.Join(shotDir, "serve-"+p.name+".png")
		testutil.HeadlessChromium(t, base+p.path, "--screenshot="+shot, "--window-size=1280,900", "--hide-scrollbars")
		if fi, err := os.Stat(shot); err != nil || fi.Size() < 5000 {
			t.Errorf("screenshot %s: %v", shot, err)
		}
	}
	// Read-only: anything but GET is refused.
	resp, err := http.Post(base+"/", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down after cancel")
	}
}

// TestExportHTMLInBrowser renders `evidence export --format html` in
// headless Chromium (the file must stand alone: no external assets).
func TestExportHTMLInBrowser(t *testing.T) {
	testutil.RequireTool(t, "chromium")
	store := filepath.Join(t.TempDir(), "evidence.db")
	serveHistory(t, store)
	report := filepath.Join(t.TempDir(), "audit.html")
	code, _, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "export", "--from", "2026-03-01", "--to", "2026-03-11", "--format", "html", "-o", report)
	if code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for _, external := range []string{"http://", "https://", "<script", "<link"} {
		if strings.Contains(string(raw), external) {
			t.Errorf("the report references %q", external)
		}
	}
	dom := testutil.HeadlessChromium(t, "file://"+report, "--dump-dom")
	for _, want := range []string{"Hash chain: verified, 10 runs", "regression", "2026-03-05 06:00Z (run 5)", "2026-03-08 06:00Z (run 8, pass)",
		"PCI DSS v4.0", `class="s-unknown"`, `<table id="gaps">`} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered report lacks %q", want)
		}
	}
	shotDir := t.TempDir()
	if os.Getenv("SAGEFENCE_UPDATE_SCREENSHOTS") == "1" {
		shotDir = filepath.Join("..", "..", "docs", "img")
	}
	shot := filepath.Join(shotDir, "export-html.png")
	testutil.HeadlessChromium(t, "file://"+report, "--screenshot="+shot, "--window-size=1280,1400", "--hide-scrollbars")
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 5000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
}
