package evidence

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

const (
	ctAccount = "111122223333"
	ctRegion  = "eu-west-1"
	alice     = "arn:aws:sts::111122223333:assumed-role/DataScience/alice"
	carol     = "arn:aws:sts::111122223333:assumed-role/SecOps/carol"
)

// auditRun is an audit result at a time: the headline control on live notebooks.
func auditRun(at time.Time, nbs ...resource) *finding.Result {
	res := result(at, nbs...)
	res.Scope = &finding.Scope{Command: "audit", Accounts: []string{ctAccount}, Regions: []string{ctRegion}, Time: at.Format(time.RFC3339)}
	for i := range res.Findings {
		f := &res.Findings[i]
		f.Surface, f.Location = model.SurfaceAWS, finding.Location{}
		f.Resource = finding.Resource{Type: "AWS::SageMaker::NotebookInstance", Address: nbs[i].address, Name: nbs[i].address,
			Account: ctAccount, Region: ctRegion, ARN: "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/" + nbs[i].address}
	}
	res.Finalize()
	return res
}

func trailEvent(id, name string, at time.Time, nb, principal string, access *string, subnet *string) cloudtrail.Event {
	act := map[string]string{"CreateNotebookInstance": "created", "DeleteNotebookInstance": "deleted"}[name]
	return cloudtrail.Event{Time: at, EventID: id, EventName: name, Action: act, ResourceType: cloudtrail.TypeNotebook,
		Resource: nb, Account: ctAccount, Region: ctRegion, Principal: principal, DirectInternetAccess: access, SubnetID: subnet}
}

