package configrule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagefence/sagefence/configrule/configruletest"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// motoHandler is a handler reading moto through the recorder, in test mode.
func motoHandler(t *testing.T, endpoint string) *Handler {
	t.Helper()
	cfg := testutil.MotoSDKConfig(t, endpoint, configruletest.Region)
	return &Handler{
		Region: configruletest.Region,
		Audit: awssurface.Options{EndpointURL: endpoint,
			Retry: awssurface.RetryOptions{MaxAttempts: 2, MaxBackoff: 5 * time.Millisecond}},
		Config: configservice.NewFromConfig(cfg), testMode: true,
	}
}

func decode(t *testing.T, raw []byte) events.ConfigEvent {
	t.Helper()
	var ev events.ConfigEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestHandlerAgainstMoto(t *testing.T) {
	moto := testutil.StartMoto(t)
	seeded := configruletest.Seed(t, moto.URL)
	rec := configruletest.StartRecorder(t, moto.URL)
	// moto lacks GetComplianceDetailsByConfigRule: the fake serves it.
	fake := testutil.StartConfigFake(t, rec.URL)
	for _, c := range control.All() { // the rules exist, without results yet
		fake.Add("sagefence-" + c.ID)
	}
	fake.Add("sagefence-CKV_AWS_122")
	h := motoHandler(t, fake.URL)
	ctx := context.Background()
	type want struct{ compliance, annotationPrefix string }
	run := func(t *testing.T, raw []byte) map[string]configruletest.Evaluation {
		t.Helper()
		if err := h.Handle(ctx, decode(t, raw)); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		puts := rec.Take()
		for _, p := range puts {
			if !p.TestMode || !strings.HasPrefix(p.ResultToken, "token-") {
				t.Errorf("PutEvaluations sent TestMode=%v token %q", p.TestMode, p.ResultToken)
			}
			for _, e := range p.Evaluations {
				if int64(e.OrderingTimestamp) != configruletest.Time.Unix() {
					t.Errorf("%s OrderingTimestamp %v, want the event's time %v", e.ComplianceResourceId, e.OrderingTimestamp, configruletest.Time.Unix())
				}
				if e.Annotation == "" || len(e.Annotation) > MaxAnnotation {
					t.Errorf("%s annotation of %d bytes", e.ComplianceResourceId, len(e.Annotation))
				}
			}
		}
		return configruletest.Flatten(puts)
	}
	check := func(t *testing.T, got map[string]configruletest.Evaluation, typ string, wants map[string]want) {
		t.Helper()
		if len(got) != len(wants) {
			t.Errorf("evaluated %d resources, want %d: %+v", len(got), len(wants), got)
		}
		for id, w := range wants {
			e, ok := got[id]
			switch {
			case !ok:
				t.Errorf("no evaluation of %s", id)
			case e.ComplianceType != w.compliance || !strings.HasPrefix(e.Annotation, w.annotationPrefix) || e.ComplianceResourceType != typ:
				t.Errorf("%s = %s %s %q, want %s %s %q...", id, e.ComplianceResourceType, e.ComplianceType, e.Annotation, typ, w.compliance, w.annotationPrefix)
			}
		}
	}

	t.Run("scheduled: every notebook of the region", func(t *testing.T) {
		got := run(t, configruletest.ScheduledEvent(control.DirectInternetAccessID))
		check(t, got, awssurface.TypeNotebook, map[string]want{
			seeded.OpenNotebook: {"NON_COMPLIANT", ""}, seeded.PrivateNotebook: {"COMPLIANT", ""}})
	})
	t.Run("scheduled: a notebook evaluated before and deleted since is NOT_APPLICABLE", func(t *testing.T) {
		rule := "sagefence-" + control.InVPCID
		fake.Add(rule,
			testutil.ConfigEvaluation{Account: configruletest.Account, Region: configruletest.Region, ResourceType: awssurface.TypeNotebook,
				ResourceID: "nb-deleted", Compliance: "NON_COMPLIANT", Invoked: configruletest.Time.Add(-24 * time.Hour), Recorded: configruletest.Time.Add(-24 * time.Hour), Annotation: "x"},
			testutil.ConfigEvaluation{Account: configruletest.Account, Region: configruletest.Region, ResourceType: awssurface.TypeNotebook,
				ResourceID: seeded.OpenNotebook, Compliance: "NON_COMPLIANT", Invoked: configruletest.Time.Add(-24 * time.Hour), Recorded: configruletest.Time.Add(-24 * time.Hour), Annotation: "x"},
			testutil.ConfigEvaluation{Account: configruletest.Account, Region: configruletest.Region, ResourceType: awssurface.TypeDomain,
				ResourceID: "d-other-type", Compliance: "NON_COMPLIANT", Invoked: configruletest.Time.Add(-24 * time.Hour), Recorded: configruletest.Time.Add(-24 * time.Hour), Annotation: "x"})
		got := run(t, configruletest.ScheduledEvent(control.InVPCID))
		check(t, got, awssurface.TypeNotebook, map[string]want{
			seeded.OpenNotebook: {"NON_COMPLIANT", ""}, seeded.PrivateNotebook: {"COMPLIANT", ""},
			"nb-deleted": {"NOT_APPLICABLE", "the resource no longer exists"}})
	})
	t.Run("scheduled by alias: every notebook", func(t *testing.T) {
		got := run(t, configruletest.ScheduledEvent("CKV_AWS_122"))
		check(t, got, awssurface.TypeNotebook, map[string]want{
			seeded.OpenNotebook: {"NON_COMPLIANT", ""}, seeded.PrivateNotebook: {"COMPLIANT", ""}})
	})
	t.Run("scheduled: every domain", func(t *testing.T) {
		got := run(t, configruletest.ScheduledEvent(control.DomainVpcOnlyID))
		check(t, got, awssurface.TypeDomain, map[string]want{
			seeded.PublicDomain: {"NON_COMPLIANT", ""}, seeded.VpcOnlyDomain: {"COMPLIANT", ""}})
	})
	t.Run("domain change: that domain only", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.DomainVpcOnlyID, awssurface.TypeDomain, seeded.PublicDomain, "OK",
			map[string]any{"DomainId": seeded.PublicDomain, "AppNetworkAccessType": "PublicInternetOnly"}))
		check(t, got, awssurface.TypeDomain, map[string]want{seeded.PublicDomain: {"NON_COMPLIANT", ""}})
	})
	t.Run("notebook change (where the recorder records notebooks): that notebook only", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.InVPCID, awssurface.TypeNotebook, seeded.OpenNotebook, "OK", map[string]any{}))
		check(t, got, awssurface.TypeNotebook, map[string]want{seeded.OpenNotebook: {"NON_COMPLIANT", ""}})
	})
	t.Run("domain change for a notebook control sends nothing", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.InVPCID, awssurface.TypeDomain, seeded.PublicDomain, "OK", map[string]any{}))
		check(t, got, awssurface.TypeDomain, map[string]want{})
	})
	t.Run("deleted domain: NOT_APPLICABLE", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.DomainVpcOnlyID, awssurface.TypeDomain, "d-gone", "ResourceDeleted", nil))
		check(t, got, awssurface.TypeDomain, map[string]want{"d-gone": {"NOT_APPLICABLE", "the resource was deleted"}})
	})
	t.Run("domain Config still knows but the API does not: NOT_APPLICABLE", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.DomainVpcOnlyID, awssurface.TypeDomain, "d-vanished", "OK", map[string]any{}))
		check(t, got, awssurface.TypeDomain, map[string]want{"d-vanished": {"NOT_APPLICABLE", "the resource no longer exists"}})
	})
	t.Run("subnet change re-evaluates the region's notebooks; unknown is never COMPLIANT", func(t *testing.T) {
		got := run(t, configruletest.ChangeEvent(control.PrivateServiceAccessID, "AWS::EC2::Subnet", seeded.PrivateSubnet, "OK",
			map[string]any{"subnetId": seeded.PrivateSubnet, "vpcId": seeded.VPC}))
		// The control judges notebooks without direct internet access only.
		if len(got) != 1 {
			t.Fatalf("want the private notebook evaluated, got %+v", got)
		}
		for id, e := range got {
			if strings.HasPrefix(e.Annotation, "unknown:") && e.ComplianceType != "NON_COMPLIANT" {
				t.Errorf("%s: unknown reported %s", id, e.ComplianceType)
			}
		}
		// The private notebook's subnet has no route to SageMaker's APIs: not compliant.
		if e := got[seeded.PrivateNotebook]; e.ComplianceType != "NON_COMPLIANT" {
			t.Errorf("private notebook without endpoints or NAT = %+v", e)
		}
	})
	t.Run("oversized security group change", func(t *testing.T) {
		got := run(t, configruletest.OversizedEvent(control.InVPCID, "AWS::EC2::SecurityGroup", seeded.SecurityGroup, "OK"))
		check(t, got, awssurface.TypeNotebook, map[string]want{
			seeded.OpenNotebook: {"NON_COMPLIANT", ""}, seeded.PrivateNotebook: {"COMPLIANT", ""}})
	})
	t.Run("oversized change of an unrelated type sends nothing", func(t *testing.T) {
		got := run(t, configruletest.OversizedEvent(control.InVPCID, "AWS::S3::Bucket", "bucket", "OK"))
		check(t, got, awssurface.TypeNotebook, map[string]want{})
	})
	t.Run("exempt_resources", func(t *testing.T) {
		ev := decode(t, configruletest.ScheduledEvent(control.DirectInternetAccessID))
		ev.RuleParameters = fmt.Sprintf(`{"sagefence_control":%q,"exempt_resources":" %s "}`, control.DirectInternetAccessID, seeded.OpenNotebook)
		if err := h.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		got := configruletest.Flatten(rec.Take())
		check(t, got, awssurface.TypeNotebook, map[string]want{
			seeded.OpenNotebook: {"NOT_APPLICABLE", "exempted"}, seeded.PrivateNotebook: {"COMPLIANT", ""}})
	})
	t.Run("bad events are errors and send nothing", func(t *testing.T) {
		good := decode(t, configruletest.ScheduledEvent(control.InVPCID))
		for name, mutate := range map[string]func(*events.ConfigEvent){
			"no control":        func(e *events.ConfigEvent) { e.RuleParameters = `{}` },
			"unknown control":   func(e *events.ConfigEvent) { e.RuleParameters = `{"sagefence_control":"nope"}` },
			"unknown parameter": func(e *events.ConfigEvent) { e.RuleParameters = `{"sagefence_control":"CKV_AWS_122","SubnetIds":"x"}` },
			"not JSON":          func(e *events.ConfigEvent) { e.InvokingEvent = `{` },
			"no message type":   func(e *events.ConfigEvent) { e.InvokingEvent = `{}` },
			"snapshot delivery": func(e *events.ConfigEvent) {
				e.InvokingEvent = `{"messageType":"ConfigurationSnapshotDeliveryCompleted"}`
			},
			"no token": func(e *events.ConfigEvent) { e.ResultToken = "" },
			"bad time": func(e *events.ConfigEvent) {
				e.InvokingEvent = `{"messageType":"ScheduledNotification","notificationCreationTime":"yesterday"}`
			},
			"change without item": func(e *events.ConfigEvent) {
				e.InvokingEvent = `{"messageType":"ConfigurationItemChangeNotification"}`
			},
		} {
			ev := good
			mutate(&ev)
			if err := h.Handle(ctx, ev); err == nil {
				t.Errorf("%s: no error", name)
			}
			if puts := rec.Take(); len(puts) != 0 {
				t.Errorf("%s: sent %+v", name, puts)
			}
		}
	})
	// Last: it adds a notebook the others do not expect.
	t.Run("an unknown verdict is NON_COMPLIANT 'unknown:', never COMPLIANT", func(t *testing.T) {
		cfg := testutil.MotoSDKConfig(t, moto.URL, configruletest.Region)
		// Its lifecycle configuration does not exist: the scripts cannot be read.
		if _, err := sagemaker.NewFromConfig(cfg).CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
			NotebookInstanceName: sdkaws.String("nb-unreadable-lifecycle"), InstanceType: smtypes.InstanceTypeMlT2Medium,
			RoleArn:              sdkaws.String("arn:aws:iam::" + configruletest.Account + ":role/notebook"),
			DirectInternetAccess: smtypes.DirectInternetAccessDisabled, SubnetId: sdkaws.String(seeded.PrivateSubnet),
			SecurityGroupIds: []string{seeded.SecurityGroup}, LifecycleConfigName: sdkaws.String("not-there"),
		}); err != nil && !testutil.CreatedByEarlierAttempt(err) {
			t.Fatal(err)
		}
		err := h.Handle(ctx, decode(t, configruletest.ScheduledEvent(control.LifecyclePublicFetchID)))
		got := configruletest.Flatten(rec.Take())
		e, ok := got["nb-unreadable-lifecycle"]
		if !ok {
			t.Fatalf("no evaluation of the notebook (Handle: %v): %+v", err, got)
		}
		if e.ComplianceType != "NON_COMPLIANT" || !strings.HasPrefix(e.Annotation, "unknown: ") {
			t.Errorf("unreadable lifecycle scripts = %s %q, want NON_COMPLIANT unknown: ...", e.ComplianceType, e.Annotation)
		}
		t.Logf("Handle: %v", err)
	})
	t.Run("an unreadable region is an error, never a clean run", func(t *testing.T) {
		broken := *h
		broken.Audit.EndpointURL = "http://127.0.0.1:1"
		if err := broken.Handle(ctx, decode(t, configruletest.ScheduledEvent(control.InVPCID))); err == nil {
			t.Fatal("no error when nothing could be read")
		}
	})
}

