package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
)

// trailLog is a gzip CloudTrail log file in the documented shape: a notebook
// created with direct internet access (camelCase keys) on 2026-10-02 and
// deleted a week later by another principal.
func trailLog(t *testing.T) []byte {
	t.Helper()
	raw := `{"Records":[
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/bob","accountId":"123456789012","userName":"bob"},
 "eventTime":"2026-10-02T09:15:00Z","eventSource":"sagemaker.amazonaws.com","eventName":"CreateNotebookInstance","awsRegion":"eu-west-1",
 "sourceIPAddress":"198.51.100.4","userAgent":"Boto3/1.35.0","requestParameters":{"notebookInstanceName":"scratch","instanceType":"ml.t3.medium",
 "directInternetAccess":"Enabled","subnetId":"subnet-9","securityGroupIds":["sg-9"],"roleArn":"arn:aws:iam::123456789012:role/nb"},
 "responseElements":{"notebookInstanceArn":"arn:aws:sagemaker:eu-west-1:123456789012:notebook-instance/scratch"},
 "eventID":"11111111-1111-1111-1111-111111111111","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012"},
{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/SecOps/carol","accountId":"123456789012"},
 "eventTime":"2026-10-09T17:00:00Z","eventSource":"sagemaker.amazonaws.com","eventName":"DeleteNotebookInstance","awsRegion":"eu-west-1",
 "sourceIPAddress":"198.51.100.9","userAgent":"console.amazonaws.com","requestParameters":{"notebookInstanceName":"scratch"},"responseElements":null,
 "eventID":"22222222-2222-2222-2222-222222222222","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"123456789012"}]}`
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(raw))
	zw.Close()
	return buf.Bytes()
}

const trailKey = "AWSLogs/o-exampleorg1/123456789012/CloudTrail/eu-west-1/2026/10/02/123456789012_CloudTrail_eu-west-1_20261002T0920Z_abcdefabcdef0123.json.gz"

func checkScratchHistory(t *testing.T, stdout string) {
	t.Helper()
	var h cloudtrail.History
	if err := json.Unmarshal([]byte(stdout), &h); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if len(h.Resources) != 1 || h.Summary.ViolationWindows != 1 {
		t.Fatalf("history %+v", h)
	}
	w := h.Resources[0].Windows[0]
	if w.StartedBy != "arn:aws:iam::123456789012:user/bob" || w.EndedBy != "arn:aws:sts::123456789012:assumed-role/SecOps/carol" ||
		w.Start.Format("2006-01-02") != "2026-10-02" || w.End.Format("2006-01-02") != "2026-10-09" || w.EndReason != "deleted" {
		t.Errorf("window %+v", w)
	}
}

func TestEvidenceCloudTrailDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.FromSlash(trailKey))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, trailLog(t), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-10-01", "--to", "2026-11-01", "--dir", dir, "--format", "json")
	if code != ExitFail {
		t.Errorf("exit %d (want 1: a violation window), stderr %s", code, stderr)
	}
	checkScratchHistory(t, stdout)

	code, out, _ := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-10-01", "--to", "2026-11-01", "--dir", dir, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || code != ExitFail || len(rows) != 4 || rows[1][0] != "event" || rows[3][0] != "violation_window" {
		t.Errorf("csv exit %d err %v:\n%s", code, err, out)
	}
	code, table, _ := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-10-01", "--to", "2026-11-01", "--dir", dir, "--format", "table")
	if !strings.Contains(table, "VIOLATION sagemaker_notebook_instance_direct_internet_access_disabled: DirectInternetAccess=Enabled") ||
		!strings.Contains(table, "198.51.100.4") {
		t.Errorf("table:\n%s", table)
	}
	// Outside the period: nothing, exit 0.
	code, _, _ = runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-11-01", "--to", "2026-12-01", "--dir", dir, "--format", "json")
	if code != ExitOK {
		t.Errorf("empty period: exit %d", code)
	}
	code, _, stderr = runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-12-01", "--to", "2026-11-01", "--dir", dir)
	if code != ExitError || !strings.Contains(stderr, "is not before") {
		t.Errorf("reversed period: exit %d %s", code, stderr)
	}
}

