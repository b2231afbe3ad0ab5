package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const acct = "123456789012"

var t0 = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func at(days, hours int) time.Time {
	return t0.Add(time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour)
}

// rec is one CloudTrail record in the documented shape (CloudTrail user
// guide, "CloudTrail record contents"): SageMaker spells
// requestParameters keys in camelCase in the events we model, but callers
// of this helper may pass any case.
func rec(id, name string, when time.Time, region string, req, resp map[string]any, errorCode string) map[string]any {
	r := map[string]any{
		"eventVersion": "1.09",
		"userIdentity": map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice",
			"arn": "arn:aws:sts::" + acct + ":assumed-role/DataScience/alice", "accountId": acct,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + acct + ":role/DataScience"}},
		},
		"eventTime":          when.UTC().Format(time.RFC3339),
		"eventSource":        "sagemaker.amazonaws.com",
		"eventName":          name,
		"awsRegion":          region,
		"sourceIPAddress":    "203.0.113.7",
		"userAgent":          "aws-cli/2.15.0 Python/3.11 Linux/6.1 botocore/2.4",
		"requestParameters":  req,
		"responseElements":   resp,
		"requestID":          "req-" + id,
		"eventID":            id,
		"readOnly":           false,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": acct,
		"eventCategory":      "Management",
	}
	if errorCode != "" {
		r["errorCode"] = errorCode
		r["errorMessage"] = "User: arn:aws:sts::" + acct + ":assumed-role/DataScience/alice is not authorized to perform: sagemaker:CreateNotebookInstance with an explicit deny in a service control policy"
		r["responseElements"] = nil
	}
	return r
}

// otherRecord is a record of another service, which must be ignored.
func otherRecord(id string, when time.Time) map[string]any {
	r := rec(id, "CreateBucket", when, "us-east-1", map[string]any{"bucketName": "b"}, nil, "")
	r["eventSource"] = "s3.amazonaws.com"
	return r
}

// logFile is a gzip-compressed log file: {"Records":[...]}.
func logFile(t *testing.T, records ...map[string]any) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// logKeyFor is the documented object key of a log file delivered at when:
// [prefix/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
func logKeyFor(prefix, org, region string, when time.Time, unique string) string {
	p := prefix + "AWSLogs/"
	if org != "" {
		p += org + "/"
	}
	return fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", p, acct, region, when.Format("2006/01/02"),
		acct, region, when.Format("20060102T1504Z"), unique)
}

func writeFile(t *testing.T, root, key string, data []byte) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// scenario is the period's activity, as log files: key → records.
//
//   - "public-nb" created with DirectInternetAccess omitted (default
//     Enabled) and no subnet on day 2, updated on day 5, deleted on day 9:
//     two violation windows (direct access, not in a VPC), day 2 to day 9,
//     closed by the deletion; it no longer exists.
//   - "Private-NB" created with DirectInternetAccess Disabled, a subnet and
//     security groups (PascalCase keys): no window.
//   - "blocked-nb": CreateNotebookInstance denied by an SCP (failed call).
//   - "old-nb": existed before the period, deleted on day 3: a gap from the
//     period start to the deletion, no window.
//   - domain d-abc: created PublicInternetOnly on day 1, updated to VpcOnly
//     on day 4: one window day 1 to day 4, fixed.
//   - the same CreateNotebookInstance record delivered twice (account and
//     organization trail) counts once; an S3 record is ignored.
func scenario(t *testing.T, prefix string) map[string][]byte {
	pub := rec("e-pub-create", "CreateNotebookInstance", at(2, 0), "us-east-1",
		map[string]any{"notebookInstanceName": "public-nb", "instanceType": "ml.t3.medium", "roleArn": "arn:aws:iam::" + acct + ":role/nb"},
		map[string]any{"notebookInstanceArn": "arn:aws:sagemaker:us-east-1:" + acct + ":notebook-instance/public-nb"}, "")
	files := map[string][]byte{
		logKeyFor(prefix, "", "us-east-1", at(1, 0), "A1"): logFile(t,
			rec("e-dom-create", "CreateDomain", at(1, 0), "us-east-1",
				map[string]any{"domainName": "research", "authMode": "IAM", "subnetIds": []any{"subnet-1"}, "vpcId": "vpc-1"},
				map[string]any{"domainArn": "arn:aws:sagemaker:us-east-1:" + acct + ":domain/d-abc", "domainId": "d-abc", "url": "https://d-abc.studio.us-east-1.sagemaker.aws"}, ""),
			otherRecord("e-s3", at(1, 1))),
		logKeyFor(prefix, "", "us-east-1", at(2, 0), "A2"): logFile(t, pub,
			rec("e-priv-create", "CreateNotebookInstance", at(2, 1), "us-east-1",
				map[string]any{"NotebookInstanceName": "Private-NB", "DirectInternetAccess": "Disabled", "SubnetId": "subnet-1", "SecurityGroupIds": []any{"sg-1", "sg-2"}},
				map[string]any{"NotebookInstanceArn": "arn:aws:sagemaker:us-east-1:" + acct + ":notebook-instance/private-nb"}, ""),
			rec("e-blocked", "CreateNotebookInstance", at(2, 2), "us-east-1",
				map[string]any{"notebookInstanceName": "blocked-nb", "directInternetAccess": "Enabled"}, nil, "AccessDenied")),
		logKeyFor(prefix, "o-a1b2c3d4e5", "us-east-1", at(2, 0), "B2"): logFile(t, pub), // the organization trail's copy
		logKeyFor(prefix, "", "us-east-1", at(3, 0), "A3"): logFile(t,
			rec("e-old-delete", "DeleteNotebookInstance", at(3, 0), "us-east-1", map[string]any{"notebookInstanceName": "old-nb"}, nil, "")),
		logKeyFor(prefix, "", "us-east-1", at(4, 0), "A4"): logFile(t,
			rec("e-dom-update", "UpdateDomain", at(4, 0), "us-east-1", map[string]any{"domainId": "d-abc", "appNetworkAccessType": "VpcOnly"},
				map[string]any{"domainArn": "arn:aws:sagemaker:us-east-1:" + acct + ":domain/d-abc"}, "")),
		logKeyFor(prefix, "", "us-east-1", at(5, 0), "A5"): logFile(t,
			rec("e-pub-update", "UpdateNotebookInstance", at(5, 0), "us-east-1", map[string]any{"notebookInstanceName": "public-nb", "instanceType": "ml.t3.large"}, nil, "")),
		logKeyFor(prefix, "", "us-east-1", at(9, 0), "A9"): logFile(t,
			rec("e-pub-delete", "DeleteNotebookInstance", at(9, 0), "us-east-1", map[string]any{"notebookInstanceName": "public-nb"}, nil, "")),
		// Outside the period (before From): read but left out.
		logKeyFor(prefix, "", "us-east-1", at(-3, 0), "A0"): logFile(t,
			rec("e-before", "CreateNotebookInstance", at(-3, 0), "us-east-1", map[string]any{"notebookInstanceName": "earlier"}, nil, "")),
	}
	return files
}
