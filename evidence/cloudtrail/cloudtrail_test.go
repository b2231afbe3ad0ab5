package cloudtrail

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/control"
)

func byName(h *History) map[string]Resource {
	m := map[string]Resource{}
	for _, r := range h.Resources {
		m[r.Name] = r
	}
	return m
}

// checkScenario asserts the history of scenario() over days 0 to 14.
func checkScenario(t *testing.T, h *History) {
	t.Helper()
	res := byName(h)
	if len(h.Errors) != 0 {
		t.Errorf("errors: %+v", h.Errors)
	}
	if len(res) != 5 {
		t.Fatalf("resources %v, want public-nb, Private-NB, blocked-nb, old-nb, d-abc", keys(res))
	}
	pub := res["public-nb"]
	if len(pub.Events) != 3 || !pub.Deleted || pub.ARN == "" {
		t.Errorf("public-nb: %d events (want 3: the duplicate counts once), deleted %v, arn %q", len(pub.Events), pub.Deleted, pub.ARN)
	}
	create := pub.Events[0]
	if create.Action != "created" || create.Principal != "arn:aws:sts::"+acct+":assumed-role/DataScience/alice" || create.SourceIP != "203.0.113.7" ||
		!strings.HasPrefix(create.UserAgent, "aws-cli/") || create.DirectInternetAccess != nil {
		t.Errorf("public-nb create = %+v", create)
	}
	if len(pub.Windows) != 2 {
		t.Fatalf("public-nb windows = %+v, want direct access and not in a VPC", pub.Windows)
	}
	for _, w := range pub.Windows {
		if !w.Start.Equal(at(2, 0)) || !w.End.Equal(at(9, 0)) || w.EndReason != "deleted" || w.OpenAtEnd ||
			w.StartEvent != "e-pub-create" || w.EndEvent != "e-pub-delete" || !strings.Contains(w.StartedBy, "alice") {
			t.Errorf("public-nb window %+v", w)
		}
	}
	if w := pub.Windows[0]; w.Control != control.DirectInternetAccessID || w.Setting != "DirectInternetAccess=Enabled (default)" {
		t.Errorf("first window %s %q", w.Control, w.Setting)
	}
	var spans []string
	for _, sp := range pub.Timeline {
		if sp.Control == control.DirectInternetAccessID {
			spans = append(spans, sp.State+" "+sp.From.Format("02")+"-"+sp.To.Format("02"))
		}
	}
	if strings.Join(spans, ", ") != "absent 01-03, violating 03-10, absent 10-15" {
		t.Errorf("public-nb timeline: %s", strings.Join(spans, ", "))
	}
	var oldSpans []string
	for _, sp := range res["old-nb"].Timeline {
		oldSpans = append(oldSpans, sp.State+" "+sp.From.Format("02")+"-"+sp.To.Format("02"))
	}
	if strings.Join(oldSpans, ", ") != "unknown 01-04, absent 04-15, unknown 01-04, absent 04-15" {
		t.Errorf("old-nb timeline: %s", strings.Join(oldSpans, ", "))
	}
	priv := res["Private-NB"]
	if len(priv.Windows) != 0 || len(priv.Gaps) != 0 || priv.Events[0].DirectInternetAccess == nil || *priv.Events[0].DirectInternetAccess != "Disabled" ||
		strings.Join(priv.Events[0].SecurityGroupIDs, ",") != "sg-1,sg-2" || priv.Events[0].SubnetID == nil {
		t.Errorf("Private-NB (PascalCase keys) = %+v", priv)
	}
	blocked := res["blocked-nb"]
	if len(blocked.Events) != 1 || !blocked.Events[0].Failed() || blocked.Events[0].ErrorCode != "AccessDenied" ||
		!strings.Contains(blocked.Events[0].ErrorMessage, "service control policy") || len(blocked.Windows) != 0 || len(blocked.Gaps) != 0 {
		t.Errorf("blocked-nb (a denied create changes nothing) = %+v", blocked)
	}
	old := res["old-nb"]
	if len(old.Windows) != 0 || len(old.Gaps) != 2 || !old.Gaps[0].From.Equal(at(0, 0)) || !old.Gaps[0].To.Equal(at(3, 0)) || !old.Deleted {
		t.Errorf("old-nb (created before the period) = windows %+v gaps %+v", old.Windows, old.Gaps)
	}
	dom := res["d-abc"]
	if dom.DomainName != "research" || len(dom.Windows) != 1 || len(dom.Gaps) != 0 {
		t.Fatalf("d-abc = %+v", dom)
	}
	if w := dom.Windows[0]; w.Control != control.DomainVpcOnlyID || !w.Start.Equal(at(1, 0)) || !w.End.Equal(at(4, 0)) ||
		w.EndReason != "fixed" || w.Setting != "AppNetworkAccessType=PublicInternetOnly (default)" {
		t.Errorf("d-abc window %+v", w)
	}
	if _, ok := res["earlier"]; ok {
		t.Error("an event before --from is in the history")
	}
	s := h.Summary
	if s.Resources != 5 || s.Events != 8 || s.FailedCalls != 1 || s.ViolationWindows != 3 || s.Gaps != 2 {
		t.Errorf("summary %+v", s)
	}
}

