// Package configrule runs one sagefence control as an AWS Config custom
// Lambda rule (cmd/sagefence-config-rule): it reads the account's notebook
// instances and Studio domains of the Lambda's region through surface/aws
// (the code `sagefence audit` uses), evaluates the rule's control with
// engine.Evaluate, and reports each verdict with PutEvaluations.
//
// Contract:
//   - The rule's InputParameters (ruleParameters) must hold
//     {"sagefence_control": "<control ID or alias>"} (witness.CustomRuleParameter,
//     how `audit --witnesses` recognises the rule) and may hold
//     "exempt_resources": a comma-separated list of notebook names / domain
//     IDs reported NOT_APPLICABLE with an annotation saying so. Any other key,
//     an unknown control or malformed JSON is an error (the invocation fails,
//     nothing is reported).
//   - ScheduledNotification: every notebook instance and domain of the region
//     the control judges is evaluated. OrderingTimestamp is the
//     notification's creation time.
//     A resource the rule evaluated before (GetComplianceDetailsByConfigRule,
//     COMPLIANT or NON_COMPLIANT) that the complete listing no longer holds
//     was deleted: it becomes NOT_APPLICABLE, so a deleted notebook does not
//     stay NON_COMPLIANT in Config and Security Hub. When the region was not
//     read completely, nothing is swept.
//   - ConfigurationItemChangeNotification and
//     OversizedConfigurationItemChangeNotification: a deleted notebook or
//     domain (configurationItemStatus ResourceDeleted /
//     ResourceDeletedNotRecorded) or one that left the rule's scope
//     (eventLeftScope) is NOT_APPLICABLE. A changed domain (or notebook,
//     where the recorder records them) re-evaluates that resource; a changed EC2 network resource (subnet, route table, NAT
//     gateway, VPC endpoint, security group, VPC, internet gateway, network
//     ACL) re-evaluates every notebook and domain of the region, since which
//     notebooks it reaches is what the controls compute. Other resource
//     types are ignored (nothing is sent). OrderingTimestamp is the
//     configuration item's capture time.
//   - Verdicts: pass -> COMPLIANT, fail -> NON_COMPLIANT, suppressed ->
//     NOT_APPLICABLE ("suppressed: ..."), unknown -> NON_COMPLIANT with an
//     annotation starting "unknown:". AWS Config refuses INSUFFICIENT_DATA
//     from custom rules, and an unknown is never reported COMPLIANT: a
//     resource sagefence could not judge is flagged for a human. Several
//     findings of one resource give one evaluation: the worst (fail, unknown,
//     suppressed, pass) and its message.
//   - Annotations are the finding's message cut to 256 bytes on a UTF-8
//     boundary; evaluations are sent in batches of at most 100.
//   - The function reads the account it runs in (its execution role): an
//     event whose accountId is another account is an error and nothing is
//     sent (a central function behind organization rules would need to
//     assume a role in each member account; the templates deploy the
//     function into every account instead).
//   - A read that failed (a model.Error of the audit, or a gap that concerns
//     the control) makes Handle return an error after the evaluations it
//     could make were sent, so the invocation is marked failed in AWS Config
//     and CloudWatch Logs instead of looking clean.
package configrule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/awsconfig"
	"github.com/sagefence/sagefence/model"
	awssurface "github.com/sagefence/sagefence/surface/aws"
	"github.com/sagefence/sagefence/witness"
)

// Limits of PutEvaluations (shared/aws-facts.md §8.1).
const (
	MaxBatch      = 100
	MaxAnnotation = 256
)

// Message types of the invoking event.
const (
	MessageScheduled        = "ScheduledNotification"
	MessageChange           = "ConfigurationItemChangeNotification"
	MessageOversizedChange  = "OversizedConfigurationItemChangeNotification"
	paramExemptResources    = "exempt_resources"
	unknownAnnotationPrefix = "unknown: "
)

// NetworkResourceTypes are the EC2 types whose change re-evaluates the
// region's notebooks and domains (the rule's scope in the deployment
// templates lists them).
var NetworkResourceTypes = []string{
	"AWS::EC2::Subnet", "AWS::EC2::RouteTable", "AWS::EC2::NatGateway", "AWS::EC2::VPCEndpoint",
	"AWS::EC2::SecurityGroup", "AWS::EC2::VPC", "AWS::EC2::InternetGateway", "AWS::EC2::NetworkAcl",
}

