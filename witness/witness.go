// Package witness reads what AWS itself says about the resources a live audit
// evaluated, and puts it on the findings (audit --witnesses): AWS Config rule
// evaluations and Security Hub control findings, each compared with
// sagefence's own verdict.
//
// Contract:
//   - Witnesses never change a finding's Status. They are added to
//     Finding.Witnesses of the live (surface "aws") notebook and domain
//     findings of the controls they speak to (Bindings, plus sagefence's own
//     custom Config rules, recognised by the input parameter
//     "sagefence_control" naming a control ID or alias).
//   - AWS Config: the rules deployed in the resource's account and region are
//     read with DescribeConfigRules; a managed rule is recognised by its
//     Source.SourceIdentifier, whatever its name (conformance packs and
//     organization rules rename them). The per-resource result comes from
//     GetComplianceDetailsByConfigRule in that account, or, when an
//     aggregator is given, from GetAggregateComplianceDetailsByConfigRule in
//     the aggregator's account (one call sequence per account and region).
//   - Security Hub: GetFindings filtered on ComplianceSecurityControlId (the
//     GeneratorId has two forms and the ProductName varies), AwsAccountId,
//     Region and ResourceType, every filter checked again on the answer; the
//     newest ACTIVE finding of the resource wins over ARCHIVED ones.
//   - Every way a witness can be missing is reported, never dropped: a rule
//     or control not deployed or Security Hub not enabled (Outcome
//     not_enabled; so is a Security Hub control enabled in no enabled
//     standard, ListStandardsControlAssociations), a resource the witness
//     has no result for
//     (not_evaluated), a witness that could not be read (error; plus one
//     entry in the result's errors naming the account, region and witness).
//     A disagreement (COMPLIANT/PASSED on a fail, NON_COMPLIANT/FAILED on a
//     pass) is Outcome disagrees; see Judge.
package witness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Sources, as in finding.Witness.Source.
const (
	SourceConfig      = "aws-config"
	SourceSecurityHub = "security-hub"
)

// Statuses a witness reports when it has no verdict of its own.
const (
	StatusNotDeployed = "NOT_DEPLOYED" // no Config rule with the identifier in the account+region
	StatusNotEnabled  = "NOT_ENABLED"  // Security Hub is not enabled in the account+region
	// StatusControlNotEnabled: Security Hub is enabled but the control is
	// enabled in no enabled standard there.
	StatusControlNotEnabled = "CONTROL_NOT_ENABLED"
	StatusNoResult          = "NO_RESULT"  // the Config rule has no evaluation of the resource
	StatusNoFinding         = "NO_FINDING" // Security Hub has no control finding for the resource
	StatusError             = "ERROR"      // the witness could not be read
)

// Outcomes, as in finding.Witness.Outcome.
const (
	OutcomeAgrees       = "agrees"
	OutcomeDisagrees    = "disagrees"
	OutcomeNotEnabled   = "not_enabled"
	OutcomeNotEvaluated = "not_evaluated"
	OutcomeInconclusive = "inconclusive"
	OutcomeError        = "error"
)

// Resource types of the live findings witnesses speak about (the AWS Config
// names, as surface/aws reports them).
const (
	TypeNotebook = "AWS::SageMaker::NotebookInstance"
	TypeDomain   = "AWS::SageMaker::Domain"
)

// Binding ties a sagefence control to AWS's own checks of the same thing.
type Binding struct {
	ControlID    string
	ResourceType string
	// ConfigRule is the AWS Config managed rule's Source.SourceIdentifier.
	ConfigRule string
	// SecurityHubControl is the Security Hub control ID, "" when none exists.
	SecurityHubControl string
	// SecurityHubType is the ASFF resource type of the control's findings.
	SecurityHubType string
}