func keys(m map[string]Resource) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	for key, data := range scenario(t, "") {
		writeFile(t, dir, key, data)
	}
	c := &Collector{From: at(0, 0), To: at(14, 0)}
	if err := c.ReadDir(dir); err != nil {
		t.Fatal(err)
	}
	checkScenario(t, c.History())

	c = &Collector{From: at(0, 0), To: at(14, 0), Regions: []string{"eu-west-1"}}
	if err := c.ReadDir(dir); err != nil {
		t.Fatal(err)
	}
	if h := c.History(); len(h.Resources) != 0 {
		t.Errorf("Regions eu-west-1 kept us-east-1's events: %+v", h.Resources)
	}
}

func TestBrokenLogFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "AWSLogs/"+acct+"/CloudTrail/us-east-1/2026/10/02/bad.json.gz", []byte{0x1f, 0x8b, 0, 1})
	writeFile(t, dir, "notes.json", []byte(`{"hello": 1}`))
	c := &Collector{From: at(0, 0), To: at(14, 0)}
	if err := c.ReadDir(dir); err != nil {
		t.Fatal(err)
	}
	h := c.History()
	if len(h.Errors) != 2 || !strings.Contains(h.Errors[0].Message+h.Errors[1].Message, "gzip") ||
		!strings.Contains(h.Errors[0].Message+h.Errors[1].Message, `no "Records"`) {
		t.Errorf("errors = %+v", h.Errors)
	}
}

// TestWindowOpenAtEndAndReopened: a domain switched back to public stays a
// window until the end of the period; a notebook created public and never
// deleted is open at the end.
func TestWindowOpenAtEndAndReopened(t *testing.T) {
	mk := func(id, name string, day int, req map[string]any) Event {
		e, ok, err := parseRecord(mustJSON(t, rec(id, name, at(day, 0), "eu-west-1", req, map[string]any{"domainId": "d-x"}, "")), "test")
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", id, ok, err)
		}
		return e
	}
	events := []Event{
		mk("1", "CreateDomain", 1, map[string]any{"domainName": "x", "appNetworkAccessType": "VpcOnly"}),
		mk("2", "UpdateDomain", 3, map[string]any{"domainId": "d-x", "appNetworkAccessType": "PublicInternetOnly"}),
		mk("3", "UpdateDomain", 4, map[string]any{"domainId": "d-x", "defaultUserSettings": map[string]any{}}),
		mk("4", "CreateNotebookInstance", 2, map[string]any{"notebookInstanceName": "nb", "directInternetAccess": "Enabled", "subnetId": "subnet-1"}),
	}
	rs := Build(events, at(0, 0), at(10, 0))
	if len(rs) != 2 {
		t.Fatalf("resources %+v", rs)
	}
	for _, r := range rs {
		if len(r.Windows) != 1 {
			t.Errorf("%s windows %+v", r.Name, r.Windows)
			continue
		}
		w := r.Windows[0]
		if !w.OpenAtEnd || !w.End.Equal(at(10, 0)) || w.EndReason != "end of period" {
			t.Errorf("%s window %+v", r.Name, w)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLookupPagination reads LookupEvents through a loopback fake (moto has
// no LookupEvents): three pages, one lookup attribute, MaxResults 50, the
// start clipped to 90 days ago and the older part of the period a gap.
func TestLookupPagination(t *testing.T) {
	fake := startLookupFake(t)
	now := at(100, 0)
	var recs []map[string]any
	for i := 0; i < 120; i++ {
		recs = append(recs, rec("n"+strconv.Itoa(i), "UpdateNotebookInstance", at(20, 0).Add(time.Duration(i)*time.Minute), "us-east-1",
			map[string]any{"notebookInstanceName": "busy"}, nil, ""))
	}
	recs = append(recs, rec("c1", "CreateNotebookInstance", at(30, 0), "us-east-1",
		map[string]any{"notebookInstanceName": "late", "directInternetAccess": "Enabled", "subnetId": "subnet-1"}, nil, ""))
	recs = append(recs, rec("too-old", "CreateNotebookInstance", at(5, 0), "us-east-1", map[string]any{"notebookInstanceName": "old"}, nil, ""))
	fake.events = recs
	c := &Collector{From: at(0, 0), To: at(40, 0), Now: now, LookupInterval: -1}
	if err := c.Lookup(context.Background(), fake.client(t), acct, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	h := c.History()
	if len(fake.tokens) != 3 || !fake.tokens[""] || !fake.tokens["50"] || !fake.tokens["100"] {
		t.Errorf("LookupEvents pages requested %v (%d calls), want 3 pages of at most 50", fake.tokens, fake.calls)
	}
	if fake.badRequest != "" {
		t.Errorf("request: %s", fake.badRequest)
	}
	res := byName(h)
	if len(res["busy"].Events) != 120 || len(res["late"].Windows) != 1 {
		t.Errorf("busy %d events, late windows %+v", len(res["busy"].Events), res["late"].Windows)
	}
	if _, ok := res["old"]; ok {
		t.Error("an event older than 90 days came back")
	}
	if len(h.Gaps) != 1 || !h.Gaps[0].From.Equal(at(0, 0)) || !h.Gaps[0].To.Equal(now.Add(-LookupRetention)) || !strings.Contains(h.Gaps[0].Reason, "90 days") {
		t.Errorf("gaps %+v", h.Gaps)
	}
}
