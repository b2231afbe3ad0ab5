package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/integrations/securityhub"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/report"
)

// seedNotebook creates a notebook in moto through its JSON API.
func seedNotebook(t *testing.T, endpoint, name, access string) {
	t.Helper()
	body := fmt.Sprintf(`{"NotebookInstanceName":%q,"InstanceType":"ml.t2.medium","RoleArn":"arn:aws:iam::123456789012:role/nb"%s}`,
		name, map[bool]string{true: `,"DirectInternetAccess":"` + access + `","SubnetId":"subnet-0abc","SecurityGroupIds":["sg-0abc"]`, false: ""}[access != ""])
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "SageMaker.CreateNotebookInstance")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seeding %s: HTTP %d", name, resp.StatusCode)
	}
}

func TestAuditCommand(t *testing.T) {
	moto := testutil.StartMoto(t)
	seedNotebook(t, moto.URL, "public", "")
	seedNotebook(t, moto.URL, "private", "Disabled")

	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runWith(t, cliRun{errTTY: true}, "audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "json")
		if code != ExitFail {
			t.Errorf("exit %d, want 1 (a fail)", code)
		}
		if stderr != "" {
			t.Errorf("stderr in JSON mode: %q", stderr)
		}
		var res finding.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, stdout)
		}
		got := map[string]finding.Status{}
		for _, f := range res.Findings {
			if f.Surface != "aws" || f.Resource.Account != "123456789012" || f.Resource.Region != "us-east-1" || f.Resource.ARN == "" {
				t.Errorf("finding resource: %+v surface %s", f.Resource, f.Surface)
			}
			if f.ControlID == "sagemaker_notebook_instance_direct_internet_access_disabled" {
				got[f.Resource.Address] = f.Status
			}
		}
		if got["public"] != finding.Fail || got["private"] != finding.Pass || len(got) != 2 {
			t.Errorf("headline verdicts = %v", got)
		}
		if res.Scope == nil || res.Scope.Command != "audit" || strings.Join(res.Scope.Regions, ",") != "us-east-1" ||
			strings.Join(res.Scope.Accounts, ",") != "123456789012" {
			t.Errorf("scope = %+v", res.Scope)
		}
	})
	t.Run("table with progress on a terminal", func(t *testing.T) {
		code, stdout, stderr := runWith(t, cliRun{errTTY: true}, "audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "table")
		if code != ExitFail || !strings.Contains(stdout, "public") {
			t.Errorf("exit %d, table:\n%s", code, stdout)
		}
		if !strings.Contains(stderr, "regions 1/1 done") || !strings.Contains(stderr, "notebooks described") {
			t.Errorf("no progress on a terminal's stderr: %q", stderr)
		}
	})
	// The SDK's standard endpoint variables work without --endpoint-url.
	for _, env := range [][]string{
		{"AWS_ENDPOINT_URL"},
		{"AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2"},
	} {
		t.Run(strings.Join(env, "+"), func(t *testing.T) {
			for _, k := range env {
				t.Setenv(k, moto.URL)
			}
			code, stdout, _ := runWith(t, cliRun{errTTY: false}, "audit", "--region", "us-east-1", "--format", "json")
			var res finding.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatal(err)
			}
			if code != ExitFail || res.Summary.Errors != 0 || res.Summary.Fail == 0 {
				t.Errorf("exit %d, summary %+v, errors %v", code, res.Summary, res.Errors)
			}
		})
	}
	t.Run("quiet", func(t *testing.T) {
		_, _, stderr := runWith(t, cliRun{errTTY: true}, "audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "table", "--quiet")
		if stderr != "" {
			t.Errorf("--quiet printed %q", stderr)
		}
	})
	t.Run("unreachable endpoint exits 2 with one gap, and 1 with --strict", func(t *testing.T) {
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		closed := fmt.Sprintf("http://127.0.0.1:%d", testutil.FreePort(t))
		code, stdout, stderr := runWith(t, cliRun{errTTY: false}, "audit", "--endpoint-url", closed, "--region", "us-east-1", "--format", "json")
		if code != ExitError {
			t.Errorf("exit %d, want 2", code)
		}
		if !strings.Contains(stderr, "sagefence: error:") {
			t.Errorf("no error line on stderr: %q", stderr)
		}
		var res finding.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		// The unreachable account, then "nothing was audited".
		if res.Summary.Errors != 2 || res.Summary.Pass != 0 || res.Summary.Fail != 0 || res.Summary.Gaps != 1 ||
			!strings.Contains(res.Errors[len(res.Errors)-1].Message, "nothing was audited") ||
			len(res.Gaps) != 1 || res.Gaps[0].Kind != model.GapRegionUnreachable || !strings.Contains(res.Gaps[0].Reason, "connection refused") {
			t.Errorf("summary = %+v, errors %+v, gaps %+v, want two errors (the last: nothing was audited) and one region_unreachable gap", res.Summary, res.Errors, res.Gaps)
		}
		if code, _, _ := runWith(t, cliRun{errTTY: false}, "audit", "--endpoint-url", closed, "--region", "us-east-1", "--format", "json", "--strict"); code != ExitFail {
			t.Errorf("--strict with a gap: exit %d, want 1", code)
		}
	})
	t.Run("HTML answers exit 2, never a clean run", func(t *testing.T) {
		t.Setenv("AWS_MAX_ATTEMPTS", "1")
		portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!DOCTYPE html><html><body>Welcome to the hotel network</body></html>")
		}))
		defer portal.Close()
		for _, args := range [][]string{{"--region", "us-east-1"}, nil} {
			code, stdout, _ := runWith(t, cliRun{errTTY: false}, append([]string{"audit", "--endpoint-url", portal.URL, "--format", "json"}, args...)...)
			var res finding.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatal(err)
			}
			if code != ExitError || res.Summary.Pass != 0 || len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "HTML") {
				t.Errorf("%v: exit %d, summary %+v, errors %+v; want exit 2 and an error naming the HTML answer", args, code, res.Summary, res.Errors)
			}
		}
	})
	t.Run("security hub", func(t *testing.T) {
		code, stdout, stderr := runWith(t, cliRun{}, "audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "json", "--security-hub")
		if code != ExitFail {
			t.Errorf("exit %d, want 1 (a fail); stderr %q", code, stderr)
		}
		var res finding.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("imported %d finding(s) into Security Hub", len(res.Findings)); !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
		want, err := securityhub.FromResult(&res, report.ASFF{})
		if err != nil {
			t.Fatal(err)
		}
		got := securityHubFindings(t, moto.URL, "us-east-1")
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("Security Hub holds %d findings, the audit reported %d", len(got), len(want))
		}
		for _, w := range want {
			f, ok := got[aws.ToString(w.Id)]
			if !ok {
				t.Errorf("finding %s not in Security Hub", aws.ToString(w.Id))
				continue
			}
			if aws.ToString(f.AwsAccountId) != "123456789012" || f.Compliance == nil || f.Compliance.Status != w.Compliance.Status {
				t.Errorf("%s: account %s, compliance %+v", aws.ToString(w.Id), aws.ToString(f.AwsAccountId), f.Compliance)
			}
		}
	})
	t.Run("record", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "evidence.db")
		env := map[string]string{"SAGEFENCE_STORE": ""}
		code, _, stderr := runWith(t, cliRun{env: env}, "audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "json", "--record", "--store", store)
		if code != ExitFail || !strings.Contains(stderr, "recorded run 1 in "+store) {
			t.Fatalf("audit --record: exit %d, stderr %q", code, stderr)
		}
		runs := evidenceRuns(t, store)
		if len(runs) != 1 || runs[0].Command != "audit" || strings.Join(runs[0].Accounts, ",") != "123456789012" ||
			strings.Join(runs[0].Regions, ",") != "us-east-1" || len(runs[0].Paths) != 0 || runs[0].Summary.Fail == 0 {
			t.Errorf("recorded runs = %+v", runs)
		}
	})
	t.Run("record and store from the configuration file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ".sagefence.yaml"), []byte("record: true\nstore: history/evidence.db\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		store := filepath.Join(dir, "history", "evidence.db")
		audit := []string{"audit", "--endpoint-url", moto.URL, "--region", "us-east-1", "--format", "json"}
		env := map[string]string{"SAGEFENCE_STORE": ""}
		if code, _, stderr := runWith(t, cliRun{dir: dir, env: env}, append(audit, "--record=false")...); code != ExitFail || strings.Contains(stderr, "recorded") {
			t.Fatalf("--record=false: exit %d, stderr %q", code, stderr)
		}
		if _, err := os.Stat(store); !os.IsNotExist(err) {
			t.Fatalf("--record=false still opened the store: %v", err)
		}
		code, _, stderr := runWith(t, cliRun{dir: dir, env: env}, audit...)
		if code != ExitFail || !strings.Contains(stderr, "recorded run 1") {
			t.Fatalf("record: true: exit %d, stderr %q", code, stderr)
		}
		if runs := evidenceRuns(t, store); len(runs) != 1 || runs[0].Command != "audit" {
			t.Errorf("runs in the configured store: %+v", runs)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, _ := runWith(t, cliRun{errTTY: false}, "audit", "--org", "--role-arn", "arn:aws:iam::1:role/x"); code != ExitError {
			t.Errorf("--org with --role-arn: exit %d, want 2", code)
		}
		code, stdout, _ := runWith(t, cliRun{errTTY: false}, "audit", "--print-policy")
		if code != ExitOK || !strings.Contains(stdout, `"sagemaker:DescribeNotebookInstance"`) {
			t.Errorf("--print-policy: exit %d\n%s", code, stdout)
		}
	})
}

// securityHubFindings reads every finding of a region back from moto's
// Security Hub, by ID.
func securityHubFindings(t *testing.T, endpoint, region string) map[string]types.AwsSecurityFinding {
	t.Helper()
	client := awssh.New(awssh.Options{
		Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing"}, nil
		}),
	})
	got := map[string]types.AwsSecurityFinding{}
	pages := awssh.NewGetFindingsPaginator(client, &awssh.GetFindingsInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range page.Findings {
			got[aws.ToString(f.Id)] = f
		}
	}
	return got
}

// evidenceRuns lists a store's runs through `sagefence evidence list --json`.
func evidenceRuns(t *testing.T, store string) []evidence.RunInfo {
	t.Helper()
	code, out, stderr := runWith(t, cliRun{env: map[string]string{"SAGEFENCE_STORE": ""}}, "evidence", "list", "--json", "--store", store)
	if code != ExitOK {
		t.Fatalf("evidence list: exit %d, %s", code, stderr)
	}
	var runs []evidence.RunInfo
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		t.Fatalf("evidence list --json: %v\n%s", err, out)
	}
	return runs
}
