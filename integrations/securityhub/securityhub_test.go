package securityhub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/report"
)

const account = "123456789012"

// liveResult is n live notebook findings in one region, cycling through
// fail, pass, unknown and suppressed.
func liveResult(n int, region string) *finding.Result {
	c, _ := control.Lookup(control.DirectInternetAccessID)
	statuses := []finding.Status{finding.Fail, finding.Pass, finding.Unknown, finding.Suppressed}
	r := &finding.Result{FormatVersion: finding.FormatVersion, Tool: finding.Tool{Name: "sagefence", Version: "0.1.0"},
		Scope: &finding.Scope{Command: "audit", Time: "2026-11-25T12:00:00Z"}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("nb-%03d", i)
		f := c.New(model.Meta{Surface: model.SurfaceAWS, Type: "AWS::SageMaker::NotebookInstance", Address: name, Name: name,
			ARN: "arn:aws:sagemaker:" + region + ":" + account + ":notebook-instance/" + name, Region: region, Account: account}, statuses[i%4])
		f.Attribute, f.Expected = "DirectInternetAccess", "Disabled"
		v := "Enabled"
		f.Observed, f.Resolution, f.Message = &v, model.Explicit, "DirectInternetAccess is Enabled"
		if f.Status == finding.Suppressed {
			f.Suppression = &model.Suppression{Source: "config", Reason: "lab account"}
		}
		r.Findings = append(r.Findings, f)
	}
	r.Finalize()
	return r
}

func mustFindings(t *testing.T, r *finding.Result) []types.AwsSecurityFinding {
	t.Helper()
	fs, err := FromResult(r, report.ASFF{})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestFromResultKeepsFields(t *testing.T) {
	fs := mustFindings(t, liveResult(4, "eu-west-1"))
	f := fs[0]
	if aws.ToString(f.AwsAccountId) != account || aws.ToString(f.SchemaVersion) != "2018-10-08" || aws.ToString(f.Region) != "eu-west-1" {
		t.Errorf("header lost: %+v", f)
	}
	if f.Compliance == nil || len(f.Compliance.RelatedRequirements) == 0 || f.Workflow == nil || f.Severity == nil || f.Severity.Label == "" {
		t.Fatalf("compliance, workflow or severity lost: %+v", f)
	}
	nb := f.Resources[0].Details.AwsSageMakerNotebookInstance
	if f.Resources[0].Type == nil || *f.Resources[0].Type != "AwsSageMakerNotebookInstance" || nb == nil || aws.ToString(nb.DirectInternetAccess) != "Enabled" {
		t.Errorf("notebook details lost: %+v", f.Resources[0])
	}
}

// batchRecorder records batch sizes and rejects the findings named in reject.
type batchRecorder struct {
	sizes  []int
	reject map[string]bool
}

func (b *batchRecorder) BatchImportFindings(_ context.Context, in *awssh.BatchImportFindingsInput, _ ...func(*awssh.Options)) (*awssh.BatchImportFindingsOutput, error) {
	b.sizes = append(b.sizes, len(in.Findings))
	out := &awssh.BatchImportFindingsOutput{}
	var ok, failed int32
	for _, f := range in.Findings {
		if b.reject[aws.ToString(f.Id)] {
			failed++
			out.FailedFindings = append(out.FailedFindings, types.ImportFindingsError{Id: f.Id, ErrorCode: aws.String("InvalidInput"), ErrorMessage: aws.String("no")})
			continue
		}
		ok++
	}
	out.SuccessCount, out.FailedCount = &ok, &failed
	return out, nil
}

func TestImportBatches(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 250} {
		rec := &batchRecorder{}
		sum, err := Import(context.Background(), rec, mustFindings(t, liveResult(n, "us-east-1")))
		if err != nil || sum.Imported != n {
			t.Errorf("%d findings: imported %d, %v", n, sum.Imported, err)
		}
		want := (n + BatchSize - 1) / BatchSize
		if len(rec.sizes) != want {
			t.Errorf("%d findings: %d calls, want %d", n, len(rec.sizes), want)
		}
		for _, s := range rec.sizes {
			if s > BatchSize || s == 0 {
				t.Errorf("%d findings: batch of %d", n, s)
			}
		}
	}
}