// EvaluationsAPI are the AWS Config calls the handler makes.
type EvaluationsAPI interface {
	PutEvaluations(ctx context.Context, in *configservice.PutEvaluationsInput, optFns ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error)
	configservice.GetComplianceDetailsByConfigRuleAPIClient
}

// Handler evaluates Config rule events. The zero value is not usable: set
// Region (the Lambda's AWS_REGION) and Config.
type Handler struct {
	// Region is where the rule runs; the audit reads this region only.
	Region string
	// Audit are the surface/aws options (endpoint, timeouts); Regions is
	// overwritten with Region.
	Audit awssurface.Options
	// Config sends the evaluations.
	Config EvaluationsAPI
	// testMode sets PutEvaluations TestMode (moto accepts PutEvaluations
	// only so). It is set only by tests: the configrule_testmode build tag
	// (testmode.go) or the package's own tests, never by event input.
	testMode bool
}

// Params are the rule's InputParameters.
type Params struct {
	Control *control.Control
	// Exempt are notebook names / domain IDs reported NOT_APPLICABLE.
	Exempt map[string]bool
}

// ParseParams parses ruleParameters (a JSON object string).
func ParseParams(raw string) (Params, error) {
	var p Params
	if strings.TrimSpace(raw) == "" {
		return p, fmt.Errorf("ruleParameters is empty: the rule needs the input parameter {%q: \"<control ID>\"}", witness.CustomRuleParameter)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return p, fmt.Errorf("ruleParameters is not a JSON object of strings: %v", err)
	}
	for k := range m {
		if k != witness.CustomRuleParameter && k != paramExemptResources {
			return p, fmt.Errorf("ruleParameters: unknown parameter %q (known: %s, %s)", k, witness.CustomRuleParameter, paramExemptResources)
		}
	}
	id := m[witness.CustomRuleParameter]
	if id == "" {
		return p, fmt.Errorf("ruleParameters: %q is missing", witness.CustomRuleParameter)
	}
	c, ok := control.Lookup(id)
	if !ok {
		return p, fmt.Errorf("ruleParameters: %s %q is no sagefence control (see `sagefence controls`)", witness.CustomRuleParameter, id)
	}
	p.Control = c
	p.Exempt = map[string]bool{}
	for _, r := range strings.Split(m[paramExemptResources], ",") {
		if r = strings.TrimSpace(r); r != "" {
			p.Exempt[strings.ToLower(r)] = true
		}
	}
	return p, nil
}

// invokingEvent is the union of the three message types' fields we read.
type invokingEvent struct {
	MessageType              string             `json:"messageType"`
	NotificationCreationTime string             `json:"notificationCreationTime"`
	ConfigurationItem        *configurationItem `json:"configurationItem"`
	ConfigurationItemSummary *configurationItem `json:"configurationItemSummary"`
}

type configurationItem struct {
	ResourceType                 string `json:"resourceType"`
	ResourceID                   string `json:"resourceId"`
	ResourceName                 string `json:"resourceName"`
	AWSRegion                    string `json:"awsRegion"`
	ConfigurationItemStatus      string `json:"configurationItemStatus"`
	ConfigurationItemCaptureTime string `json:"configurationItemCaptureTime"`
}