// Bindings are the managed witnesses (shared/aws-facts.md §8.1, §8.3). No
// Security Hub control checks a domain's AppNetworkAccessType.
var Bindings = []Binding{
	{control.DirectInternetAccessID, TypeNotebook, "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS", "SageMaker.1", "AwsSageMakerNotebookInstance"},
	{control.InVPCID, TypeNotebook, "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC", "SageMaker.2", "AwsSageMakerNotebookInstance"},
	{control.DomainVpcOnlyID, TypeDomain, "SAGEMAKER_DOMAIN_IN_VPC", "", ""},
}

// CustomRuleParameter is the input parameter that marks a custom Config rule
// as sagefence's: its value is the control ID (or an alias) the rule checks.
const CustomRuleParameter = "sagefence_control"

// Clients are one account+region's witness APIs.
type Clients struct {
	Config      ConfigAPI
	SecurityHub SecurityHubAPI
}

// Aggregator reads Config results through an AWS Config aggregator.
type Aggregator struct {
	Name string
	API  AggregatorAPI
}

// Options configure Attach.
type Options struct {
	// Clients returns the witness APIs of one account and region (the
	// credentials the audit used for that account). An error makes both
	// witnesses of that scope errors.
	Clients func(account, region string) (Clients, error)
	// Aggregator, when set, reads Config compliance through it instead of
	// each account's own GetComplianceDetailsByConfigRule.
	Aggregator *Aggregator
	// Parallelism bounds concurrent account+region scopes; 0 means 4.
	Parallelism int
}

// scope is one account+region.
type scope struct{ account, region string }

// Attach reads the witnesses of every live notebook and domain finding of
// res and adds them to the findings; errors reading a witness are appended
// to res.Errors. It returns an error only when ctx is cancelled. Call it
// before res.Finalize, which counts the errors.
func Attach(ctx context.Context, res *finding.Result, opts Options) error {
	byScope := map[scope][]int{}
	for i, f := range res.Findings {
		if f.Surface != string(model.SurfaceAWS) || f.Resource.Account == "" || f.Resource.Region == "" {
			continue
		}
		if f.Resource.Type != TypeNotebook && f.Resource.Type != TypeDomain {
			continue
		}
		s := scope{f.Resource.Account, f.Resource.Region}
		byScope[s] = append(byScope[s], i)
	}
	scopes := make([]scope, 0, len(byScope))
	for s := range byScope {
		scopes = append(scopes, s)
	}
	sort.Slice(scopes, func(i, j int) bool {
		if scopes[i].account != scopes[j].account {
			return scopes[i].account < scopes[j].account
		}
		return scopes[i].region < scopes[j].region
	})
	parallel := opts.Parallelism
	if parallel <= 0 {
		parallel = 4
	}
	slots := make(chan struct{}, parallel)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range scopes {
		wg.Add(1)
		go func(s scope) {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			ev, errs := readScope(ctx, s, neededBindings(res.Findings, byScope[s]), opts)
			mu.Lock()
			defer mu.Unlock()
			for _, i := range byScope[s] {
				res.Findings[i].Witnesses = ev.witnessesFor(res.Findings[i])
			}
			res.Errors = append(res.Errors, errs...)
		}(s)
	}
	wg.Wait()
	return ctx.Err()
}

// neededBindings are the managed bindings whose control has a finding in the scope.
func neededBindings(fs []finding.Finding, idx []int) []Binding {
	var out []Binding
	for _, b := range Bindings {
		for _, i := range idx {
			if fs[i].ControlID == b.ControlID && fs[i].Resource.Type == b.ResourceType {
				out = append(out, b)
				break
			}
		}
	}
	return out
}

// configRule is one deployed Config rule that witnesses a control.
type configRule struct {
	name      string
	controlID string
	// managed is the managed identifier; "" for a sagefence custom rule.
	managed string
	// results by lower-cased resource ID.
	results map[string]configResult
	err     error
}

type configResult struct {
	resourceType, compliance string
	evaluated                time.Time
	annotation               string
}

// hubFinding is the Security Hub finding chosen for one resource.
type hubFinding struct {
	compliance, workflow, record string
	updated                      time.Time
}

