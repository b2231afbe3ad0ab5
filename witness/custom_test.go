package witness

import (
	"context"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// memoryConfig is an in-memory ConfigAPI: rules and their results.
type memoryConfig struct {
	rules   []cstypes.ConfigRule
	results map[string][]cstypes.EvaluationResult
}

func (m *memoryConfig) DescribeConfigRules(context.Context, *configservice.DescribeConfigRulesInput, ...func(*configservice.Options)) (*configservice.DescribeConfigRulesOutput, error) {
	return &configservice.DescribeConfigRulesOutput{ConfigRules: m.rules}, nil
}

func (m *memoryConfig) GetComplianceDetailsByConfigRule(_ context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput, _ ...func(*configservice.Options)) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
	res, ok := m.results[*in.ConfigRuleName]
	if !ok {
		return nil, &cstypes.NoSuchConfigRuleException{Message: sdkaws.String("gone")}
	}
	return &configservice.GetComplianceDetailsByConfigRuleOutput{EvaluationResults: res}, nil
}

// noHub is a Security Hub with no finding, every control enabled.
type noHub struct{}

func (noHub) GetFindings(context.Context, *securityhub.GetFindingsInput, ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error) {
	return &securityhub.GetFindingsOutput{}, nil
}

func (noHub) ListStandardsControlAssociations(context.Context, *securityhub.ListStandardsControlAssociationsInput, ...func(*securityhub.Options)) (*securityhub.ListStandardsControlAssociationsOutput, error) {
	return &securityhub.ListStandardsControlAssociationsOutput{}, nil
}

func customRule(name, params string) cstypes.ConfigRule {
	return cstypes.ConfigRule{ConfigRuleName: sdkaws.String(name), InputParameters: sdkaws.String(params),
		Source: &cstypes.Source{Owner: cstypes.OwnerCustomLambda, SourceIdentifier: sdkaws.String("arn:aws:lambda:us-east-1:123456789012:function:sagefence-rule")}}
}

func evaluation(rule, id, compliance string, at time.Time) cstypes.EvaluationResult {
	return cstypes.EvaluationResult{ComplianceType: cstypes.ComplianceType(compliance), ConfigRuleInvokedTime: &at,
		EvaluationResultIdentifier: &cstypes.EvaluationResultIdentifier{EvaluationResultQualifier: &cstypes.EvaluationResultQualifier{
			ConfigRuleName: sdkaws.String(rule), ResourceId: sdkaws.String(id), ResourceType: sdkaws.String(TypeNotebook)}}}
}

// TestCustomRules: sagefence's own custom rules are recognised by their
// sagefence_control parameter (a control ID or any alias), whatever their
// name, witness a control with a managed binding beside the managed rule and
// a control without one on its own; other custom rules, unknown controls,
// malformed parameters and rules being deleted are ignored; a rule deleted
// between the listing and the read is not deployed.
func TestCustomRules(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	deleting := customRule("sagefence-deleting", `{"sagefence_control":"CKV_AWS_122"}`)
	deleting.ConfigRuleState = cstypes.ConfigRuleStateDeleting
	cfg := &memoryConfig{
		rules: []cstypes.ConfigRule{
			customRule("team-dia-check", `{"sagefence_control":"CKV_AWS_122"}`),
			customRule("sagefence-private-access", `{"sagefence_control":"`+control.PrivateServiceAccessID+`","other":"x"}`),
			customRule("someone-elses-rule", `{"threshold":"3"}`),
			customRule("sagefence-typo", `{"sagefence_control":"no-such-control"}`),
			customRule("sagefence-broken", `{not json`),
			customRule("sagefence-vanished", `{"sagefence_control":"SageMaker.2"}`),
			deleting,
		},
		results: map[string][]cstypes.EvaluationResult{
			"team-dia-check":           {evaluation("team-dia-check", "nb", "NON_COMPLIANT", at)},
			"sagefence-private-access": {evaluation("sagefence-private-access", "nb", "COMPLIANT", at)},
		},
	}
	res := &finding.Result{Findings: []finding.Finding{
		liveFinding(control.DirectInternetAccessID, TypeNotebook, "us-east-1", "nb", finding.Fail),
		liveFinding(control.PrivateServiceAccessID, TypeNotebook, "us-east-1", "nb", finding.Fail),
		liveFinding(control.InVPCID, TypeNotebook, "us-east-1", "nb", finding.Pass),
	}}
	err := Attach(context.Background(), res, Options{Clients: func(string, string) (Clients, error) {
		return Clients{Config: cfg, SecurityHub: noHub{}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	dia := byRule(res.Findings[0].Witnesses)
	if w := dia["aws-config team-dia-check"]; w.Status != "NON_COMPLIANT" || w.Outcome != OutcomeAgrees || w.Evaluated != at.Format(time.RFC3339) {
		t.Errorf("custom rule on the headline control: %+v", w)
	}
	if w := dia["aws-config SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"]; w.Status != "" {
		t.Errorf("a deployed custom rule for the control must stand for it, not a NOT_DEPLOYED managed rule: %+v", w)
	}
	if w := dia["security-hub SageMaker.1"]; w.Status != StatusControlNotEnabled {
		t.Errorf("no association: %+v", w)
	}
	psa := res.Findings[1].Witnesses
	if len(psa) != 1 || psa[0].Rule != "sagefence-private-access" || psa[0].Outcome != OutcomeDisagrees {
		t.Errorf("custom rule on a control without a managed rule: %+v", psa)
	}
	vpc := byRule(res.Findings[2].Witnesses)
	if w := vpc["aws-config SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC"]; w.Status != StatusNotDeployed || len(vpc) != 2 {
		t.Errorf("the vanished rule counts as not deployed: %+v", res.Findings[2].Witnesses)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %+v", res.Errors)
	}
}