func TestEvidenceCloudTrailBucket(t *testing.T) {
	moto := testutil.StartMoto(t)
	api := s3.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("logs/" + trailKey), Body: bytes.NewReader(trailLog(t))}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-10-01", "--to", "2026-11-01",
		"--bucket", "s3://org-trail/logs", "--endpoint-url", moto.URL, "--format", "json")
	if code != ExitFail {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	checkScratchHistory(t, stdout)
}

// TestEvidenceExportWithCloudTrail: the saved CloudTrail history is combined
// into export: the notebook no run ever saw is in the report, failing for
// its week, with who caused it; a file of another kind is refused.
func TestEvidenceExportWithCloudTrail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", filepath.FromSlash(trailKey))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, trailLog(t), 0o644); err != nil {
		t.Fatal(err)
	}
	trail := filepath.Join(dir, "trail.json")
	if code, _, stderr := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-10-01", "--to", "2026-11-01", "--dir", filepath.Join(dir, "logs"),
		"--format", "json", "-o", trail); code != ExitFail {
		t.Fatalf("cloudtrail: exit %d %s", code, stderr)
	}
	store := filepath.Join(dir, "evidence.db")
	env := cliRun{env: map[string]string{"SAGEFENCE_STORE": ""}}
	code, out, stderr := runWith(t, env, "evidence", "export", "--from", "2026-10-01", "--to", "2026-11-01", "--store", store,
		"--cloudtrail", trail, "--format", "json")
	if code != ExitOK {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	var rep evidence.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var fail float64
	for _, r := range rep.Resources {
		if r.Address == "scratch" && r.ControlID == "sagemaker_notebook_instance_direct_internet_access_disabled" {
			fail = r.Durations.Fail
		}
	}
	if want := (7*24*time.Hour + 7*time.Hour + 45*time.Minute).Seconds(); fail != want {
		t.Errorf("scratch fail seconds %v, want %v", fail, want)
	}
	if len(rep.Windows) != 1 || rep.Windows[0].CausedBy != "arn:aws:iam::123456789012:user/bob" || len(rep.Sources) != 1 {
		t.Errorf("windows %+v sources %v", rep.Windows, rep.Sources)
	}
	code, _, stderr = runWith(t, env, "evidence", "export", "--from", "2026-10-01", "--to", "2026-11-01", "--store", store,
		"--witnesses", trail, "--format", "json")
	if code != ExitError || !strings.Contains(stderr, "is not the JSON of 'sagefence audit --witnesses") {
		t.Errorf("a history given as --witnesses: exit %d %s", code, stderr)
	}
}

// ctRecord is one SageMaker CloudTrail record (documented record shape).
func ctRecord(id, name, when, principal, nb string, params map[string]any) map[string]any {
	params["notebookInstanceName"] = nb
	return map[string]any{"eventVersion": "1.09", "eventID": id, "eventName": name, "eventTime": when,
		"eventSource": "sagemaker.amazonaws.com", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
		"userIdentity":    map[string]any{"type": "AssumedRole", "arn": principal, "accountId": "111122223333"},
		"sourceIPAddress": "192.0.2.10", "userAgent": "Boto3/1.35.0", "requestParameters": params, "responseElements": nil,
		"readOnly": false, "eventType": "AwsApiCall"}
}

