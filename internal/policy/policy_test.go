package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

func fnd(addr string, st finding.Status, sev finding.Severity, line int) finding.Finding {
	return finding.Finding{
		ControlID: "c1", Status: st, Severity: sev, Surface: "terraform",
		Resource: finding.Resource{Address: addr}, Location: finding.Location{File: "main.tf", StartLine: line},
	}
}

func result(fs ...finding.Finding) *finding.Result {
	r := &finding.Result{FormatVersion: finding.FormatVersion, Findings: fs}
	r.Finalize()
	return r
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "baseline.json")
	raw, _ := json.Marshal(v)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBaseline(t *testing.T) {
	prev := result(
		fnd("a", finding.Fail, finding.High, 3),
		fnd("b", finding.Pass, finding.High, 10),
		fnd("c", finding.Suppressed, finding.High, 20),
		fnd("u", finding.Unknown, finding.High, 30),
	)
	b, err := LoadBaseline(writeJSON(t, prev))
	if err != nil {
		t.Fatal(err)
	}
	cur := result(
		fnd("a", finding.Fail, finding.High, 9),     // same resource moved down: already failing
		fnd("b", finding.Fail, finding.High, 10),    // was passing: new fail
		fnd("c", finding.Fail, finding.High, 20),    // was suppressed (the suppression expired): known
		fnd("d", finding.Fail, finding.Medium, 40),  // new resource
		fnd("u", finding.Unknown, finding.High, 30), // unknowns are kept
		fnd("p", finding.Pass, finding.High, 50),
	)
	b.Apply(cur)
	got := map[string]finding.Status{}
	for _, f := range cur.Findings {
		got[f.Resource.Address] = f.Status
	}
	want := map[string]finding.Status{"b": finding.Fail, "d": finding.Fail, "u": finding.Unknown, "p": finding.Pass}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if cur.Baseline == nil || cur.Baseline.MatchedFails != 2 || cur.Summary.Fail != 2 {
		t.Errorf("baseline %+v summary %+v", cur.Baseline, cur.Summary)
	}
}