// hubControl is what Security Hub said for one control in one scope.
type hubControl struct {
	notEnabled bool
	err        error
	// enabled: the control is enabled in some standard; enabledErr when
	// that could not be read.
	enabled    bool
	enabledErr error
	// byResource by lower-cased resource ARN.
	byResource map[string]hubFinding
}

// evidence is everything read in one scope.
type evidence struct {
	scope     scope
	bindings  []Binding
	configErr error
	rules     []*configRule
	hub       map[string]*hubControl // by control ID
	hubErr    error
}

func readScope(ctx context.Context, s scope, bindings []Binding, opts Options) (*evidence, []model.Error) {
	ev := &evidence{scope: s, bindings: bindings, hub: map[string]*hubControl{}}
	clients, err := opts.Clients(s.account, s.region)
	if err != nil {
		ev.configErr, ev.hubErr = err, err
		return ev, []model.Error{scopeError(s, "AWS Config and Security Hub", err)}
	}
	var errs []model.Error
	ev.rules, ev.configErr = readConfigRules(ctx, clients.Config, bindings)
	if ev.configErr != nil {
		errs = append(errs, scopeError(s, "AWS Config", ev.configErr))
	}
	kept := ev.rules[:0]
	for _, r := range ev.rules {
		r.results, r.err = readConfigResults(ctx, clients.Config, opts.Aggregator, s, r.name)
		if r.err != nil && isNoSuchRule(r.err) {
			continue // deleted since the listing: not deployed
		}
		if r.err != nil {
			errs = append(errs, scopeError(s, "AWS Config rule "+r.name, r.err))
		}
		kept = append(kept, r)
	}
	ev.rules = kept
	for _, b := range bindings {
		if b.SecurityHubControl == "" || ev.hub[b.SecurityHubControl] != nil {
			continue
		}
		hc := readHubControl(ctx, clients.SecurityHub, s, b)
		ev.hub[b.SecurityHubControl] = hc
		if hc.err != nil {
			errs = append(errs, scopeError(s, "Security Hub "+b.SecurityHubControl, hc.err))
		}
	}
	return ev, errs
}

// scopeError is the errors[] entry for a witness that could not be read.
func scopeError(s scope, what string, err error) model.Error {
	return model.Error{Account: s.account, Region: s.region,
		Message: fmt.Sprintf("witness %s could not be read (sagefence's own verdicts are unchanged): %v", what, err)}
}

// witnessesFor builds the witnesses of one finding, in a stable order:
// Config rules (by name), then Security Hub.
func (ev *evidence) witnessesFor(f finding.Finding) []finding.Witness {
	var out []finding.Witness
	for _, b := range ev.bindings {
		if b.ControlID != f.ControlID || b.ResourceType != f.Resource.Type {
			continue
		}
		out = append(out, ev.configWitnesses(f, b.ConfigRule, b.ControlID)...)
		if b.SecurityHubControl != "" {
			out = append(out, ev.hubWitness(f, b))
		}
	}
	// sagefence's custom rules for controls without a managed binding.
	if !hasBinding(f) {
		for _, r := range ev.rules {
			if r.managed == "" && r.controlID == f.ControlID {
				out = append(out, ev.ruleWitness(f, r))
			}
		}
	}
	return out
}

func hasBinding(f finding.Finding) bool {
	for _, b := range Bindings {
		if b.ControlID == f.ControlID && b.ResourceType == f.Resource.Type {
			return true
		}
	}
	return false
}

