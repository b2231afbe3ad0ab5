package aws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagefence/sagefence/model"
)

// listPageSize is the largest page the SageMaker List APIs accept.
const listPageSize = 100

// regionScope is one account+region being audited.
type regionScope struct {
	account, region string
	set             *model.Set
	mu              sync.Mutex // guards set and errs during the concurrent phases
	errs            []model.Error
	// phase names the calls the region is waiting for, for the
	// region-timeout message.
	phase atomic.Value
}

func (s *regionScope) meta(typ, address, key, name, arn string) model.Meta {
	return model.Meta{Surface: model.SurfaceAWS, Type: typ, Address: address, Key: key, Name: name,
		ARN: arn, Region: s.region, Account: s.account}
}

// fail records an error for the scope.
func (s *regionScope) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, model.Error{Account: s.account, Region: s.region, Message: fmt.Sprintf(format, args...)})
}

// gap adds a scope that could not be read to the set, hiding the given
// kinds (empty: all), classified by err (see gapKindOf). A scope already
// hidden entirely gets no second gap, and a second failure of the same kind
// for the same scope (two EC2 look-ups of one VPC) joins the first gap: its
// reason and what it hides, so each cause is reported once.
func (s *regionScope) gap(m model.Meta, hides []model.Kind, err error, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kind := gapKindOf(err)
	for _, g := range s.set.Gaps {
		if g.Address != m.Address {
			continue
		}
		if len(g.Hides) == 0 {
			return
		}
		if g.Kind == kind {
			if !strings.Contains(g.Reason, reason) {
				g.Reason += "; " + reason
			}
			if len(hides) == 0 {
				g.Hides = nil
			}
			for _, k := range hides {
				if !slices.Contains(g.Hides, k) {
					g.Hides = append(g.Hides, k)
				}
			}
			return
		}
	}
	s.set.Gaps = append(s.set.Gaps, &model.Gap{Meta: m, Kind: kind, Hides: slices.Clone(hides), Reason: reason})
}

func (s *regionScope) regionMeta() model.Meta {
	return s.meta(TypeRegion, "region "+s.region, "", s.region, "")
}

// auditRegion fills one Set for t.account in region, within the region
// timeout. A region that runs out of time is reported like an unreachable
// one: its partial facts are dropped, every control is unknown there.
func (a *auditor) auditRegion(ctx context.Context, t target, region string) {
	rctx, cancel := context.WithTimeout(ctx, a.opts.RegionTimeout)
	defer cancel()
	scope := &regionScope{account: t.account, region: region, set: &model.Set{Surface: model.SurfaceAWS}}
	a.addScope(t.account, region)
	listed := a.readRegion(rctx, t, scope)
	switch {
	case ctx.Err() != nil:
		return
	case rctx.Err() != nil:
		waiting, _ := scope.phase.Load().(string)
		a.accountFailed(t.account, region, fmt.Errorf("the region's audit did not finish within %s (--region-timeout) while waiting for %s; nothing of it is reported",
			a.opts.RegionTimeout, waiting))
		return
	}
	sortSet(scope.set)
	a.addSet(t.account, region, scope.set)
	for _, e := range scope.errs {
		a.addError(e)
	}
	if listed {
		a.mu.Lock()
		a.audited++
		a.mu.Unlock()
	}
}

// readRegion reads the region's resources into scope; it reports whether the
// notebook instances could be listed (the region was read at all).
func (a *auditor) readRegion(ctx context.Context, t target, scope *regionScope) bool {
	sm := sagemaker.NewFromConfig(t.cfg, func(o *sagemaker.Options) { o.Region = scope.region })
	scope.phase.Store("sagemaker ListNotebookInstances")
	summaries, err := listNotebooks(ctx, sm)
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		// No notebook of the region could be read: what they would be
		// judged on is hidden (domains are listed apart).
		msg := fmt.Sprintf("listing notebook instances: %s", describeErr(err))
		scope.fail("%s", msg)
		scope.gap(scope.regionMeta(), notebookKinds, err, scopeReason(t.account, scope.region, errors.New(msg)))
	} else {
		scope.phase.Store("sagemaker DescribeNotebookInstance")
		a.describeNotebooks(ctx, sm, scope, summaries)
	}
	scope.phase.Store("sagemaker ListDomains/DescribeDomain")
	a.auditDomains(ctx, sm, scope)
	scope.phase.Store("sagemaker DescribeNotebookInstanceLifecycleConfig")
	a.auditLifecycleConfigs(ctx, sm, scope)
	scope.phase.Store("the EC2 look-ups (DescribeSubnets, DescribeRouteTables, DescribeNatGateways, DescribeVpcEndpoints, DescribeSecurityGroups)")
	a.auditNetwork(ctx, t, scope)
	return err == nil
}

