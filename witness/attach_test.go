package witness

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

const account = "123456789012"

func sdkConfig(endpoint string) sdkaws.Config {
	return sdkaws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", "testing"),
		BaseEndpoint: sdkaws.String(endpoint),
	}
}

func clientsAt(endpoint string) func(account, region string) (Clients, error) {
	return func(_, region string) (Clients, error) {
		cfg := sdkConfig(endpoint)
		cfg.Region = region
		return Clients{Config: configservice.NewFromConfig(cfg), SecurityHub: securityhub.NewFromConfig(cfg)}, nil
	}
}

func notebookARN(region, name string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:notebook-instance/%s", region, account, strings.ToLower(name))
}

func liveFinding(controlID, typ, region, address string, status finding.Status) finding.Finding {
	arn := notebookARN(region, address)
	if typ == TypeDomain {
		arn = fmt.Sprintf("arn:aws:sagemaker:%s:%s:domain/%s", region, account, address)
	}
	return finding.Finding{ControlID: controlID, Status: status, Surface: string(model.SurfaceAWS),
		Resource: finding.Resource{Type: typ, Address: address, Name: address, ARN: arn, Region: region, Account: account}}
}

// putManagedRule deploys a managed rule in moto (PutConfigRule).
func putManagedRule(t *testing.T, cfg sdkaws.Config, name, identifier string) {
	t.Helper()
	_, err := configservice.NewFromConfig(cfg).PutConfigRule(context.Background(), &configservice.PutConfigRuleInput{
		ConfigRule: &cstypes.ConfigRule{ConfigRuleName: sdkaws.String(name),
			Source: &cstypes.Source{Owner: cstypes.OwnerAws, SourceIdentifier: sdkaws.String(identifier)}}})
	if err != nil {
		t.Fatalf("PutConfigRule %s: %v", name, err)
	}
}

// hubFinding imports one ASFF control finding into moto (BatchImportFindings).
func importHubFinding(t *testing.T, cfg sdkaws.Config, id, acct, region, generator, controlID, resourceARN string, status shtypes.ComplianceStatus, record shtypes.RecordState, updated time.Time) {
	t.Helper()
	importHubFindingFrom(t, cfg, fmt.Sprintf("arn:aws:securityhub:%s::product/aws/securityhub", region), id, acct, region, generator, controlID, resourceARN, status, record, updated)
}

// importHubFindingFrom imports a finding of another product (ProductArn).
func importHubFindingFrom(t *testing.T, cfg sdkaws.Config, product, id, acct, region, generator, controlID, resourceARN string, status shtypes.ComplianceStatus, record shtypes.RecordState, updated time.Time) {
	t.Helper()
	f := shtypes.AwsSecurityFinding{
		Id: sdkaws.String(id), AwsAccountId: sdkaws.String(acct), Region: sdkaws.String(region),
		ProductArn:    sdkaws.String(product),
		ProductName:   sdkaws.String("Security Hub"),
		GeneratorId:   sdkaws.String(generator),
		SchemaVersion: sdkaws.String("2018-10-08"), Title: sdkaws.String("SageMaker notebook"), Description: sdkaws.String("d"),
		CreatedAt: sdkaws.String(updated.Add(-time.Hour).Format(time.RFC3339)), UpdatedAt: sdkaws.String(updated.Format(time.RFC3339)),
		Severity:    &shtypes.Severity{Label: shtypes.SeverityLabelHigh},
		Types:       []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		Compliance:  &shtypes.Compliance{Status: status, SecurityControlId: sdkaws.String(controlID)},
		Workflow:    &shtypes.Workflow{Status: shtypes.WorkflowStatusNew},
		RecordState: record,
		Resources:   []shtypes.Resource{{Type: sdkaws.String("AwsSageMakerNotebookInstance"), Id: sdkaws.String(resourceARN), Region: sdkaws.String(region)}},
	}
	out, err := securityhub.NewFromConfig(cfg).BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{f}})
	if err != nil || out.FailedCount != nil && *out.FailedCount > 0 {
		t.Fatalf("BatchImportFindings %s: %v %+v", id, err, out)
	}
}