// configWitnesses: one witness per deployed rule with the managed identifier
// or a sagefence custom rule for the control; one NOT_DEPLOYED witness when
// there is none.
func (ev *evidence) configWitnesses(f finding.Finding, managed, controlID string) []finding.Witness {
	if ev.configErr != nil {
		return []finding.Witness{errorWitness(SourceConfig, managed, ev.configErr, configRulesLink(ev.scope.region))}
	}
	var out []finding.Witness
	for _, r := range ev.rules {
		if r.managed == managed || (r.managed == "" && r.controlID == controlID) {
			out = append(out, ev.ruleWitness(f, r))
		}
	}
	if len(out) == 0 {
		w := finding.Witness{Source: SourceConfig, Rule: managed, Status: StatusNotDeployed, Link: configRulesLink(ev.scope.region)}
		return []finding.Witness{Judge(f.Status, w)}
	}
	return out
}

func (ev *evidence) ruleWitness(f finding.Finding, r *configRule) finding.Witness {
	link := configRuleLink(ev.scope.region, r.name)
	if r.err != nil {
		return errorWitness(SourceConfig, r.name, r.err, link)
	}
	w := finding.Witness{Source: SourceConfig, Rule: r.name, Status: StatusNoResult, Link: link}
	for _, id := range resourceIDs(f) {
		if res, ok := r.results[id]; ok && (res.resourceType == "" || strings.EqualFold(res.resourceType, f.Resource.Type)) {
			w.Status = res.compliance
			w.Evaluated = rfc3339(res.evaluated)
			if res.annotation != "" {
				w.Note = "annotation: " + res.annotation
			}
			break
		}
	}
	return Judge(f.Status, w)
}

func (ev *evidence) hubWitness(f finding.Finding, b Binding) finding.Witness {
	link := hubControlLink(ev.scope.region, b.SecurityHubControl)
	hc := ev.hub[b.SecurityHubControl]
	switch {
	case hc == nil:
		return errorWitness(SourceSecurityHub, b.SecurityHubControl, errors.New("not read"), link)
	case hc.err != nil:
		return errorWitness(SourceSecurityHub, b.SecurityHubControl, hc.err, link)
	case hc.notEnabled:
		return Judge(f.Status, finding.Witness{Source: SourceSecurityHub, Rule: b.SecurityHubControl, Status: StatusNotEnabled, Link: link})
	}
	w := finding.Witness{Source: SourceSecurityHub, Rule: b.SecurityHubControl, Status: StatusNoFinding, Link: link}
	hf, found := hc.byResource[strings.ToLower(f.Resource.ARN)]
	switch {
	case found:
		w.Status, w.WorkflowStatus, w.RecordState = hf.compliance, hf.workflow, hf.record
		w.Evaluated = rfc3339(hf.updated)
	case hc.enabledErr != nil:
		w.Note = "whether the control is enabled could not be read: " + errorText(hc.enabledErr)
	case !hc.enabled:
		w.Status = StatusControlNotEnabled
	}
	return Judge(f.Status, w)
}

func errorWitness(source, rule string, err error, link string) finding.Witness {
	w := finding.Witness{Source: source, Rule: rule, Status: StatusError, Link: link}
	w = Judge("", w)
	w.Note = fmt.Sprintf("%s: %s", w.Note, errorText(err))
	return w
}

