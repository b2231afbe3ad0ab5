package evidence

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// exportHistory is a hand-built history over a ten-day period (day 0 to 10):
//
//	scan infra/    day -2: a pass,  b fail
//	               day 2:  a fail,  b fail
//	               day 4:  a unknown, b pass, c fail (new)
//	               day 6:  run with errors; only b (pass) reached
//	               day 8:  a pass, c fail; b gone (clean run)
//	audit 1111     day 5:  d pass (first run of that scope)
func exportHistory(t *testing.T) *sqlStore {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "evidence.db"))
	const a, b, c = "aws_sagemaker_notebook_instance.a", "aws_sagemaker_notebook_instance.b", "aws_sagemaker_notebook_instance.c"
	withErr := result(day(6), resource{b, finding.Pass})
	withErr.Errors = []model.Error{{File: "infra/broken.tf", Line: 3, Message: "parse error"}}
	withErr.Finalize()
	audit := result(day(5), resource{"nb-d", finding.Pass})
	audit.Scope = &finding.Scope{Command: "audit", Accounts: []string{"111122223333"}, Regions: []string{"eu-west-1"}, Time: day(5).Format(time.RFC3339)}
	audit.Findings[0].Surface, audit.Findings[0].Resource.Account, audit.Findings[0].Resource.Region = model.SurfaceAWS, "111122223333", "eu-west-1"
	audit.Findings[0].Location = finding.Location{}
	for _, res := range []*finding.Result{
		result(day(-2), resource{a, finding.Pass}, resource{b, finding.Fail}),
		result(day(2), resource{a, finding.Fail}, resource{b, finding.Fail}),
		result(day(4), resource{a, finding.Unknown}, resource{b, finding.Pass}, resource{c, finding.Fail}),
		audit,
		withErr,
		result(day(8), resource{a, finding.Pass}, resource{c, finding.Fail}),
	} {
		if _, err := st.Record(context.Background(), res); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestExportArithmetic(t *testing.T) {
	st := exportHistory(t)
	rep, err := BuildReport(context.Background(), st, ExportOptions{From: day(0), To: day(10), Now: day(11)})
	if err != nil {
		t.Fatal(err)
	}
	const d = 86400.0
	byAddr := map[string]ResourceReport{}
	for _, r := range rep.Resources {
		byAddr[r.Address] = r
	}
	cases := []struct {
		address string
		want    Durations
		share   float64
	}{
		// a: pass carried in from day -2, fail, unknown, error (not reached), pass.
		{"aws_sagemaker_notebook_instance.a", Durations{Pass: 4 * d, Fail: 2 * d, Unknown: 2 * d, Error: 2 * d}, 0.4},
		// b: fail, fail, pass, pass, then gone from a clean run (absent: outside the denominator).
		{"aws_sagemaker_notebook_instance.b", Durations{Pass: 4 * d, Fail: 4 * d, Absent: 2 * d}, 0.5},
		// c: absent before day 4, fail, not reached on day 6, fail.
		{"aws_sagemaker_notebook_instance.c", Durations{Fail: 4 * d, Error: 2 * d, Absent: 4 * d}, 0},
		// d: its scope's first run is on day 5: no evidence before.
		{"nb-d", Durations{Pass: 5 * d, NoEvidence: 5 * d}, 0.5},
	}
	for _, c := range cases {
		got, ok := byAddr[c.address]
		if !ok {
			t.Errorf("%s: not in the report", c.address)
			continue
		}
		if got.Durations != c.want || got.Share == nil || math.Abs(*got.Share-c.share) > 1e-9 {
			t.Errorf("%s: seconds %+v share %v; want %+v share %v", c.address, got.Durations, deref2(got.Share), c.want, c.share)
		}
	}
	type reg struct {
		address, kind string
		started       time.Time
		ended         time.Time // zero: open
		by            string
	}
	want := []reg{
		{"aws_sagemaker_notebook_instance.b", "failing at period start", day(0), day(4), "pass"},
		{"aws_sagemaker_notebook_instance.a", "regression", day(2), day(8), "pass"},
		{"aws_sagemaker_notebook_instance.c", "new resource failing", day(4), time.Time{}, ""},
	}
	if len(rep.Regressions) != len(want) {
		t.Fatalf("regressions = %+v", rep.Regressions)
	}
	for i, w := range want {
		g := rep.Regressions[i]
		ended := time.Time{}
		if g.Ended != nil {
			ended = *g.Ended
		}
		if !strings.HasSuffix(g.Key, "|"+w.address+"|infra/main.tf") || g.Kind != w.kind || !g.Started.Equal(w.started) || !ended.Equal(w.ended) || g.EndedBy != w.by {
			t.Errorf("regression %d = %+v (ended %v); want %+v", i, g, ended, w)
		}
	}
	// Gaps: a unknown [4,6), a error [6,8), c error [6,8), d no-evidence [0,5).
	if len(rep.Gaps) != 4 {
		t.Errorf("gaps = %+v", rep.Gaps)
	}
	if len(rep.Controls) != 1 {
		t.Fatalf("controls = %+v", rep.Controls)
	}
	ctl := rep.Controls[0]
	wantShare := (4 + 4 + 0 + 5) / (10.0 + 8 + 6 + 10)
	if ctl.Resources != 4 || ctl.Regressions != 3 || ctl.Share == nil || math.Abs(*ctl.Share-wantShare) > 1e-9 || ctl.AlwaysCompliant != 0 {
		t.Errorf("control = %+v share %v, want share %v", ctl, deref2(ctl.Share), wantShare)
	}
	foundPCI := false
	for _, f := range rep.Frameworks {
		if f.Framework == "PCI DSS v4.0" && strings.Join(f.IDs, ",") == "1.3" && f.Share != nil && math.Abs(*f.Share-wantShare) < 1e-9 {
			foundPCI = true
		}
	}
	if !foundPCI {
		t.Errorf("frameworks = %+v", rep.Frameworks)
	}
	if len(rep.Runs) != 5 {
		t.Errorf("runs in period = %d, want 5 (the day -2 run is only the baseline)", len(rep.Runs))
	}
}

func deref2(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestExportStaleAfter(t *testing.T) {
	st := exportHistory(t)
	rep, err := BuildReport(context.Background(), st, ExportOptions{From: day(0), To: day(10), StaleAfter: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Resources {
		if r.Address == "nb-d" {
			// pass for 3 days after the day-5 run, then stale.
			if r.Durations.Pass != 3*86400 || r.Durations.NoEvidence != 7*86400 {
				t.Errorf("nb-d with stale-after 72h: %+v", r.Durations)
			}
			return
		}
	}
	t.Fatal("nb-d missing")
}

func TestExportFormats(t *testing.T) {
	st := exportHistory(t)
	rep, err := BuildReport(context.Background(), st, ExportOptions{From: day(0), To: day(10)})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range ExportFormats {
		var buf bytes.Buffer
		if err := WriteReport(&buf, rep, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		switch format {
		case "json":
			var back Report
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back.Resources) != 4 || len(back.Regressions) != 3 {
				t.Errorf("json: %v, %d resources", err, len(back.Resources))
			}
		case "csv":
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil || len(rows) != 5 || rows[0][14] != "compliant_share" {
				t.Fatalf("csv: %v %v", err, rows)
			}
			for _, r := range rows[1:] {
				if r[6] == "aws_sagemaker_notebook_instance.a" && (r[14] != "0.400000" || r[15] != "1" || !strings.Contains(r[1], "PCI DSS v4.0 1.3")) {
					t.Errorf("csv row for a: %v", r)
				}
			}
		case "html":
			for _, want := range []string{"still failing", "failing at period start", "no-evidence", "40.0%", "PCI DSS v4.0", `class="s-error"`, "</html>"} {
				if !strings.Contains(out, want) {
					t.Errorf("html lacks %q", want)
				}
			}
		}
	}
	if err := WriteReport(&bytes.Buffer{}, rep, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := BuildReport(context.Background(), st, ExportOptions{From: day(3), To: day(3)}); err == nil {
		t.Error("empty period accepted")
	}
}

func TestDiffRuns(t *testing.T) {
	a := result(day(0), resource{"nb.fixed", finding.Fail}, resource{"nb.broke", finding.Pass}, resource{"nb.gone", finding.Pass},
		resource{"nb.same", finding.Pass}, resource{"nb.unsure", finding.Pass})
	b := result(day(1), resource{"nb.fixed", finding.Pass}, resource{"nb.broke", finding.Fail}, resource{"nb.new", finding.Fail},
		resource{"nb.same", finding.Pass}, resource{"nb.unsure", finding.Unknown})
	// Same file and lines per position differ; the key ignores lines.
	ra, _ := NewRun(a, day(0))
	rb, _ := NewRun(b, day(1))
	ra.Seq, rb.Seq = 1, 2
	d := DiffRuns(ra, rb)
	names := func(es []DiffEntry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Resource[strings.LastIndex(e.Resource, " ")+1:]+":"+e.Before+">"+e.After)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct{ name, got, want string }{
		{"became compliant", names(d.BecameCompliant), "nb.fixed:fail>pass"},
		{"regressed", names(d.Regressed), "nb.broke:pass>fail"},
		{"changed", names(d.Changed), "nb.unsure:pass>unknown"},
		{"appeared", names(d.Appeared), "nb.new:>fail"},
		{"disappeared", names(d.Disappeared), "nb.gone:pass>"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if d.Unchanged != 1 {
		t.Errorf("unchanged = %d", d.Unchanged)
	}
}
