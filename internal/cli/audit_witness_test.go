package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
)

// TestAuditWitnesses runs `audit --witnesses` end to end: notebooks and the
// managed Config rule in moto, the rule's evaluations from testutil.ConfigFake
// (moto lacks GetComplianceDetailsByConfigRule; the fake answers in the API
// reference's shape and forwards everything else to moto). The stale
// COMPLIANT evaluation of a failing notebook is a disagreement; Security Hub
// (moto, no findings) knows neither notebook; sagefence's verdicts and the
// exit code are those of the audit without witnesses.
func TestAuditWitnesses(t *testing.T) {
	moto := testutil.StartMoto(t)
	seedNotebook(t, moto.URL, "public", "")
	seedNotebook(t, moto.URL, "private", "Disabled")
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "testing"), BaseEndpoint: aws.String(moto.URL)}
	if _, err := configservice.NewFromConfig(cfg).PutConfigRule(context.Background(), &configservice.PutConfigRuleInput{ConfigRule: &cstypes.ConfigRule{
		ConfigRuleName: aws.String("nb-no-internet"), Source: &cstypes.Source{Owner: cstypes.OwnerAws, SourceIdentifier: aws.String("SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS")}}}); err != nil {
		t.Fatal(err)
	}
	fake := testutil.StartConfigFake(t, moto.URL)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	fake.Add("nb-no-internet",
		testutil.ConfigEvaluation{Account: "123456789012", Region: "us-east-1", ResourceType: "AWS::SageMaker::NotebookInstance", ResourceID: "public", Compliance: "COMPLIANT", Invoked: at, Recorded: at},
		testutil.ConfigEvaluation{Account: "123456789012", Region: "us-east-1", ResourceType: "AWS::SageMaker::NotebookInstance", ResourceID: "private", Compliance: "COMPLIANT", Invoked: at, Recorded: at})

	code, stdout, _ := runWith(t, cliRun{}, "audit", "--endpoint-url", fake.URL, "--region", "us-east-1", "--witnesses", "--format", "json")
	if code != ExitFail {
		t.Errorf("exit %d, want 1 (the public notebook fails; witnesses change nothing)", code)
	}
	var res finding.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if res.FormatVersion != finding.FormatVersion {
		t.Errorf("format_version %q", res.FormatVersion)
	}
	got := map[string]string{}
	for _, f := range res.Findings {
		if f.ControlID != "sagemaker_notebook_instance_direct_internet_access_disabled" {
			continue
		}
		for _, w := range f.Witnesses {
			got[f.Resource.Address+" "+w.Source+" "+w.Rule] = string(f.Status) + " " + w.Status + " " + w.Outcome + " " + w.Evaluated
		}
	}
	want := map[string]string{
		"public aws-config nb-no-internet":  "fail COMPLIANT disagrees 2026-11-01T00:00:00Z",
		"private aws-config nb-no-internet": "pass COMPLIANT agrees 2026-11-01T00:00:00Z",
		"public security-hub SageMaker.1":   "fail NO_FINDING not_evaluated ",
		"private security-hub SageMaker.1":  "pass NO_FINDING not_evaluated ",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %+v", res.Errors)
	}

	code, table, _ := runWith(t, cliRun{}, "audit", "--endpoint-url", fake.URL, "--region", "us-east-1", "--witnesses", "--format", "table")
	if code != ExitFail || !strings.Contains(table, "AWS witnesses:") || !strings.Contains(table, "DISAGREES") {
		t.Errorf("exit %d, table:\n%s", code, table)
	}
}

func TestAuditWitnessFlagsNeedWitnesses(t *testing.T) {
	code, _, stderr := runWith(t, cliRun{}, "audit", "--config-aggregator", "org", "--region", "us-east-1")
	if code != ExitError || !strings.Contains(stderr, "need --witnesses") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