func listNotebooks(ctx context.Context, sm *sagemaker.Client) ([]smtypes.NotebookInstanceSummary, error) {
	var out []smtypes.NotebookInstanceSummary
	pages := sagemaker.NewListNotebookInstancesPaginator(sm,
		&sagemaker.ListNotebookInstancesInput{MaxResults: sdkaws.Int32(listPageSize)},
		func(o *sagemaker.ListNotebookInstancesPaginatorOptions) { o.Limit = listPageSize })
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.NotebookInstances...)
	}
	return out, nil
}

// forEach runs fn on 0..n-1 with at most limit at a time, stopping early when
// ctx is cancelled.
func forEach(ctx context.Context, n, limit int, fn func(i int)) {
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-slots }()
			fn(i)
		}(i)
	}
	wg.Wait()
}

// describeNotebooks describes every listed notebook concurrently.
func (a *auditor) describeNotebooks(ctx context.Context, sm *sagemaker.Client, scope *regionScope, summaries []smtypes.NotebookInstanceSummary) {
	notebooks := make([]*model.NotebookInstance, len(summaries))
	forEach(ctx, len(summaries), a.opts.DescribeParallelism, func(i int) {
		sum := summaries[i]
		name := sdkaws.ToString(sum.NotebookInstanceName)
		if name == "" {
			scope.unnamedListed("ListNotebookInstances", "notebook instance", notebookKinds)
			return
		}
		if wrong := scope.wrongAnswer("ListNotebookInstances", name, name, sdkaws.ToString(sum.NotebookInstanceArn)); wrong != "" {
			scope.wrongListing(wrong, notebookKinds)
			return
		}
		out, err := sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: sum.NotebookInstanceName})
		defer func() {
			a.described.Add(1)
			a.progress()
		}()
		var reason string
		switch {
		case err == nil:
			reason = scope.wrongAnswer("DescribeNotebookInstance", name, sdkaws.ToString(out.NotebookInstanceName),
				sdkaws.ToString(out.NotebookInstanceArn))
			if reason == "" {
				notebooks[i] = scope.notebook(out)
				return
			}
		case ctx.Err() != nil:
			return
		case isNotFound(err):
			// Deleted between List and Describe: it no longer exists.
			return
		default:
			reason = fmt.Sprintf("DescribeNotebookInstance failed: %s", describeErr(err))
		}
		scope.fail("notebook instance %s: %s", name, reason)
		notebooks[i] = scope.undescribedNotebook(sum, reason)
	})
	for _, nb := range notebooks {
		if nb != nil {
			scope.set.Notebooks = append(scope.set.Notebooks, nb)
		}
	}
}

// unnamedListed records a listed resource without a name or ID: it cannot
// be described, so what the listing fills is hidden in the region.
func (s *regionScope) unnamedListed(call, what string, hides []model.Kind) {
	s.wrongListing(fmt.Sprintf("%s answered a %s without a name or ID", call, what), hides)
}

// wrongListing records a listing that is not the scope's (an unnamed entry,
// an ARN of another account or region): what it should have listed is not
// known, so the kinds it fills (hides) are hidden in the region.
func (s *regionScope) wrongListing(msg string, hides []model.Kind) {
	s.fail("%s", msg)
	err := errors.New(msg)
	s.gap(s.regionMeta(), hides, err, scopeReason(s.account, s.region, err))
}