// TestImportAgainstMoto round-trips more than two batches through a real
// Security Hub API emulator and reads them back with GetFindings.
func TestImportAgainstMoto(t *testing.T) {
	m := testutil.StartMoto(t)
	ctx := context.Background()
	newClient := func(region string) *awssh.Client {
		return awssh.New(awssh.Options{
			Region: region, BaseEndpoint: aws.String(m.URL),
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "testing", SecretAccessKey: "testing", SessionToken: "testing"}, nil
			}),
		})
	}
	const n = 230
	res := liveResult(n, "us-east-1")
	// a second region goes through its own client
	other := liveResult(3, "eu-west-1")
	for i := range other.Findings {
		other.Findings[i].Resource.Address += "-eu"
	}
	both := &finding.Result{FormatVersion: res.FormatVersion, Scope: res.Scope, Findings: append(append([]finding.Finding(nil), res.Findings...), other.Findings...)}
	sum, err := ImportResult(ctx, both, report.ASFF{}, func(region string) (API, error) { return newClient(region), nil })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != n+3 || sum.Batches != 4 || len(sum.Rejected) != 0 {
		t.Fatalf("summary %+v", sum)
	}

	// importing the same scan again updates in place
	if _, err := Import(ctx, newClient("us-east-1"), mustFindings(t, res)); err != nil {
		t.Fatal(err)
	}
	got := map[string]types.AwsSecurityFinding{}
	p := awssh.NewGetFindingsPaginator(newClient("us-east-1"), &awssh.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			got[aws.ToString(f.Id)] = f
		}
	}
	if len(got) != n {
		t.Fatalf("GetFindings in us-east-1 returned %d findings, want %d", len(got), n)
	}
	for _, want := range mustFindings(t, res) {
		f, ok := got[aws.ToString(want.Id)]
		if !ok {
			t.Errorf("finding %s not in Security Hub", aws.ToString(want.Id))
			continue
		}
		if f.Compliance == nil || f.Compliance.Status != want.Compliance.Status || f.Workflow == nil || f.Workflow.Status != want.Workflow.Status {
			t.Errorf("%s: compliance/workflow changed in the round trip", aws.ToString(want.Id))
		}
		if aws.ToString(f.GeneratorId) != control.DirectInternetAccessID || aws.ToString(f.Resources[0].Id) != aws.ToString(want.Resources[0].Id) {
			t.Errorf("%s: generator or resource changed", aws.ToString(want.Id))
		}
	}

	// a finding Security Hub refuses is reported, the rest still imported
	bad := mustFindings(t, liveResult(3, "us-east-1"))
	bad[1].Resources = []types.Resource{} // passes the SDK's client-side check, refused by the service
	bad[1].Id = aws.String("sagefence/broken")
	sum, err = Import(ctx, newClient("us-east-1"), bad)
	var rej *RejectedError
	if !errors.As(err, &rej) || len(sum.Rejected) != 1 || sum.Rejected[0].ID != "sagefence/broken" || sum.Imported != 2 {
		t.Errorf("rejection not reported: %+v, %v", sum, err)
	}
}

// TestImportResultByAccount sends each account's findings only through
// that account's clients and names the account whose client is missing.
func TestImportResultByAccount(t *testing.T) {
	const other, unreachable = "210987654321", "333333333333"
	res := liveResult(4, "us-east-1")
	for _, acc := range []string{other, unreachable} {
		more := liveResult(3, "eu-west-1")
		for i := range more.Findings {
			more.Findings[i].Resource.Account = acc
			more.Findings[i].Resource.Address += "-" + acc
		}
		res.Findings = append(res.Findings, more.Findings...)
	}
	clients := map[string]*batchRecorder{}
	var asked []string
	sum, err := ImportResultByAccount(context.Background(), res, report.ASFF{}, func(acc, region string) (API, error) {
		asked = append(asked, acc+"/"+region)
		if acc == unreachable {
			return nil, errors.New("no credentials for the account")
		}
		c := &batchRecorder{}
		clients[acc+"/"+region] = c
		return c, nil
	})
	if sum.Imported != 7 || sum.Batches != 2 {
		t.Errorf("summary %+v, want 7 imported in 2 batches", sum)
	}
	if err == nil || !strings.Contains(err.Error(), "account "+unreachable) || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("error %v does not name the unreachable account", err)
	}
	if want := []string{account + "/us-east-1", other + "/eu-west-1", unreachable + "/eu-west-1"}; fmt.Sprint(asked) != fmt.Sprint(want) {
		t.Errorf("clients asked for %v, want %v", asked, want)
	}
	if c := clients[account+"/us-east-1"]; c == nil || fmt.Sprint(c.sizes) != "[4]" {
		t.Errorf("account %s: batches %v, want [4]", account, c)
	}
	if c := clients[other+"/eu-west-1"]; c == nil || fmt.Sprint(c.sizes) != "[3]" {
		t.Errorf("account %s: batches %v, want [3]", other, c)
	}
}