// TestExportCombinedInBrowser renders the combined audit-period report
// (serve_test's daily audits, a CloudTrail history and a witnessed audit) in
// headless Chromium. nb-b was recreated with direct internet access by bob
// before the day-4 audit saw it failing, and "ghost" lived for a day and a
// half between two audits. With SAGEFENCE_UPDATE_SCREENSHOTS=1 the
// screenshot is docs/img/export-combined.png.
func TestExportCombinedInBrowser(t *testing.T) {
	testutil.RequireTool(t, "chromium")
	shotDir := t.TempDir()
	if os.Getenv("SAGEFENCE_UPDATE_SCREENSHOTS") == "1" {
		abs, err := filepath.Abs(filepath.Join("..", "..", "docs", "img"))
		if err != nil {
			t.Fatal(err)
		}
		shotDir = abs
	}
	dir := t.TempDir()
	t.Chdir(dir) // the report names its inputs as given: short relative paths
	store := filepath.Join(dir, "evidence.db")
	serveHistory(t, store)
	const bob, carol = "arn:aws:sts::111122223333:assumed-role/DataScience/bob", "arn:aws:sts::111122223333:assumed-role/SecOps/carol"
	enabled := map[string]any{"directInternetAccess": "Enabled", "subnetId": "subnet-1", "securityGroupIds": []any{"sg-1"}}
	disabled := map[string]any{"directInternetAccess": "Disabled", "subnetId": "subnet-1", "securityGroupIds": []any{"sg-1"}}
	raw, err := json.Marshal(map[string]any{"Records": []any{
		ctRecord("g1", "CreateNotebookInstance", "2026-03-03T10:00:00Z", bob, "ghost", map[string]any{"directInternetAccess": "Enabled"}),
		ctRecord("g2", "DeleteNotebookInstance", "2026-03-04T18:00:00Z", carol, "ghost", map[string]any{}),
		ctRecord("b1", "DeleteNotebookInstance", "2026-03-05T05:00:00Z", bob, "nb-b", map[string]any{}),
		ctRecord("b2", "CreateNotebookInstance", "2026-03-05T05:30:00Z", bob, "nb-b", enabled),
		ctRecord("b3", "DeleteNotebookInstance", "2026-03-08T05:00:00Z", carol, "nb-b", map[string]any{}),
		ctRecord("b4", "CreateNotebookInstance", "2026-03-08T05:30:00Z", carol, "nb-b", disabled),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	logDir := filepath.Join(dir, "logs", "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2026", "03", "05")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logDir, "111122223333_CloudTrail_eu-west-1_20260305T0535Z_0123456789abcdef.json.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	trail := "trail.json"
	if code, _, stderr := runWith(t, cliRun{}, "evidence", "cloudtrail", "--from", "2026-03-01", "--to", "2026-03-11", "--dir", "logs", "-o", trail, "--format", "json"); code != ExitFail {
		t.Fatalf("cloudtrail: %d %s", code, stderr)
	}
	witnessed := &finding.Result{FormatVersion: finding.FormatVersion, Tool: finding.Tool{Name: "sagefence", Version: Version},
		Scope: &finding.Scope{Command: "audit", Accounts: []string{"111122223333"}, Regions: []string{"eu-west-1"}, Time: "2026-03-06T06:00:00Z"},
		Findings: []finding.Finding{{ControlID: "sagemaker_notebook_instance_direct_internet_access_disabled", Status: finding.Fail, Surface: model.SurfaceAWS,
			Resource: finding.Resource{Type: "AWS::SageMaker::NotebookInstance", Address: "nb-b", Name: "nb-b", Account: "111122223333", Region: "eu-west-1"},
			Witnesses: []finding.Witness{{Source: "aws-config", Rule: "sagemaker-notebook-no-direct-internet-access", Status: "COMPLIANT",
				Evaluated: "2026-03-04T23:00:00Z", Outcome: "disagrees"}, {Source: "security-hub", Rule: "SageMaker.1", Status: "FAILED",
				Evaluated: "2026-03-06T01:00:00Z", Agrees: true, Outcome: "agrees", WorkflowStatus: "NEW", RecordState: "ACTIVE"}}}}}
	witnessFile := "audit.json"
	wraw, _ := json.Marshal(witnessed)
	if err := os.WriteFile(witnessFile, wraw, 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "combined.html")
	code, _, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": store}}, "evidence", "export", "--from", "2026-03-01", "--to", "2026-03-11",
		"--cloudtrail", trail, "--witnesses", witnessFile, "--format", "html", "-o", report)
	if code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	dom := testutil.HeadlessChromium(t, "file://"+report, "--dump-dom")
	for _, want := range []string{`<table id="windows">`, bob, carol, "ghost", "src-cloudtrail", "disagrees", "SageMaker.1", "Combined with: CloudTrail"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered report lacks %q", want)
		}
	}
	shot := filepath.Join(shotDir, "export-combined.png")
	testutil.HeadlessChromium(t, "file://"+report, "--screenshot="+shot, "--window-size=1440,2300", "--hide-scrollbars")
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 5000 {
		t.Errorf("screenshot %s: %v", shot, err)
	}
}
