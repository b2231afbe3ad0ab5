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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/internal/testutil"
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