// Handle evaluates one Config rule event (see the package contract).
func (h *Handler) Handle(ctx context.Context, ev events.ConfigEvent) error {
	if ev.ResultToken == "" {
		return errors.New("event has no resultToken: not an AWS Config rule invocation")
	}
	params, err := ParseParams(ev.RuleParameters)
	if err != nil {
		return err
	}
	var inv invokingEvent
	if err := json.Unmarshal([]byte(ev.InvokingEvent), &inv); err != nil {
		return fmt.Errorf("invokingEvent is not JSON: %v", err)
	}
	var evals []cstypes.Evaluation
	var readErr error
	switch inv.MessageType {
	case MessageScheduled:
		when, err := parseTime("notificationCreationTime", inv.NotificationCreationTime)
		if err != nil {
			return err
		}
		evals, readErr = h.evaluateRegion(ctx, ev.AccountID, params, when, nil)
		if readErr == nil && ev.ConfigRuleName != "" {
			gone, err := h.vanished(ctx, ev.ConfigRuleName, subjectType(params.Control), evals, when)
			if err != nil {
				readErr = err
			}
			evals = append(evals, gone...)
		}
	case MessageChange, MessageOversizedChange:
		ci := inv.ConfigurationItem
		if inv.MessageType == MessageOversizedChange {
			ci = inv.ConfigurationItemSummary
		}
		if ci == nil || ci.ResourceType == "" || ci.ResourceID == "" {
			return fmt.Errorf("%s without a configuration item (resourceType, resourceId)", inv.MessageType)
		}
		when, err := parseTime("configurationItemCaptureTime", ci.ConfigurationItemCaptureTime)
		if err != nil {
			return err
		}
		evals, readErr = h.evaluateChange(ctx, ev.AccountID, params, ev.EventLeftScope, ci, when)
	case "":
		return errors.New("invokingEvent has no messageType")
	default:
		return fmt.Errorf("invokingEvent messageType %q is not handled (ScheduledNotification, ConfigurationItemChangeNotification, OversizedConfigurationItemChangeNotification)", inv.MessageType)
	}
	if err := h.put(ctx, ev.ResultToken, evals); err != nil {
		return errors.Join(err, readErr)
	}
	return readErr
}

func parseTime(field, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("invokingEvent %s %q is not an RFC 3339 time", field, v)
	}
	return t, nil
}

// subjectType is the Config resource type a control reports on ("" when
// it judges neither notebooks nor domains).
func subjectType(c *control.Control) string {
	switch {
	case slices.Contains(c.Reads.Subjects, model.KindNotebookInstance):
		return awssurface.TypeNotebook
	case slices.Contains(c.Reads.Subjects, model.KindDomain):
		return awssurface.TypeDomain
	}
	return ""
}

// evaluateChange handles a configuration change of ci.
func (h *Handler) evaluateChange(ctx context.Context, account string, p Params, leftScope bool, ci *configurationItem, when time.Time) ([]cstypes.Evaluation, error) {
	if ci.AWSRegion != "" && h.Region != "" && ci.AWSRegion != h.Region {
		return nil, fmt.Errorf("configuration item of %s %s is in region %s, the rule runs in %s", ci.ResourceType, ci.ResourceID, ci.AWSRegion, h.Region)
	}
	subject := ci.ResourceType == awssurface.TypeNotebook || ci.ResourceType == awssurface.TypeDomain
	deleted := ci.ConfigurationItemStatus == "ResourceDeleted" || ci.ConfigurationItemStatus == "ResourceDeletedNotRecorded"
	switch {
	case subject && (deleted || leftScope):
		why := "the resource was deleted"
		if !deleted {
			why = "the resource left the rule's scope"
		}
		return []cstypes.Evaluation{evaluation(ci.ResourceType, ci.ResourceID, cstypes.ComplianceTypeNotApplicable, why, when)}, nil
	case subject:
		if ci.ResourceType != subjectType(p.Control) {
			return nil, nil // e.g. a domain change for a notebook control
		}
		id := strings.ToLower(ci.ResourceID)
		evals, err := h.evaluateRegion(ctx, account, p, when, func(f finding.Finding) bool { return strings.ToLower(f.Resource.Address) == id })
		if err == nil && len(evals) == 0 {
			// Config says it exists, the API no longer lists it: it was
			// deleted since the item was captured.
			evals = append(evals, evaluation(ci.ResourceType, ci.ResourceID, cstypes.ComplianceTypeNotApplicable, "the resource no longer exists", when))
		}
		return evals, err
	case slices.Contains(NetworkResourceTypes, ci.ResourceType):
		return h.evaluateRegion(ctx, account, p, when, nil)
	}
	return nil, nil
}