// resourceIDs are the lower-cased IDs a witness may use for the resource:
// the notebook name or domain ID, and the ARN.
func resourceIDs(f finding.Finding) []string {
	var ids []string
	for _, id := range []string{f.Resource.Address, f.Resource.Name, f.Resource.ARN} {
		if id != "" {
			ids = append(ids, strings.ToLower(id))
		}
	}
	return ids
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Judge fills Agrees, Outcome and Note of w from sagefence's verdict and
// the witness's Status (the disagreement matrix, docs/audit.md):
//
//	COMPLIANT/PASSED      on pass: agrees;        on fail: disagrees (stale or the rule checks less)
//	NON_COMPLIANT/FAILED  on fail: agrees;        on pass: disagrees (stale: re-evaluate the rule)
//	NOT_DEPLOYED/NOT_ENABLED/CONTROL_NOT_ENABLED: not_enabled (an evidence gap auditors will ask about)
//	NO_RESULT/NO_FINDING: not_evaluated (the witness does not know the resource)
//	NOT_APPLICABLE, INSUFFICIENT_DATA, WARNING, NOT_AVAILABLE, an ARCHIVED
//	finding, or a finding that is unknown or suppressed: inconclusive
//	ERROR: error
//
// A note already on w (a Config annotation) is kept after the explanation.
func Judge(verdict finding.Status, w finding.Witness) finding.Witness {
	name := witnessName(w)
	says := positive(w.Status)
	w.Agrees = false
	note := ""
	switch {
	case w.Status == StatusError:
		w.Outcome, note = OutcomeError, name+" could not be read"
	case w.Status == StatusNotDeployed:
		w.Outcome, note = OutcomeNotEnabled, fmt.Sprintf("no AWS Config rule %s is deployed in this account and region: an evidence gap", w.Rule)
	case w.Status == StatusNotEnabled:
		w.Outcome, note = OutcomeNotEnabled, "Security Hub is not enabled in this account and region: an evidence gap"
	case w.Status == StatusControlNotEnabled:
		w.Outcome, note = OutcomeNotEnabled, name+" is not enabled in any enabled standard in this account and region: an evidence gap"
	case w.Status == StatusNoResult:
		w.Outcome, note = OutcomeNotEvaluated, name+" has no evaluation of this resource (not yet evaluated, out of the rule's scope, or the resource type is not recorded)"
	case w.Status == StatusNoFinding:
		w.Outcome, note = OutcomeNotEvaluated, name+" has no finding for this resource (the control may be disabled, its standard not enabled, or the resource not yet evaluated)"
	case w.RecordState == "ARCHIVED":
		w.Outcome, note = OutcomeInconclusive, fmt.Sprintf("%s's only finding is ARCHIVED (last %s): the control was disabled or the resource deleted", name, w.Status)
	case says == 0:
		w.Outcome, note = OutcomeInconclusive, fmt.Sprintf("%s says %s: no verdict to compare", name, w.Status)
	case verdict != finding.Pass && verdict != finding.Fail:
		w.Outcome, note = OutcomeInconclusive, fmt.Sprintf("%s says %s; sagefence's verdict is %s", name, w.Status, verdict)
	case (says > 0) == (verdict == finding.Pass):
		w.Agrees, w.Outcome, note = true, OutcomeAgrees, fmt.Sprintf("%s says %s too", name, w.Status)
	case says > 0:
		w.Outcome, note = OutcomeDisagrees, fmt.Sprintf("%s says %s but sagefence found the resource failing: the evaluation is stale or the rule checks less than this control", name, w.Status)
	default:
		w.Outcome, note = OutcomeDisagrees, fmt.Sprintf("%s says %s but sagefence found the resource passing: the evaluation predates a fix, or the rule checks something else; re-evaluate it", name, w.Status)
	}
	if w.WorkflowStatus == "SUPPRESSED" && w.Outcome != OutcomeError {
		note += " (the finding's workflow status is SUPPRESSED)"
	}
	if w.Note != "" {
		note += "; " + w.Note
	}
	w.Note = note
	return w
}

// positive: 1 for a compliant verdict, -1 for a non-compliant one, 0 otherwise.
func positive(status string) int {
	switch status {
	case "COMPLIANT", "PASSED":
		return 1
	case "NON_COMPLIANT", "FAILED":
		return -1
	}
	return 0
}

func witnessName(w finding.Witness) string {
	if w.Source == SourceSecurityHub {
		return "Security Hub control " + w.Rule
	}
	return "AWS Config rule " + w.Rule
}

// errorText names the API error code when there is one.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// errorCode is the API error code, "" for other errors.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func configRulesLink(region string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/config/home?region=%s#/rules", region, region)
}

func configRuleLink(region, rule string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/config/home?region=%s#/rules/details?configRuleName=%s", region, region, url.QueryEscape(rule))
}

func hubControlLink(region, id string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/securityhub/home?region=%s#/controls/%s", region, region, url.PathEscape(id))
}