// fakePut records PutEvaluations calls.
type fakePut struct{ batches [][]cstypes.Evaluation }

func (f *fakePut) GetComplianceDetailsByConfigRule(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput, ...func(*configservice.Options)) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
	return &configservice.GetComplianceDetailsByConfigRuleOutput{}, nil
}

func (f *fakePut) PutEvaluations(_ context.Context, in *configservice.PutEvaluationsInput, _ ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error) {
	f.batches = append(f.batches, in.Evaluations)
	out := &configservice.PutEvaluationsOutput{}
	for _, e := range in.Evaluations {
		if sdkaws.ToString(e.ComplianceResourceId) == "refused" {
			out.FailedEvaluations = append(out.FailedEvaluations, e)
		}
	}
	return out, nil
}

func TestPutBatches(t *testing.T) {
	var evals []cstypes.Evaluation
	for i := range 250 {
		evals = append(evals, evaluation(awssurface.TypeNotebook, fmt.Sprintf("nb-%d", i), cstypes.ComplianceTypeCompliant, "ok", time.Now()))
	}
	f := &fakePut{}
	h := &Handler{Config: f}
	if err := h.put(context.Background(), "t", evals); err != nil {
		t.Fatal(err)
	}
	if len(f.batches) != 3 || len(f.batches[0]) != 100 || len(f.batches[1]) != 100 || len(f.batches[2]) != 50 {
		t.Fatalf("batches of %d", len(f.batches))
	}
	if err := h.put(context.Background(), "t", []cstypes.Evaluation{evaluation("T", "refused", cstypes.ComplianceTypeCompliant, "x", time.Now())}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a refused evaluation is not an error: %v", err)
	}
}

func TestVerdictAndTruncate(t *testing.T) {
	for _, tc := range []struct {
		status finding.Status
		want   cstypes.ComplianceType
		prefix string
	}{
		{finding.Pass, cstypes.ComplianceTypeCompliant, "m"},
		{finding.Fail, cstypes.ComplianceTypeNonCompliant, "m"},
		{finding.Unknown, cstypes.ComplianceTypeNonCompliant, "unknown: m"},
		{finding.Suppressed, cstypes.ComplianceTypeNotApplicable, "suppressed: "},
	} {
		c, a := Verdict(finding.Finding{Status: tc.status, Message: "m"})
		if c != tc.want || !strings.HasPrefix(a, tc.prefix) {
			t.Errorf("%s -> %s %q", tc.status, c, a)
		}
	}
	long := strings.Repeat("é", 200) // 400 bytes
	got := Truncate(long, MaxAnnotation)
	if len(got) > MaxAnnotation || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("Truncate = %d bytes %q", len(got), got)
	}
	if Truncate("", 10) != "-" || Truncate("short", 10) != "short" {
		t.Error("Truncate of short strings")
	}
}