// wrongAnswer checks that a Describe answer is about the resource asked
// for: it names it (answered, the name or ID in the answer) and its ARN, when
// there is one, is in the scope's account and region. It returns why the
// answer cannot be used, naming the call, or "".
func (s *regionScope) wrongAnswer(call, asked, answered, arnText string) string {
	if answered == "" {
		return fmt.Sprintf("%s for %s answered without naming any resource (an empty or partial answer)", call, asked)
	}
	if answered != asked {
		return fmt.Sprintf("%s for %s answered about %s", call, asked, answered)
	}
	if arnText == "" {
		return ""
	}
	a, err := arn.Parse(arnText)
	switch {
	case err != nil:
		return fmt.Sprintf("%s for %s answered a malformed ARN %q", call, asked, arnText)
	case a.Region != s.region || a.AccountID != s.account:
		return fmt.Sprintf("%s for %s in account %s region %s answered an ARN of account %s region %s",
			call, asked, s.account, s.region, a.AccountID, a.Region)
	}
	return ""
}

// isNotFound reports whether err says the resource does not exist (any more).
func isNotFound(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException", "RecordNotFound":
		return true
	case "ValidationException":
		msg := strings.ToLower(ae.ErrorMessage())
		return strings.Contains(msg, "recordnotfound") || strings.Contains(msg, "does not exist") ||
			strings.Contains(msg, "not found") || strings.Contains(msg, "could not find")
	}
	return false
}

// explicit is a value set in the account; ref links it to the resource with that ID.
func explicit(v string) model.Str { return model.Str{V: v, Resolution: model.Explicit} }
func ref(id string) model.Str     { return model.Str{V: id, Ref: id, Resolution: model.Explicit} }

func unknown(reason string) model.Str { return model.Str{Resolution: model.Unknown, Reason: reason} }

// refs turns IDs into a list of references; an empty list is Default.
func refs(ids []string) model.List {
	l := model.List{Resolution: model.Default}
	for _, id := range ids {
		l.Items = append(l.Items, ref(id))
		l.Resolution = model.Explicit
	}
	return l
}

// optionalRef is the reference to id, or the omitted (default) value.
func optionalRef(id *string) model.Str {
	if sdkaws.ToString(id) == "" {
		return model.Str{Resolution: model.Default}
	}
	return ref(*id)
}

// notebook converts a DescribeNotebookInstance answer.
func (s *regionScope) notebook(out *sagemaker.DescribeNotebookInstanceOutput) *model.NotebookInstance {
	name := sdkaws.ToString(out.NotebookInstanceName)
	nb := &model.NotebookInstance{
		Meta:                 s.meta(TypeNotebook, name, name, name, sdkaws.ToString(out.NotebookInstanceArn)),
		SubnetID:             optionalRef(out.SubnetId),
		SecurityGroups:       refs(out.SecurityGroups),
		LifecycleConfigName:  optionalRef(out.NotebookInstanceLifecycleConfigName),
		Status:               string(out.NotebookInstanceStatus),
		Live:                 liveMap(out),
		DirectInternetAccess: explicit(string(out.DirectInternetAccess)),
	}
	if out.DirectInternetAccess == "" {
		// The API omits nothing it knows; an absent value is the API default.
		nb.DirectInternetAccess = model.Str{V: string(smtypes.DirectInternetAccessEnabled), Resolution: model.Default,
			Provenance: model.Provenance{{Kind: model.StepServiceDefault, Name: "DirectInternetAccess",
				Detail: string(smtypes.DirectInternetAccessEnabled), Via: "DescribeNotebookInstance"}}}
	}
	return nb
}

// undescribedNotebook is a listed notebook whose description failed: its
// attributes are unknown, so every control is unknown for it.
func (s *regionScope) undescribedNotebook(sum smtypes.NotebookInstanceSummary, reason string) *model.NotebookInstance {
	name := sdkaws.ToString(sum.NotebookInstanceName)
	return &model.NotebookInstance{
		Meta:                 s.meta(TypeNotebook, name, name, name, sdkaws.ToString(sum.NotebookInstanceArn)),
		DirectInternetAccess: unknown(reason),
		SubnetID:             unknown(reason),
		SecurityGroups:       model.List{Resolution: model.Unknown, Reason: reason},
		LifecycleConfigName:  unknown(reason),
		Status:               string(sum.NotebookInstanceStatus),
	}
}