// evaluateRegion audits the region and turns the control's findings
// (those keep selects; all when nil) into evaluations, one per resource.
// The function reads the account it runs in: an event for another account
// (an organization rule calling a central function) is an error, never an
// evaluation of the wrong account's resources.
func (h *Handler) evaluateRegion(ctx context.Context, account string, p Params, when time.Time, keep func(finding.Finding) bool) ([]cstypes.Evaluation, error) {
	opts := h.Audit
	opts.Regions = []string{h.Region}
	live, err := awssurface.Audit(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("reading region %s: %w", h.Region, err)
	}
	if account != "" && len(live.Accounts) > 0 && !slices.Contains(live.Accounts, account) {
		return nil, fmt.Errorf("the event is for account %s but the function reads account %s: deploy the function in every account (sagefence guardrail --kind config), a central function for organization rules is not supported",
			account, strings.Join(live.Accounts, ", "))
	}
	controls := []*control.Control{p.Control}
	findings, evalErrs := engine.Evaluate(live.Sets, controls, nil, when)
	var problems []string
	for _, e := range append(append([]model.Error(nil), live.Errors...), evalErrs...) {
		problems = append(problems, e.Error())
	}
	for _, g := range engine.Gaps(live.Sets, controls) {
		problems = append(problems, fmt.Sprintf("gap (%s) %s: %s", g.Kind, g.Address, g.Reason))
	}
	typ := subjectType(p.Control)
	byResource := map[string]finding.Finding{}
	var order []string
	for _, f := range findings {
		if f.Resource.Type != typ || (keep != nil && !keep(f)) {
			continue
		}
		id := f.Resource.Address
		prev, seen := byResource[id]
		if !seen {
			order = append(order, id)
		}
		if !seen || rank(f.Status) > rank(prev.Status) {
			byResource[id] = f
		}
	}
	sort.Strings(order)
	evals := make([]cstypes.Evaluation, 0, len(order))
	for _, id := range order {
		f := byResource[id]
		if p.Exempt[strings.ToLower(id)] || p.Exempt[strings.ToLower(f.Resource.Name)] {
			evals = append(evals, evaluation(typ, id, cstypes.ComplianceTypeNotApplicable,
				"exempted by the rule parameter "+paramExemptResources, when))
			continue
		}
		compliance, annotation := Verdict(f)
		evals = append(evals, evaluation(typ, id, compliance, annotation, when))
	}
	if len(problems) > 0 {
		return evals, fmt.Errorf("region %s was not read completely, %d evaluation(s) sent: %s", h.Region, len(evals), strings.Join(problems, "; "))
	}
	return evals, nil
}

// vanished returns NOT_APPLICABLE evaluations for the resources of typ the
// rule has a COMPLIANT or NON_COMPLIANT result for that evals does not hold.
func (h *Handler) vanished(ctx context.Context, rule, typ string, evals []cstypes.Evaluation, when time.Time) ([]cstypes.Evaluation, error) {
	present := map[string]bool{}
	for _, e := range evals {
		present[strings.ToLower(sdkaws.ToString(e.ComplianceResourceId))] = true
	}
	var out []cstypes.Evaluation
	pages := configservice.NewGetComplianceDetailsByConfigRulePaginator(h.Config, &configservice.GetComplianceDetailsByConfigRuleInput{
		ConfigRuleName:  sdkaws.String(rule),
		ComplianceTypes: []cstypes.ComplianceType{cstypes.ComplianceTypeCompliant, cstypes.ComplianceTypeNonCompliant},
		Limit:           100,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("reading the earlier results of rule %s (to retire deleted resources): %w", rule, err)
		}
		for _, r := range page.EvaluationResults {
			if r.EvaluationResultIdentifier == nil || r.EvaluationResultIdentifier.EvaluationResultQualifier == nil {
				continue
			}
			q := r.EvaluationResultIdentifier.EvaluationResultQualifier
			id := sdkaws.ToString(q.ResourceId)
			if sdkaws.ToString(q.ResourceType) != typ || id == "" || present[strings.ToLower(id)] {
				continue
			}
			present[strings.ToLower(id)] = true
			out = append(out, evaluation(typ, id, cstypes.ComplianceTypeNotApplicable, "the resource no longer exists", when))
		}
	}
	return out, nil
}

