package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
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
	t.Run("unreachable endpoint exits 2 with unknowns", func(t *testing.T) {
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
		if res.Summary.Errors != 1 || res.Summary.Pass != 0 || res.Summary.Fail != 0 || res.Summary.Unknown == 0 {
			t.Errorf("summary = %+v, want one error and only unknowns", res.Summary)
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