func byRule(ws []finding.Witness) map[string]finding.Witness {
	m := map[string]finding.Witness{}
	for _, w := range ws {
		m[w.Source+" "+w.Rule] = w
	}
	return m
}

// TestAttachAgainstMoto reads witnesses from moto (DescribeConfigRules after
// PutConfigRule; Security Hub GetFindings after BatchImportFindings) and
// from testutil.ConfigFake for GetComplianceDetailsByConfigRule and
// GetAggregateComplianceDetailsByConfigRule, which moto lacks: the fake
// answers in the API reference's JSON shape and forwards everything else to
// moto. moto ignores GetFindings filters, so findings a correct filter must
// leave out are seeded too (another control, account and region, a generator
// of another product) and must not reach any witness.
func TestAttachAgainstMoto(t *testing.T) {
	moto := testutil.StartMoto(t)
	fake := testutil.StartConfigFake(t, moto.URL)
	fake.PageSize = 1 // every result list is paginated
	cfg := sdkConfig(moto.URL)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	putManagedRule(t, cfg, "sagemaker-notebook-no-direct-internet-access", "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS")
	putManagedRule(t, cfg, "OrgConfigRule-inside-vpc-x1y2", "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC")
	putManagedRule(t, cfg, "s3-bucket-versioning-enabled", "S3_BUCKET_VERSIONING_ENABLED") // another control's rule
	ev := func(id, typ, compliance string, at time.Time) testutil.ConfigEvaluation {
		return testutil.ConfigEvaluation{Account: account, Region: "us-east-1", ResourceType: typ, ResourceID: id, Compliance: compliance, Invoked: at, Recorded: at.Add(time.Minute), OrderingTimestamp: at}
	}
	fake.Add("sagemaker-notebook-no-direct-internet-access",
		ev("public", TypeNotebook, "COMPLIANT", now.Add(-72*time.Hour)), // stale
		ev("private", TypeNotebook, "COMPLIANT", now),
		ev("deleted-long-ago", TypeNotebook, "NON_COMPLIANT", now))
	fake.Add("OrgConfigRule-inside-vpc-x1y2",
		ev("public", TypeNotebook, "NON_COMPLIANT", now),
		ev("private", TypeNotebook, "NON_COMPLIANT", now)) // sagefence says pass
	fake.Add("s3-bucket-versioning-enabled")

	old := now.Add(-24 * time.Hour)
	pub, priv := notebookARN("us-east-1", "public"), notebookARN("us-east-1", "private")
	importHubFinding(t, cfg, "f-public-1", account, "us-east-1", "security-control/SageMaker.1", "SageMaker.1", pub, shtypes.ComplianceStatusFailed, shtypes.RecordStateActive, now)
	importHubFinding(t, cfg, "f-public-1-old", account, "us-east-1", "aws-foundational-security-best-practices/v/1.0.0/SageMaker.1", "SageMaker.1", pub, shtypes.ComplianceStatusPassed, shtypes.RecordStateActive, old)
	importHubFinding(t, cfg, "f-private-1", account, "us-east-1", "aws-foundational-security-best-practices/v/1.0.0/SageMaker.1", "SageMaker.1", priv, shtypes.ComplianceStatusPassed, shtypes.RecordStateActive, now)
	importHubFinding(t, cfg, "f-private-1-archived", account, "us-east-1", "security-control/SageMaker.1", "SageMaker.1", priv, shtypes.ComplianceStatusFailed, shtypes.RecordStateArchived, now.Add(time.Hour))
	// Findings a correct filter leaves out.
	importHubFinding(t, cfg, "f-other-control", account, "us-east-1", "security-control/SageMaker.3", "SageMaker.3", priv, shtypes.ComplianceStatusFailed, shtypes.RecordStateActive, now.Add(2*time.Hour))
	importHubFinding(t, cfg, "f-other-account", "210987654321", "us-east-1", "security-control/SageMaker.1", "SageMaker.1", priv, shtypes.ComplianceStatusFailed, shtypes.RecordStateActive, now.Add(2*time.Hour))
	importHubFinding(t, cfg, "f-other-region", account, "eu-west-1", "security-control/SageMaker.1", "SageMaker.1", priv, shtypes.ComplianceStatusFailed, shtypes.RecordStateActive, now.Add(2*time.Hour))
	// Another product's finding claiming the control (sagefence's own
	// --security-hub import must never witness for itself).
	importHubFindingFrom(t, cfg, "arn:aws:securityhub:us-east-1:"+account+":product/"+account+"/default", "f-own-import", account, "us-east-1",
		"security-control/SageMaker.1", "SageMaker.1", priv, shtypes.ComplianceStatusFailed, shtypes.RecordStateActive, now.Add(3*time.Hour))
	// SageMaker.2 only archived for "public": inconclusive.
	importHubFinding(t, cfg, "f-public-2", account, "us-east-1", "security-control/SageMaker.2", "SageMaker.2", pub, shtypes.ComplianceStatusFailed, shtypes.RecordStateArchived, old)

	dia, vpc, dom := control.DirectInternetAccessID, control.InVPCID, control.DomainVpcOnlyID
	res := &finding.Result{Findings: []finding.Finding{
		liveFinding(dia, TypeNotebook, "us-east-1", "public", finding.Fail),
		liveFinding(dia, TypeNotebook, "us-east-1", "private", finding.Pass),
		liveFinding(dia, TypeNotebook, "us-east-1", "fresh", finding.Fail),
		liveFinding(vpc, TypeNotebook, "us-east-1", "public", finding.Fail),
		liveFinding(vpc, TypeNotebook, "us-east-1", "private", finding.Pass),
		liveFinding(dom, TypeDomain, "us-east-1", "d-abc123", finding.Fail),
		liveFinding(control.PrivateServiceAccessID, TypeNotebook, "us-east-1", "private", finding.Pass),
		// A second region: Config denied, Security Hub not enabled.
		liveFinding(dia, TypeNotebook, "us-west-2", "west", finding.Fail),
		// IaC findings are never witnessed.
		{ControlID: dia, Status: finding.Fail, Surface: "terraform", Resource: finding.Resource{Type: "aws_sagemaker_notebook_instance", Address: "aws_sagemaker_notebook_instance.x"}},
	}}
	fake.Fail = func(r *http.Request) string {
		region := testutilRegion(r)
		switch {
		case region == "us-west-2" && strings.HasPrefix(r.Header.Get("X-Amz-Target"), "StarlingDoveService."):
			return "AccessDeniedException"
		case region == "us-west-2" && r.URL.Path == "/findings":
			return "InvalidAccessException"
		}
		return ""
	}
	// ListStandardsControlAssociations (moto lacks it; the API reference's
	// GET /associations answer): SageMaker.1 enabled in the foundational
	// standard, SageMaker.2 disabled there.
	fake.Answer = func(r *http.Request) (string, bool) {
		if r.Method != http.MethodGet || r.URL.Path != "/associations" {
			return "", false
		}
		id := r.URL.Query().Get("SecurityControlId")
		status := map[string]string{"SageMaker.1": "ENABLED", "SageMaker.2": "DISABLED"}[id]
		return fmt.Sprintf(`{"StandardsControlAssociationSummaries":[{"StandardsArn":"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",`+
			`"SecurityControlId":%q,"SecurityControlArn":"arn:aws:securityhub:us-east-1:%s:security-control/%s","AssociationStatus":%q,`+
			`"RelatedRequirements":[],"UpdatedAt":"2026-11-01T00:00:00Z","StandardsControlTitle":"t","StandardsControlDescription":"d"}]}`, id, account, id, status), true
	}
	if err := Attach(context.Background(), res, Options{Clients: clientsAt(fake.URL)}); err != nil {
		t.Fatal(err)
	}
	verdicts := []finding.Status{finding.Fail, finding.Pass, finding.Fail, finding.Fail, finding.Pass, finding.Fail, finding.Pass, finding.Fail, finding.Fail}
	for i, f := range res.Findings {
		if f.Status != verdicts[i] {
			t.Errorf("finding %d status changed to %s", i, f.Status)
		}
	}
	type want struct{ status, outcome, evaluated, record string }
	check := func(i int, key string, w want) {
		t.Helper()
		got, ok := byRule(res.Findings[i].Witnesses)[key]
		if !ok {
			t.Errorf("%s %s: no witness %q in %+v", res.Findings[i].ControlID, res.Findings[i].Resource.Address, key, res.Findings[i].Witnesses)
			return
		}
		if got.Status != w.status || got.Outcome != w.outcome || got.Evaluated != w.evaluated || got.RecordState != w.record || got.Link == "" {
			t.Errorf("%s %s %s = %+v, want %+v", res.Findings[i].ControlID, res.Findings[i].Resource.Address, key, got, w)
		}
	}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	check(0, "aws-config sagemaker-notebook-no-direct-internet-access", want{"COMPLIANT", OutcomeDisagrees, ts(now.Add(-72 * time.Hour)), ""})
	check(0, "security-hub SageMaker.1", want{"FAILED", OutcomeAgrees, ts(now), "ACTIVE"})
	check(1, "aws-config sagemaker-notebook-no-direct-internet-access", want{"COMPLIANT", OutcomeAgrees, ts(now), ""})
	check(1, "security-hub SageMaker.1", want{"PASSED", OutcomeAgrees, ts(now), "ACTIVE"}) // ACTIVE beats a newer ARCHIVED
	check(2, "aws-config sagemaker-notebook-no-direct-internet-access", want{StatusNoResult, OutcomeNotEvaluated, "", ""})
	check(2, "security-hub SageMaker.1", want{StatusNoFinding, OutcomeNotEvaluated, "", ""})
	check(3, "aws-config OrgConfigRule-inside-vpc-x1y2", want{"NON_COMPLIANT", OutcomeAgrees, ts(now), ""})
	check(3, "security-hub SageMaker.2", want{"FAILED", OutcomeInconclusive, ts(old), "ARCHIVED"})
	check(4, "aws-config OrgConfigRule-inside-vpc-x1y2", want{"NON_COMPLIANT", OutcomeDisagrees, ts(now), ""})
	check(4, "security-hub SageMaker.2", want{StatusControlNotEnabled, OutcomeNotEnabled, "", ""}) // disabled in the standard
	check(5, "aws-config SAGEMAKER_DOMAIN_IN_VPC", want{StatusNotDeployed, OutcomeNotEnabled, "", ""})
	check(7, "aws-config SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", want{StatusError, OutcomeError, "", ""})
	check(7, "security-hub SageMaker.1", want{StatusNotEnabled, OutcomeNotEnabled, "", ""})
	for i, n := range map[int]int{0: 2, 1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 0, 7: 2, 8: 0} {
		if got := len(res.Findings[i].Witnesses); got != n {
			t.Errorf("finding %d (%s %s) has %d witnesses, want %d: %+v", i, res.Findings[i].ControlID, res.Findings[i].Resource.Address, got, n, res.Findings[i].Witnesses)
		}
	}
	if !strings.Contains(res.Findings[7].Witnesses[0].Note, "AccessDeniedException") {
		t.Errorf("error witness note = %q", res.Findings[7].Witnesses[0].Note)
	}
	// One error, naming the account, region and witness; Security Hub not
	// enabled is an evidence gap, not an error.
	if len(res.Errors) != 1 || res.Errors[0].Region != "us-west-2" || res.Errors[0].Account != account ||
		!strings.Contains(res.Errors[0].Message, "AWS Config") || !strings.Contains(res.Errors[0].Message, "verdicts are unchanged") {
		t.Errorf("errors = %+v", res.Errors)
	}
	// The Security Hub filters were sent (moto ignores them).
	var sentFilters bool
	for _, c := range fake.Calls() {
		if strings.HasSuffix(c, "/findings") {
			sentFilters = true
		}
	}
	if !sentFilters {
		t.Errorf("no GetFindings call reached the endpoint: %v", fake.Calls())
	}
}