func TestLoadBaselineErrors(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "x.json")
	os.WriteFile(notJSON, []byte("<xml/>"), 0o644)
	for name, path := range map[string]string{
		"missing":      filepath.Join(dir, "none.json"),
		"not JSON":     notJSON,
		"not a result": writeJSON(t, map[string]any{"runs": []any{}}),
	} {
		if _, err := LoadBaseline(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestGate(t *testing.T) {
	withErr := result(fnd("a", finding.Fail, finding.Low, 1))
	withErr.Errors = []model.Error{{File: "x.tf", Message: "bad"}}
	withErr.Finalize()
	cases := []struct {
		name string
		res  *finding.Result
		gate Gate
		want int
	}{
		{"no findings", result(), Gate{}, ExitOK},
		{"low fail, default threshold", result(fnd("a", finding.Fail, finding.Low, 1)), Gate{}, ExitFail},
		{"low fail under medium", result(fnd("a", finding.Fail, finding.Low, 1)), Gate{Threshold: finding.Medium}, ExitOK},
		{"high fail over medium", result(fnd("a", finding.Fail, finding.High, 1)), Gate{Threshold: finding.Medium}, ExitFail},
		{"medium fail at medium", result(fnd("a", finding.Fail, finding.Medium, 1)), Gate{Threshold: finding.Medium}, ExitFail},
		{"unknown not strict", result(fnd("a", finding.Unknown, finding.High, 1)), Gate{}, ExitOK},
		{"unknown strict", result(fnd("a", finding.Unknown, finding.High, 1)), Gate{Strict: true}, ExitFail},
		{"unknown strict under threshold", result(fnd("a", finding.Unknown, finding.Low, 1)), Gate{Strict: true, Threshold: finding.High}, ExitOK},
		{"gap not strict", withGap(result(), finding.High), Gate{}, ExitOK},
		{"gap strict", withGap(result(), finding.High), Gate{Strict: true}, ExitFail},
		{"gap strict under threshold", withGap(result(), finding.Low), Gate{Strict: true, Threshold: finding.Medium}, ExitOK},
		{"gap strict with an error", withGap(addErr(result()), finding.Medium), Gate{Strict: true}, ExitFail},
		{"suppressed", result(fnd("a", finding.Suppressed, finding.High, 1)), Gate{}, ExitOK},
		{"fail under threshold with error", withErr, Gate{Threshold: finding.High}, ExitError},
		{"fail with error", withErr, Gate{}, ExitFail},
		{"no severity counts as high", result(fnd("a", finding.Fail, "", 1)), Gate{Threshold: finding.High}, ExitFail},
	}
	for _, c := range cases {
		if got := c.gate.ExitCode(c.res); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]finding.Severity{"": finding.Low, "HIGH": finding.High, "medium": finding.Medium, "Critical": finding.High} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("severe accepted")
	}
}

func TestParseGateLists(t *testing.T) {
	low, med, high := fnd("a", finding.Fail, finding.Low, 1), fnd("b", finding.Fail, finding.Medium, 2), fnd("c", finding.Fail, finding.High, 3)
	for _, tc := range []struct {
		flag string
		res  *finding.Result
		want int
	}{
		{"HIGH,CRITICAL", result(med), ExitOK},
		{"HIGH,CRITICAL", result(high), ExitFail},
		{"critical", result(high), ExitFail},
		{"critical", result(med), ExitOK},
		{"low,high", result(med), ExitOK},
		{"low,high", result(low), ExitFail},
		{"Medium", result(low), ExitOK},
		{"Medium", result(high), ExitFail},
		{" medium , HIGH ", result(med), ExitFail},
	} {
		g, err := ParseGate(tc.flag)
		if err != nil {
			t.Fatalf("%q: %v", tc.flag, err)
		}
		if got := g.ExitCode(tc.res); got != tc.want {
			t.Errorf("--severity %q on a %s fail: exit %d, want %d", tc.flag, tc.res.Findings[0].Severity, got, tc.want)
		}
	}
	for _, bad := range []string{"high,", "high,urgent", ","} {
		if _, err := ParseGate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFailCode(t *testing.T) {
	fails := result(fnd("a", finding.Fail, finding.High, 1))
	withErr := result(fnd("a", finding.Fail, finding.High, 1))
	withErr.Errors = []model.Error{{File: "x.tf", Message: "bad"}}
	withErr.Finalize()
	for _, tc := range []struct {
		name     string
		code     int
		res      *finding.Result
		soft     bool
		failCode int
		want     int
	}{
		{"default", ExitFail, fails, false, ExitFail, ExitFail},
		{"exit-code 3", ExitFail, fails, false, 3, 3},
		{"soft fail", ExitFail, fails, true, ExitFail, ExitOK},
		{"soft fail keeps errors", ExitFail, withErr, true, ExitFail, ExitError},
		{"exit-code 0 keeps errors", ExitFail, withErr, false, 0, ExitError},
		{"error passes through", ExitError, withErr, true, 7, ExitError},
		{"ok passes through", ExitOK, result(), false, 7, ExitOK},
	} {
		if got := FailCode(tc.code, tc.res, tc.soft, tc.failCode); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// withGap adds one module gap that concerns a control of severity sev.
func withGap(r *finding.Result, sev finding.Severity) *finding.Result {
	r.Gaps = append(r.Gaps, finding.Gap{Kind: model.GapModuleNotDownloaded, Surface: "terraform", Address: "module.x",
		Controls: []string{"c1"}, Severity: sev, Reason: "module source \"x\" is not on disk"})
	r.Finalize()
	return r
}

// addErr adds one input error.
func addErr(r *finding.Result) *finding.Result {
	r.Errors = append(r.Errors, model.Error{File: "main.tf", Line: 1, Message: "bad"})
	r.Finalize()
	return r
}
