package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
)

// TestHTMLSelfContained: the report loads nothing: no external script,
// stylesheet, image or font, and every link stays inside the page.
func TestHTMLSelfContained(t *testing.T) {
	out := string(render(t, "html", Options{}))
	for _, bad := range []string{"<script", "<link", "<img", "@import", "url(", "<iframe"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains %q: it must be self-contained", bad)
		}
	}
	for _, m := range regexp.MustCompile(`(?:href|src)="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("reference leaves the page: %s", m[0])
		}
	}
	for _, want := range []string{"@media print", `role="img"`, `lang="en"`, `scope="col"`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q (print CSS / accessibility)", want)
		}
	}
}

// chromium runs headless Chromium on a file with the given extra flags and
// returns its standard output.
func chromium(t *testing.T, file string, flags ...string) string {
	t.Helper()
	bin := testutil.RequireTool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(),
	}, flags...)
	args = append(args, "file://"+file)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chromium %v: %v\n%s", flags, err, stderr)
	}
	return string(out)
}

// TestHTMLInChromium renders the report in a real browser and checks the
// DOM it built: the scope, the counts, the chart, the framework table, the
// findings with their resolved values and fixes, suppressions and errors.
// With SAGEFENCE_SCREENSHOT=path it also writes a PNG screenshot there (used
// for docs/img/html-report.png).
func TestHTMLInChromium(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, "html", Options{}), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := chromium(t, page, "--dump-dom")
	checks := []struct{ what, pattern string }{
		{"title", `<title>sagefence evidence report — 2026-11-25T12:00:00Z</title>`},
		{"scope paths", `<dt>Paths</dt><dd><code>infra</code>, <code>cfn</code></dd>`},
		{"tool version", `sagefence 0.1.0 \(result format ` + regexp.QuoteMeta(finding.FormatVersion) + `\)`},
		{"fail count", `id="count-fail">3<`},
		{"unknown count", `id="count-unknown">1<`},
		{"suppressed count", `id="count-suppressed">2<`},
		{"pass count", `id="count-pass">2<`},
		{"error count", `id="count-errors">2<`},
		{"chart per control", `<svg id="chart-controls" role="img"`},
		{"chart per surface", `<svg id="chart-surfaces" role="img"`},
		{"chart segments", `<rect class="seg seg-fail"`},
		{"chart text alternative", `sagemaker_notebook_instance_direct_internet_access_disabled: 2 fail, 1 unknown, 1 suppressed, 1 pass`},
		{"framework SOC 2", `<caption>SOC 2</caption>`},
		{"framework PCI", `<caption>PCI DSS v4.0</caption>`},
		{"framework HIPAA", `<caption>HIPAA</caption>`},
		{"framework NIST", `<caption>NIST SP 800-53 Rev 5</caption>`},
		{"framework FedRAMP", `<caption>FedRAMP Moderate Rev 4</caption>`},
		{"requirement failing", `<th scope="row">SC-7</th>.*?<td><span class="badge st-fail">fail</span></td>`},
		{"resolved value", `<code>direct_internet_access</code> = <strong>Enabled</strong><br><span class="muted">default; expected Disabled</span>`},
		{"value origin", `from var\.subnet_id default in infra/ml/variables\.tf:4`},
		{"unknown shown", `<strong>\(unknown\)</strong>`},
		{"fix", `Set direct_internet_access = "Disabled" with subnet_id`},
		{"replacement warning", `Forces replacement`},
		{"address escaped", `module\.ml\.aws_sagemaker_notebook_instance\.this\[&quot;research&quot;\]|this\["research"\]`},
		{"suppression reason", `<td>vendor notebook, isolated account</td><td><time datetime="2027-03-31">2027-03-31</time></td>`},
		{"suppression without expiry", `sandbox domain &lt;no data&gt;, reviewed by SecOps</td><td>never</td>`},
		{"input error", `cfn/broken\.yaml:7: yaml: mapping values are not allowed here`},
		{"live error", `account 123456789012 region ap-south-1: AccessDenied`},
		{"live ARN", `arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/data-science`},
	}
	for _, c := range checks {
		if !regexp.MustCompile(`(?s)` + c.pattern).MatchString(dom) {
			t.Errorf("rendered DOM lacks %s (%s)", c.what, c.pattern)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	// the browser lays the findings rows out, one per finding, and the gaps
	// one line each
	if n, want := strings.Count(dom, `<tr class="finding`), len(fixtureResult().Findings); n != want {
		t.Errorf("rendered %d finding rows, want %d", n, want)
	}
	if !strings.Contains(dom, `id="count-gaps">2<`) || strings.Count(dom, "[module_not_downloaded;") != 1 {
		t.Errorf("rendered DOM lacks the gaps count or the module gap line")
	}
	shot := filepath.Join(dir, "shot.png")
	if p := os.Getenv("SAGEFENCE_SCREENSHOT"); p != "" {
		shot, _ = filepath.Abs(p)
	}
	chromium(t, page, "--screenshot="+shot, "--window-size=1200,1800", "--hide-scrollbars")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if len(png) < 10_000 || string(png[1:4]) != "PNG" {
		t.Errorf("screenshot is not a real PNG (%d bytes)", len(png))
	}

	// printable: the browser's print path lays it out on several pages
	pdfPath := filepath.Join(dir, "report.pdf")
	chromium(t, page, "--print-to-pdf="+pdfPath, "--no-pdf-header-footer")
	pdf, err := os.ReadFile(pdfPath)
	if err != nil {
		t.Fatalf("no PDF: %v", err)
	}
	m := regexp.MustCompile(`/Type /Pages[^>]*?/Count (\d+)|/Count (\d+)`).FindSubmatch(pdf)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || m == nil {
		t.Fatalf("printing did not produce a PDF with a page tree (%d bytes)", len(pdf))
	}
	if pages, _ := strconv.Atoi(string(append(m[1], m[2]...))); pages < 2 {
		t.Errorf("printed report has %d page(s); the fixture fills several", pages)
	}
}

// TestHTMLAuditScope: an audit result shows accounts and regions, not paths.
func TestHTMLAuditScope(t *testing.T) {
	r := fixtureResult()
	r.Scope = &finding.Scope{Command: "audit", Accounts: []string{"123456789012", "210987654321"}, Regions: []string{"eu-west-1", "us-east-1"}, Time: "2026-11-25T12:00:00Z"}
	var buf bytes.Buffer
	if err := (HTML{}).Format(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"<code>sagefence audit</code>", "<dt>Accounts</dt><dd>123456789012, 210987654321</dd>", "<dt>Regions</dt><dd>eu-west-1, us-east-1</dd>"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit scope lacks %q", want)
		}
	}
	if strings.Contains(out, "<dt>Paths</dt>") {
		t.Error("audit scope shows paths")
	}
}
