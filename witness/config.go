package witness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/sagefence/sagefence/control"
)

// ConfigAPI is the part of the AWS Config client witnesses use.
type ConfigAPI interface {
	DescribeConfigRules(context.Context, *configservice.DescribeConfigRulesInput, ...func(*configservice.Options)) (*configservice.DescribeConfigRulesOutput, error)
	GetComplianceDetailsByConfigRule(context.Context, *configservice.GetComplianceDetailsByConfigRuleInput, ...func(*configservice.Options)) (*configservice.GetComplianceDetailsByConfigRuleOutput, error)
}

// AggregatorAPI reads compliance through a Config aggregator.
type AggregatorAPI interface {
	GetAggregateComplianceDetailsByConfigRule(context.Context, *configservice.GetAggregateComplianceDetailsByConfigRuleInput, ...func(*configservice.Options)) (*configservice.GetAggregateComplianceDetailsByConfigRuleOutput, error)
}

// maxPages bounds every paginated read, so that a service answering the same
// NextToken forever cannot hang an audit.
const maxPages = 1000

// readConfigRules lists the deployed rules that witness a binding's control
// (by managed identifier) or are sagefence's custom rules. A rule being
// deleted is not deployed.
func readConfigRules(ctx context.Context, api ConfigAPI, bindings []Binding) ([]*configRule, error) {
	var rules []*configRule
	var token *string
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("DescribeConfigRules: more than %d pages", maxPages)
		}
		out, err := api.DescribeConfigRules(ctx, &configservice.DescribeConfigRulesInput{NextToken: token})
		if err != nil {
			return nil, err
		}
		for _, r := range out.ConfigRules {
			if r.ConfigRuleState == cstypes.ConfigRuleStateDeleting {
				continue
			}
			if cr := witnessRule(r, bindings); cr != nil {
				rules = append(rules, cr)
			}
		}
		token = out.NextToken
		if sdkaws.ToString(token) == "" {
			return rules, nil
		}
	}
}

// witnessRule recognises a managed rule by its source identifier and a
// sagefence custom rule by its CustomRuleParameter; nil for any other rule.
func witnessRule(r cstypes.ConfigRule, bindings []Binding) *configRule {
	name := sdkaws.ToString(r.ConfigRuleName)
	if r.Source == nil || name == "" {
		return nil
	}
	if r.Source.Owner == cstypes.OwnerAws {
		for _, b := range bindings {
			if strings.EqualFold(sdkaws.ToString(r.Source.SourceIdentifier), b.ConfigRule) {
				return &configRule{name: name, controlID: b.ControlID, managed: b.ConfigRule}
			}
		}
		return nil
	}
	var params map[string]any
	if json.Unmarshal([]byte(sdkaws.ToString(r.InputParameters)), &params) != nil {
		return nil
	}
	v, ok := params[CustomRuleParameter].(string)
	if !ok {
		return nil
	}
	c, ok := control.Lookup(v)
	if !ok {
		return nil
	}
	return &configRule{name: name, controlID: c.ID}
}

// readConfigResults reads every evaluation of a rule in the scope, keyed by
// lower-cased resource ID.
func readConfigResults(ctx context.Context, api ConfigAPI, agg *Aggregator, s scope, rule string) (map[string]configResult, error) {
	results := map[string]configResult{}
	// add keeps one evaluation result of this rule (results naming another
	// rule are an answer that ignored the filter, and are skipped).
	add := func(ident *cstypes.EvaluationResultIdentifier, compliance cstypes.ComplianceType, recorded, invoked *time.Time, annotation *string) {
		if ident == nil {
			return
		}
		q := ident.EvaluationResultQualifier
		if q == nil || q.ResourceId == nil || q.ConfigRuleName != nil && *q.ConfigRuleName != rule {
			return
		}
		// The rule's evaluation time; when the result was recorded if absent.
		when := sdkaws.ToTime(invoked)
		if when.IsZero() {
			when = sdkaws.ToTime(recorded)
		}
		id := strings.ToLower(*q.ResourceId)
		if prev, ok := results[id]; ok && prev.evaluated.After(when) {
			return // keep the newest evaluation (detective and proactive modes)
		}
		results[id] = configResult{resourceType: sdkaws.ToString(q.ResourceType), compliance: string(compliance),
			evaluated: when, annotation: sdkaws.ToString(annotation)}
	}
	var token *string
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("compliance details of %s: more than %d pages", rule, maxPages)
		}
		if agg != nil {
			out, err := agg.API.GetAggregateComplianceDetailsByConfigRule(ctx, &configservice.GetAggregateComplianceDetailsByConfigRuleInput{
				ConfigurationAggregatorName: sdkaws.String(agg.Name), ConfigRuleName: sdkaws.String(rule),
				AccountId: sdkaws.String(s.account), AwsRegion: sdkaws.String(s.region), Limit: 100, NextToken: token,
			})
			if err != nil {
				return nil, fmt.Errorf("aggregator %s: %w", agg.Name, err)
			}
			for _, r := range out.AggregateEvaluationResults {
				if r.AccountId != nil && *r.AccountId != s.account || r.AwsRegion != nil && *r.AwsRegion != s.region {
					continue // another scope's result: the aggregator ignored the filter
				}
				add(r.EvaluationResultIdentifier, r.ComplianceType, r.ResultRecordedTime, r.ConfigRuleInvokedTime, r.Annotation)
			}
			token = out.NextToken
		} else {
			out, err := api.GetComplianceDetailsByConfigRule(ctx, &configservice.GetComplianceDetailsByConfigRuleInput{
				ConfigRuleName: sdkaws.String(rule), Limit: 100, NextToken: token,
				ComplianceTypes: []cstypes.ComplianceType{cstypes.ComplianceTypeCompliant, cstypes.ComplianceTypeNonCompliant, cstypes.ComplianceTypeNotApplicable},
			})
			if err != nil {
				return nil, err
			}
			for _, r := range out.EvaluationResults {
				add(r.EvaluationResultIdentifier, r.ComplianceType, r.ResultRecordedTime, r.ConfigRuleInvokedTime, r.Annotation)
			}
			token = out.NextToken
		}
		if sdkaws.ToString(token) == "" {
			return results, nil
		}
	}
}

// isNoSuchRule: the rule was deleted between the listing and the read.
func isNoSuchRule(err error) bool {
	var e *cstypes.NoSuchConfigRuleException
	return errors.As(err, &e) || errorCode(err) == "NoSuchConfigRuleException"
}