// combinedHistory: audits on day 3 and 7 see nb-a passing; CloudTrail shows
// nb-a created compliant on day 1 and deleted on day 8, and "ghost" created
// with direct internet access on day 2 and deleted on day 6, which no audit
// saw. An audit --witnesses result on day 7 has AWS Config agreeing on nb-a.
func combinedReport(t *testing.T, withTrail bool) *Report {
	t.Helper()
	st := openStore(t, filepath.Join(t.TempDir(), "evidence.db"))
	for _, res := range []*finding.Result{auditRun(day(3), resource{"nb-a", finding.Pass}), auditRun(day(7), resource{"nb-a", finding.Pass})} {
		if _, err := st.Record(context.Background(), res); err != nil {
			t.Fatal(err)
		}
	}
	o := ExportOptions{From: day(0), To: day(10), Now: day(11)}
	if withTrail {
		events := []cloudtrail.Event{
			trailEvent("1", "CreateNotebookInstance", day(1), "nb-a", alice, strp("Disabled"), strp("subnet-1")),
			trailEvent("2", "CreateNotebookInstance", day(2), "ghost", alice, strp("Enabled"), nil),
			trailEvent("3", "DeleteNotebookInstance", day(6), "ghost", carol, nil, nil),
			trailEvent("4", "DeleteNotebookInstance", day(8), "nb-a", carol, nil, nil),
		}
		h := &cloudtrail.History{Period: cloudtrail.Period{From: day(0), To: day(10)}, Resources: cloudtrail.Build(events, day(0), day(10))}
		witnessed := auditRun(day(7), resource{"nb-a", finding.Pass})
		witnessed.Findings[0].Witnesses = []finding.Witness{{Source: "aws-config", Rule: "sagemaker-notebook-no-direct-internet-access",
			Status: "COMPLIANT", Evaluated: day(6).Format(time.RFC3339), Agrees: true, Outcome: "agrees"}}
		o.CloudTrail, o.Witnesses, o.SourceNames = []*cloudtrail.History{h}, []*finding.Result{witnessed}, []string{"trail.json", "audit.json"}
	}
	rep, err := BuildReport(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func days(rep *Report, address, controlID string) (Durations, *float64, []Segment) {
	for _, r := range rep.Resources {
		if r.Address == address && r.ControlID == controlID {
			return r.Durations, r.Share, r.Segments
		}
	}
	return Durations{}, nil, nil
}

// TestExportCombinesCloudTrailAndWitnesses: CloudTrail turns the time
// before the first audit into pass (created compliant) and absent (before
// creation), ends nb-a at its deletion, and adds the ghost notebook no audit
// saw with its violation window and who caused it; the witness is attached
// and changes nothing.
func TestExportCombinesCloudTrailAndWitnesses(t *testing.T) {
	const d = 86400.0
	dia := control.DirectInternetAccessID
	runsOnly := combinedReport(t, false)
	if du, share, _ := days(runsOnly, "nb-a", dia); du.NoEvidence != 3*d || du.Pass != 7*d || share == nil || math.Abs(*share-0.7) > 1e-9 {
		t.Fatalf("runs only: nb-a %+v share %v (want 3 days no-evidence, 7 pass)", du, share)
	}
	rep := combinedReport(t, true)
	du, share, segs := days(rep, "nb-a", dia)
	if du.Absent != 3*d || du.Pass != 7*d || du.Gaps() != 0 || share == nil || *share != 1 {
		t.Errorf("nb-a %+v share %v: want absent days 0-1 and 8-10, pass 1-8", du, share)
	}
	if len(segs) == 0 || segs[0].Source != SourceCloudTrail || segs[0].State != StateAbsent || !segs[len(segs)-1].Start.Equal(day(8)) {
		t.Errorf("nb-a segments %+v", segs)
	}
	du, share, _ = days(rep, "ghost", dia)
	if du.Fail != 4*d || du.Absent != 6*d || share == nil || *share != 0 {
		t.Errorf("ghost %+v share %v: want fail days 2-6", du, share)
	}
	if du, _, _ := days(rep, "ghost", control.InVPCID); du.Fail != 4*d {
		t.Errorf("ghost in_vpc %+v: created without a subnet", du)
	}
	var ghostWindows int
	for _, w := range rep.Windows {
		if strings.HasSuffix(w.Resource, "ghost") {
			ghostWindows++
			if w.Source != SourceCloudTrail || w.CausedBy != alice || w.EndedBy != carol || !w.Start.Equal(day(2)) || w.End == nil || !w.End.Equal(day(6)) {
				t.Errorf("ghost window %+v", w)
			}
		}
	}
	if ghostWindows != 2 {
		t.Errorf("ghost windows %d, want 2 (%+v)", ghostWindows, rep.Windows)
	}
	if len(rep.Witnesses) != 1 || rep.Witnesses[0].Outcome != "agrees" || !strings.HasSuffix(rep.Witnesses[0].Resource, "nb-a") {
		t.Errorf("witnesses %+v", rep.Witnesses)
	}
	for _, c := range rep.Controls {
		if c.ControlID == dia && (c.ViolationWindows != 1 || c.Witnesses["agrees"] != 1 || c.Share == nil || math.Abs(*c.Share-7.0/11.0) > 1e-9) {
			t.Errorf("control %+v share %v: want 7 pass days of 11 in scope", c, *c.Share)
		}
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, rep, "csv"); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || rows[0][18] != "violation_windows" || rows[0][19] != "caused_by" || rows[0][20] != "witnesses" {
		t.Fatalf("csv header %v %v", rows[0], err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[6] == "ghost" && r[0] == dia {
			found = r[18] == "1" && r[19] == alice
		}
	}
	if !found {
		t.Errorf("csv has no ghost row with its window and cause: %v", rows)
	}
	buf.Reset()
	if err := WriteReport(&buf, rep, "html"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="windows"`, alice, "src-cloudtrail", "sagemaker-notebook-no-direct-internet-access", "trail.json"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("html lacks %q", want)
		}
	}
}

// TestCombineState is the precedence table of combineState.
func TestCombineState(t *testing.T) {
	for _, tt := range []struct {
		run  State
		ct   string
		want State
		src  string
	}{
		{StateNoEvidence, cloudtrail.SpanCompliant, StatePass, SourceCloudTrail},
		{StateUnknown, cloudtrail.SpanViolating, StateFail, SourceCloudTrail},
		{StatePass, cloudtrail.SpanViolating, StateFail, SourceCloudTrail},
		{StateFail, cloudtrail.SpanCompliant, StateFail, ""},
		{StateSuppressed, cloudtrail.SpanViolating, StateSuppressed, ""},
		{StatePass, cloudtrail.SpanAbsent, StateAbsent, SourceCloudTrail},
		{StateError, cloudtrail.SpanUnknown, StateError, ""},
		{StateNoEvidence, cloudtrail.SpanUnknown, StateNoEvidence, ""},
	} {
		got := combineState(Segment{State: tt.run}, tt.ct)
		if got.State != tt.want || got.Source != tt.src {
			t.Errorf("runs %s + cloudtrail %s = %s (%s), want %s (%s)", tt.run, tt.ct, got.State, got.Source, tt.want, tt.src)
		}
	}
}