// liveMap is the describe output as a map with the API's field names (the SDK's
// output fields are named as the API names them), without empty values and
// the SDK's response metadata.
func liveMap(out any) map[string]any {
	raw, err := json.Marshal(out)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	delete(m, "ResultMetadata")
	pruneEmpty(m)
	return m
}

func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case string:
			if x == "" {
				delete(m, k)
			}
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			pruneEmpty(x)
			if len(x) == 0 {
				delete(m, k)
			}
		}
	}
}

// auditDomains lists and describes the Studio domains. A listing failure
// makes the domain control unknown for the region.
func (a *auditor) auditDomains(ctx context.Context, sm *sagemaker.Client, scope *regionScope) {
	var details []smtypes.DomainDetails
	pages := sagemaker.NewListDomainsPaginator(sm, &sagemaker.ListDomainsInput{MaxResults: sdkaws.Int32(listPageSize)},
		func(o *sagemaker.ListDomainsPaginatorOptions) { o.Limit = listPageSize })
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			msg := fmt.Sprintf("listing Studio domains: %s", describeErr(err))
			scope.fail("%s", msg)
			scope.gap(scope.regionMeta(), []model.Kind{model.KindDomain}, err,
				scopeReason(scope.account, scope.region, errors.New(msg)))
			return
		}
		details = append(details, page.Domains...)
	}
	domains := make([]*model.Domain, len(details))
	forEach(ctx, len(details), a.opts.DescribeParallelism, func(i int) {
		d := details[i]
		id := sdkaws.ToString(d.DomainId)
		if id == "" {
			scope.unnamedListed("ListDomains", "Studio domain", []model.Kind{model.KindDomain})
			return
		}
		if wrong := scope.wrongAnswer("ListDomains", id, id, sdkaws.ToString(d.DomainArn)); wrong != "" {
			scope.wrongListing(wrong, []model.Kind{model.KindDomain})
			return
		}
		out, err := sm.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: d.DomainId})
		var reason string
		switch {
		case err == nil:
			reason = scope.wrongAnswer("DescribeDomain", id, sdkaws.ToString(out.DomainId), sdkaws.ToString(out.DomainArn))
			if reason == "" {
				domains[i] = scope.domain(out)
				return
			}
		case ctx.Err() != nil, isNotFound(err):
			return
		default:
			reason = fmt.Sprintf("DescribeDomain failed: %s", describeErr(err))
		}
		scope.fail("domain %s: %s", id, reason)
		domains[i] = &model.Domain{
			Meta:                 scope.meta(TypeDomain, id, id, sdkaws.ToString(d.DomainName), sdkaws.ToString(d.DomainArn)),
			AppNetworkAccessType: unknown(reason), VpcID: unknown(reason),
			SubnetIDs: model.List{Resolution: model.Unknown, Reason: reason}, Status: string(d.Status),
		}
	})
	for _, d := range domains {
		if d != nil {
			scope.set.Domains = append(scope.set.Domains, d)
		}
	}
}

func (s *regionScope) domain(out *sagemaker.DescribeDomainOutput) *model.Domain {
	id := sdkaws.ToString(out.DomainId)
	d := &model.Domain{
		Meta:                 s.meta(TypeDomain, id, id, sdkaws.ToString(out.DomainName), sdkaws.ToString(out.DomainArn)),
		AppNetworkAccessType: explicit(string(out.AppNetworkAccessType)),
		VpcID:                optionalRef(out.VpcId),
		SubnetIDs:            refs(out.SubnetIds),
		Status:               string(out.Status),
	}
	if out.AppNetworkAccessType == "" {
		d.AppNetworkAccessType = model.Str{V: string(smtypes.AppNetworkAccessTypePublicInternetOnly), Resolution: model.Default,
			Provenance: model.Provenance{{Kind: model.StepServiceDefault, Name: "AppNetworkAccessType",
				Detail: string(smtypes.AppNetworkAccessTypePublicInternetOnly), Via: "DescribeDomain"}}}
	}
	return d
}