// TestAttachThroughAggregator reads Config results with
// GetAggregateComplianceDetailsByConfigRule (served by testutil.ConfigFake,
// as moto lacks it), one account and region per call; a result of another
// account must not reach the finding.
func TestAttachThroughAggregator(t *testing.T) {
	moto := testutil.StartMoto(t)
	fake := testutil.StartConfigFake(t, moto.URL)
	cfg := sdkConfig(moto.URL)
	putManagedRule(t, cfg, "sagemaker-notebook-no-direct-internet-access", "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS")
	at := time.Date(2026, 11, 29, 8, 30, 0, 0, time.UTC)
	fake.Add("sagemaker-notebook-no-direct-internet-access",
		testutil.ConfigEvaluation{Account: account, Region: "us-east-1", ResourceType: TypeNotebook, ResourceID: "public", Compliance: "NON_COMPLIANT", Invoked: at, Recorded: at, Annotation: "DirectInternetAccess is Enabled"},
		testutil.ConfigEvaluation{Account: "210987654321", Region: "us-east-1", ResourceType: TypeNotebook, ResourceID: "public", Compliance: "COMPLIANT", Invoked: at, Recorded: at})
	res := &finding.Result{Findings: []finding.Finding{liveFinding(control.DirectInternetAccessID, TypeNotebook, "us-east-1", "public", finding.Fail)}}
	aggCfg := sdkConfig(fake.URL)
	err := Attach(context.Background(), res, Options{Clients: clientsAt(fake.URL),
		Aggregator: &Aggregator{Name: "org", API: configservice.NewFromConfig(aggCfg)}})
	if err != nil {
		t.Fatal(err)
	}
	ws := byRule(res.Findings[0].Witnesses)
	w := ws["aws-config sagemaker-notebook-no-direct-internet-access"]
	if w.Status != "NON_COMPLIANT" || !w.Agrees || w.Evaluated != at.Format(time.RFC3339) || !strings.Contains(w.Note, "DirectInternetAccess is Enabled") {
		t.Errorf("aggregated witness = %+v", w)
	}
	var aggregated, direct int
	for _, c := range fake.Calls() {
		if strings.Contains(c, "GetAggregateComplianceDetailsByConfigRule") {
			aggregated++
		}
		if strings.Contains(c, ".GetComplianceDetailsByConfigRule") {
			direct++
		}
	}
	if aggregated != 1 || direct != 0 {
		t.Errorf("aggregate calls %d, per-account calls %d; want 1 and 0", aggregated, direct)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
}

func testutilRegion(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	for _, part := range strings.Split(auth, "/") {
		if strings.Count(part, "-") == 2 && len(part) < 16 {
			return part
		}
	}
	return ""
}

// TestWitnessActionsAreTheCallsMade: the operations witnesses call, directly
// and through an aggregator, are exactly surface/aws.WitnessActions, the
// policy statement docs/audit.md and the README show.
func TestWitnessActionsAreTheCallsMade(t *testing.T) {
	moto := testutil.StartMoto(t)
	fake := testutil.StartConfigFake(t, moto.URL)
	putManagedRule(t, sdkConfig(moto.URL), "nb", "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS")
	fake.Add("nb")
	var mu sync.Mutex
	seen := map[string]bool{}
	record := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				prefix := map[string]string{"Config Service": "config", "SecurityHub": "securityhub"}[awsmiddleware.GetServiceID(ctx)]
				mu.Lock()
				seen[prefix+":"+awsmiddleware.GetOperationName(ctx)] = true
				mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
	clients := func(_, region string) (Clients, error) {
		cfg := sdkConfig(fake.URL)
		cfg.Region, cfg.APIOptions = region, []func(*middleware.Stack) error{record}
		return Clients{Config: configservice.NewFromConfig(cfg), SecurityHub: securityhub.NewFromConfig(cfg)}, nil
	}
	newResult := func() *finding.Result {
		return &finding.Result{Findings: []finding.Finding{liveFinding(control.DirectInternetAccessID, TypeNotebook, "us-east-1", "nb", finding.Fail)}}
	}
	if err := Attach(context.Background(), newResult(), Options{Clients: clients}); err != nil {
		t.Fatal(err)
	}
	aggCfg := sdkConfig(fake.URL)
	aggCfg.APIOptions = []func(*middleware.Stack) error{record}
	if err := Attach(context.Background(), newResult(), Options{Clients: clients, Aggregator: &Aggregator{Name: "org", API: configservice.NewFromConfig(aggCfg)}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for a := range seen {
		got = append(got, a)
	}
	sort.Strings(got)
	want := append([]string(nil), awssurface.WitnessActions...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("operations called %v, surface/aws.WitnessActions %v", got, want)
	}
}