// rank orders statuses for "worst finding wins".
func rank(s finding.Status) int {
	switch s {
	case finding.Fail:
		return 3
	case finding.Unknown:
		return 2
	case finding.Suppressed:
		return 1
	}
	return 0
}

// Verdict maps a finding to a Config compliance type and annotation (see
// the package contract: unknown is NON_COMPLIANT "unknown: ...").
func Verdict(f finding.Finding) (cstypes.ComplianceType, string) {
	switch f.Status {
	case finding.Pass:
		return cstypes.ComplianceTypeCompliant, f.Message
	case finding.Fail:
		return cstypes.ComplianceTypeNonCompliant, f.Message
	case finding.Suppressed:
		reason := f.Message
		if f.Suppression != nil && f.Suppression.Reason != "" {
			reason = f.Suppression.Reason
		}
		return cstypes.ComplianceTypeNotApplicable, "suppressed: " + reason
	}
	return cstypes.ComplianceTypeNonCompliant, unknownAnnotationPrefix + f.Message
}

func evaluation(typ, id string, c cstypes.ComplianceType, annotation string, when time.Time) cstypes.Evaluation {
	return cstypes.Evaluation{
		ComplianceResourceType: sdkaws.String(typ), ComplianceResourceId: sdkaws.String(id),
		ComplianceType: c, Annotation: sdkaws.String(Truncate(annotation, MaxAnnotation)),
		OrderingTimestamp: sdkaws.Time(when),
	}
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence,
// ending in "…" when it was cut; an empty s becomes "-" (Annotation must
// not be empty).
func Truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "-"
	}
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// put sends evals in batches of MaxBatch; a batch AWS Config refuses in part
// (FailedEvaluations) is an error naming the resources.
func (h *Handler) put(ctx context.Context, token string, evals []cstypes.Evaluation) error {
	var errs []error
	for start := 0; start < len(evals); start += MaxBatch {
		batch := evals[start:min(start+MaxBatch, len(evals))]
		out, err := h.Config.PutEvaluations(ctx, &configservice.PutEvaluationsInput{
			ResultToken: sdkaws.String(token), Evaluations: batch, TestMode: h.testMode,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("PutEvaluations (evaluations %d-%d of %d): %w", start+1, start+len(batch), len(evals), err))
			continue
		}
		for _, f := range out.FailedEvaluations {
			errs = append(errs, fmt.Errorf("PutEvaluations refused the evaluation of %s %s", sdkaws.ToString(f.ComplianceResourceType), sdkaws.ToString(f.ComplianceResourceId)))
		}
	}
	return errors.Join(errs...)
}

// FromEnvironment builds the handler the Lambda runs: region from
// AWS_REGION, the SDK's default credential chain (the function's execution
// role) through internal/awsconfig, as `sagefence audit` loads it.
// AWS_ENDPOINT_URL is honoured by the SDK (tests point it at moto).
func FromEnvironment(ctx context.Context, region string) (*Handler, error) {
	if region == "" {
		return nil, errors.New("AWS_REGION is not set: the rule evaluates the region it runs in")
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Region: region})
	if err != nil {
		return nil, fmt.Errorf("loading the AWS SDK configuration: %w", err)
	}
	return &Handler{
		Region: region,
		Audit:  awssurface.Options{ConfigOptions: []func(*config.LoadOptions) error{config.WithRegion(region)}},
		Config: configservice.NewFromConfig(cfg), testMode: buildTestMode,
	}, nil
}

// LambdaActions are the IAM actions the function's execution role needs:
// the reads of `sagefence audit` within one account and region (no
// Organizations, AssumeRole or DescribeRegions) and config:PutEvaluations.
// The deployment templates (guardrail --kind config) grant exactly these.
func LambdaActions() []string {
	var out []string
	for _, a := range awssurface.RequiredActions {
		switch a {
		case "organizations:ListAccounts", "sts:AssumeRole", "ec2:DescribeRegions":
			continue
		}
		out = append(out, a)
	}
	out = append(out, "config:PutEvaluations", "config:GetComplianceDetailsByConfigRule")
	sort.Strings(out)
	return out
}