// auditLifecycleConfigs describes the lifecycle configurations attached to
// the audited notebooks, once each.
func (a *auditor) auditLifecycleConfigs(ctx context.Context, sm *sagemaker.Client, scope *regionScope) {
	seen := map[string]bool{}
	var names []string
	for _, nb := range scope.set.Notebooks {
		if n := nb.LifecycleConfigName.Ref; n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	configs := make([]*model.LifecycleConfig, len(names))
	forEach(ctx, len(names), a.opts.DescribeParallelism, func(i int) {
		name := names[i]
		out, err := sm.DescribeNotebookInstanceLifecycleConfig(ctx,
			&sagemaker.DescribeNotebookInstanceLifecycleConfigInput{NotebookInstanceLifecycleConfigName: sdkaws.String(name)})
		var reason string
		switch {
		case err == nil:
			reason = scope.wrongAnswer("DescribeNotebookInstanceLifecycleConfig", name,
				sdkaws.ToString(out.NotebookInstanceLifecycleConfigName), sdkaws.ToString(out.NotebookInstanceLifecycleConfigArn))
			if reason == "" {
				reason = scriptsWithoutContent(out)
			}
			if reason == "" {
				configs[i] = scope.lifecycleConfig(name, out)
				return
			}
		case ctx.Err() != nil:
			return
		case isNotFound(err):
			// Attached but gone: the notebook's reference stays unresolved,
			// which controls read as unknown.
			return
		default:
			reason = fmt.Sprintf("DescribeNotebookInstanceLifecycleConfig failed: %s", describeErr(err))
		}
		scope.fail("lifecycle configuration %s: %s", name, reason)
		lc := &model.LifecycleConfig{Meta: scope.meta(TypeLifecycleConfig, name, name, name, "")}
		for _, hook := range []string{"on_create", "on_start"} {
			lc.Scripts = append(lc.Scripts, model.Script{Hook: hook, Resolution: model.Unknown, Reason: reason})
		}
		configs[i] = lc
	})
	for _, lc := range configs {
		if lc != nil {
			scope.set.LifecycleConfigs = append(scope.set.LifecycleConfigs, lc)
		}
	}
}

// scriptsWithoutContent says which hook of a lifecycle configuration answer
// has no Content (the API requires it, so the answer is partial), or "".
func scriptsWithoutContent(out *sagemaker.DescribeNotebookInstanceLifecycleConfigOutput) string {
	for _, h := range []struct {
		hook  string
		hooks []smtypes.NotebookInstanceLifecycleHook
	}{{"OnCreate", out.OnCreate}, {"OnStart", out.OnStart}} {
		for _, script := range h.hooks {
			if strings.TrimSpace(sdkaws.ToString(script.Content)) == "" {
				return fmt.Sprintf("DescribeNotebookInstanceLifecycleConfig for %s answered an %s script without Content",
					sdkaws.ToString(out.NotebookInstanceLifecycleConfigName), h.hook)
			}
		}
	}
	return ""
}

func (s *regionScope) lifecycleConfig(name string, out *sagemaker.DescribeNotebookInstanceLifecycleConfigOutput) *model.LifecycleConfig {
	lc := &model.LifecycleConfig{Meta: s.meta(TypeLifecycleConfig, name, name, name,
		sdkaws.ToString(out.NotebookInstanceLifecycleConfigArn))}
	add := func(hook string, hooks []smtypes.NotebookInstanceLifecycleHook) {
		for _, h := range hooks {
			lc.Scripts = append(lc.Scripts, decodeHook(hook, sdkaws.ToString(h.Content)))
		}
	}
	add("on_create", out.OnCreate)
	add("on_start", out.OnStart)
	return lc
}

// decodeHook decodes a hook's base64 Content; content that is not base64
// cannot be what the instance runs, so it is unknown with the reason.
func decodeHook(hook, content string) model.Script {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(content))
	if err != nil {
		return model.Script{Hook: hook, Resolution: model.Unknown,
			Reason: fmt.Sprintf("the %s script's Content is not valid base64: %v", hook, err)}
	}
	return model.Script{Hook: hook, Content: string(raw), Resolution: model.Explicit}
}

// sortSet orders a set's resources by key so output is deterministic.
func sortSet(s *model.Set) {
	sort.SliceStable(s.Notebooks, func(i, j int) bool { return s.Notebooks[i].Address < s.Notebooks[j].Address })
	sort.SliceStable(s.Domains, func(i, j int) bool { return s.Domains[i].Address < s.Domains[j].Address })
}
