// Package aws is the live surface: it reads SageMaker notebook instances,
// Studio domains, their lifecycle configurations and the VPC network around
// the notebooks from AWS accounts and fills one model.Set per account and
// region (Surface "aws"), so that every control runs unchanged on live
// resources.
//
// Contract:
//   - Every Set is one account+region. Meta.Address is the notebook name or the
//     domain ID; ARN, Region and Account are always filled. Meta.Key is the
//     resource's real ID (notebook name, domain ID, subnet-…, sg-…, rtb-…,
//     nat-…, vpce-…, lifecycle config name), and every Str.Ref that points at
//     another resource holds that ID, so model look-ups work as on IaC.
//   - A value the API omits is the API default with Resolution Default
//     (DirectInternetAccess → Enabled, AppNetworkAccessType → PublicInternetOnly).
//   - A region or account that cannot be reached (connection failure,
//     AccessDenied, invalid credentials, throttling that outlasts the retries)
//     becomes a model.Error naming account and region AND a model.Gap in that
//     scope's Set (access_denied or region_unreachable, hiding what the failed
//     call would have read), reported once: never pass, never silently missing. A notebook that disappears between List and Describe is
//     skipped. A failing EC2 look-up makes only the network facts of the
//     affected VPC unknown, never the notebook's own attributes.
//   - Calls: one List page per 100 resources, one Describe per notebook,
//     domain and attached lifecycle configuration, and EC2 look-ups once per
//     region (subnets) and once per VPC (route tables, NAT gateways, VPC
//     endpoints, security groups). Regions and accounts run concurrently with
//     bounded parallelism; throttling and 5xx answers are retried by the SDK's
//     adaptive retryer.
//   - Every attempt of every call ends within RequestTimeout and every
//     account+region within RegionTimeout: a region that runs out of time is
//     an error and a gap like an unreachable one (its partial facts are
//     dropped), never a hang.
//   - An answer that is not about what was asked is not used: a 2xx body that
//     is HTML, truncated, malformed or empty (internal/awsconfig), a
//     Describe answer naming another resource or none (`{}`), an ARN of
//     another account or region, a lifecycle script without Content: each is
//     an error naming account, region and call, and the resource's facts are
//     unknown. DescribeRegions answering no region is an error for the account.
//   - Result.Audited counts the account+region pairs that were read; when it
//     is 0 the Result holds an error saying nothing was audited, so a run that
//     read nothing is never a clean result.
//   - Audit returns an error only when nothing can start (the SDK
//     configuration cannot be loaded) or when ctx is cancelled.
package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/sagefence/sagefence/internal/awsconfig"
	"github.com/sagefence/sagefence/model"
)

// DefaultOrgRole is the role --org assumes in every member account.
const DefaultOrgRole = "OrganizationAccountAccessRole"

// Resource types as live findings name them (the CloudFormation / AWS Config names).
const (
	TypeNotebook        = "AWS::SageMaker::NotebookInstance"
	TypeDomain          = "AWS::SageMaker::Domain"
	TypeLifecycleConfig = "AWS::SageMaker::NotebookInstanceLifecycleConfig"
	TypeSubnet          = "AWS::EC2::Subnet"
	TypeRouteTable      = "AWS::EC2::RouteTable"
	TypeNATGateway      = "AWS::EC2::NatGateway"
	TypeVPCEndpoint     = "AWS::EC2::VPCEndpoint"
	TypeSecurityGroup   = "AWS::EC2::SecurityGroup"
	TypeRegion          = "AWS::Region"
	TypeAccount         = "AWS::Account"
	TypeVPC             = "AWS::EC2::VPC"
)

// networkKinds are the model kinds EC2 look-ups fill; a failed look-up
// hides only them, for the affected region or VPC.
var networkKinds = []model.Kind{model.KindSubnet, model.KindRouteTable, model.KindNATGateway,
	model.KindVPCEndpoint, model.KindSecurityGroup}

// notebookKinds are what ListNotebookInstances and the calls that follow it
// fill: a failed listing hides them (domains are listed apart).
var notebookKinds = append([]model.Kind{model.KindNotebookInstance, model.KindLifecycleConfig}, networkKinds...)

// gapKindOf classifies a failure: access_denied when AWS refused the caller
// (AccessDenied, UnauthorizedOperation, invalid or expired credentials),
// else region_unreachable.
func gapKindOf(err error) model.GapKind {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException",
			"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
			"AuthFailure", "SignatureDoesNotMatch", "OptInRequired":
			return model.GapAccessDenied
		}
	}
	return model.GapRegionUnreachable
}

// DefaultRegionTimeout bounds one account+region's audit when
// Options.RegionTimeout is 0: far above what a region with thousands of
// notebooks needs, low enough that a stuck region does not hold CI forever.
const DefaultRegionTimeout = 10 * time.Minute

// Options configure an audit.
type Options struct {
	// Regions to audit; empty means every region enabled for each account
	// (EC2 DescribeRegions).
	Regions []string
	// Profile is the shared-config profile (--profile); empty means the default chain.
	Profile string
	// EndpointURL overrides the endpoint of every service (--endpoint-url).
	// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> are honoured by the SDK
	// when it is empty.
	EndpointURL string
	// RoleARN is one target account's role to assume (--role-arn).
	RoleARN string
	// ExternalID is passed to every AssumeRole call when set.
	ExternalID string
	// Org audits every ACTIVE account of the caller's organization, assuming
	// OrgRole in each member account (the management account uses the caller's
	// credentials).
	Org     bool
	OrgRole string
	// Parallelism bounds concurrent account+region audits; 0 means 8.
	Parallelism int
	// DescribeParallelism bounds concurrent Describe calls per region; 0 means 8.
	DescribeParallelism int
	// Progress, when set, is called (from any goroutine, serialized) after
	// every region finished and every notebook described.
	Progress func(Progress)
	// Retry tunes the SDK retryer; zero values keep the SDK defaults. Tests
	// use short backoffs here instead of sleeping.
	Retry RetryOptions
	// RequestTimeout bounds each attempt of each API call; 0 means
	// awsconfig.DefaultRequestTimeout.
	RequestTimeout time.Duration
	// RegionTimeout bounds the audit of one account+region, retries
	// included; 0 means DefaultRegionTimeout.
	RegionTimeout time.Duration
	// APIOptions are added to every client's middleware stack (tests record
	// the operations called with them).
	APIOptions []func(*middleware.Stack) error
	// ConfigOptions are extra SDK load options, applied last.
	ConfigOptions []func(*config.LoadOptions) error
}

// RetryOptions tune the adaptive retryer (internal/awsconfig).
type RetryOptions = awsconfig.RetryOptions

// Progress is a snapshot of an audit's advance.
type Progress struct {
	RegionsDone, RegionsTotal int
	NotebooksDescribed        int
}

// Result is what an audit found.
type Result struct {
	Sets   []*model.Set
	Errors []model.Error
	// Accounts and Regions are the scopes audited (sorted), for the report's scope.
	Accounts []string
	Regions  []string
	// Audited is the number of account+region pairs whose resources were
	// read (at least their notebook instances listed). 0 means the run saw
	// nothing, and Errors says so.
	Audited int
	// Configs holds, per account ID, the SDK configuration that reached the
	// account (the caller's own, or an assumed role's credentials), so that
	// follow-up calls such as a Security Hub import act as that account. An
	// account that could not be reached has no entry.
	Configs map[string]sdkaws.Config
}

// Audit reads every target account and region. See the package contract.
func Audit(ctx context.Context, opts Options) (*Result, error) {
	base, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	a := &auditor{opts: opts, base: base}
	if a.opts.Parallelism <= 0 {
		a.opts.Parallelism = 8
	}
	if a.opts.DescribeParallelism <= 0 {
		a.opts.DescribeParallelism = 8
	}
	if a.opts.OrgRole == "" {
		a.opts.OrgRole = DefaultOrgRole
	}
	if a.opts.RegionTimeout <= 0 {
		a.opts.RegionTimeout = DefaultRegionTimeout
	}
	a.regionSlots = make(chan struct{}, a.opts.Parallelism)

	targets, err := a.resolveTargets(ctx)
	if err != nil {
		return nil, err
	}
	configs := map[string]sdkaws.Config{}
	var wg sync.WaitGroup
	for _, t := range targets {
		if t.err != nil {
			a.accountFailed(t.account, "", t.err)
			continue
		}
		configs[t.account] = t.cfg
		wg.Add(1)
		go func(t target) {
			defer wg.Done()
			a.auditAccount(ctx, t)
		}(t)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("audit cancelled: %w", err)
	}
	res := a.result()
	res.Configs = configs
	if res.Audited == 0 {
		msg := "nothing was audited: no region of any account could be read"
		if len(res.Errors) > 0 {
			msg += " (see the other errors)"
		}
		res.Errors = append(res.Errors, model.Error{Message: msg})
	}
	return res, nil
}

// loadConfig loads the SDK's configuration (internal/awsconfig: default
// chain, profile, endpoint, adaptive retryer).
func loadConfig(ctx context.Context, opts Options) (sdkaws.Config, error) {
	return awsconfig.Load(ctx, awsconfig.Options{
		Profile: opts.Profile, EndpointURL: opts.EndpointURL, Retry: opts.Retry, RequestTimeout: opts.RequestTimeout,
		APIOptions: opts.APIOptions, LoadOptions: opts.ConfigOptions,
	})
}

// homeRegion is where global calls (STS, Organizations, DescribeRegions) go.
func homeRegion(cfg sdkaws.Config) string {
	if cfg.Region != "" {
		return cfg.Region
	}
	return "us-east-1"
}

// auditor holds one audit's shared state.
type auditor struct {
	opts        Options
	base        sdkaws.Config
	regionSlots chan struct{}

	mu       sync.Mutex
	sets     []scopedSet
	errs     []model.Error
	accounts map[string]bool
	regions  map[string]bool
	audited  int

	progressMu   sync.Mutex
	regionsTotal atomic.Int64
	regionsDone  atomic.Int64
	described    atomic.Int64
}

// scopedSet is a Set with the account and region it covers, for ordering.
type scopedSet struct {
	account, region string
	set             *model.Set
}

func (a *auditor) addSet(account, region string, s *model.Set) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sets = append(a.sets, scopedSet{account, region, s})
}

func (a *auditor) addError(e model.Error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.errs = append(a.errs, e)
}

func (a *auditor) addScope(account, region string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.accounts == nil {
		a.accounts, a.regions = map[string]bool{}, map[string]bool{}
	}
	if account != "" {
		a.accounts[account] = true
	}
	if region != "" {
		a.regions[region] = true
	}
}

func (a *auditor) result() *Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	sort.SliceStable(a.sets, func(i, j int) bool {
		x, y := a.sets[i], a.sets[j]
		if x.account != y.account {
			return x.account < y.account
		}
		return x.region < y.region
	})
	r := &Result{Errors: a.errs, Accounts: sortedKeys(a.accounts), Regions: sortedKeys(a.regions), Audited: a.audited}
	for _, s := range a.sets {
		r.Sets = append(r.Sets, s.set)
	}
	return r
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// progress reports a snapshot; calls are serialized.
func (a *auditor) progress() {
	if a.opts.Progress == nil {
		return
	}
	a.progressMu.Lock()
	defer a.progressMu.Unlock()
	a.opts.Progress(Progress{
		RegionsDone:        int(a.regionsDone.Load()),
		RegionsTotal:       int(a.regionsTotal.Load()),
		NotebooksDescribed: int(a.described.Load()),
	})
}

// accountFailed records an account that could not be audited at all: an
// error and a Set holding only a gap for the account, so every control is
// unknown for it.
func (a *auditor) accountFailed(account, region string, err error) {
	address := "account " + account
	typ := TypeAccount
	if account == "" {
		address = "account (unknown ID)"
	}
	if region != "" {
		address, typ = "region "+region, TypeRegion
	}
	a.addError(model.Error{Account: account, Region: region, Message: describeErr(err)})
	a.addScope(account, region)
	a.addSet(account, region, &model.Set{Surface: model.SurfaceAWS, Gaps: []*model.Gap{{
		Meta:   model.Meta{Surface: model.SurfaceAWS, Type: typ, Address: address, Name: region, Account: account, Region: region},
		Kind:   gapKindOf(err),
		Reason: scopeReason(account, region, err),
	}}})
}

// scopeReason is the unknown message for a scope that could not be read.
func scopeReason(account, region string, err error) string {
	where := "account " + account
	if account == "" {
		where = "the account (its ID could not be read)"
	}
	if region != "" {
		where += " region " + region
	}
	return fmt.Sprintf("%s could not be audited: %s", where, describeErr(err))
}

// describeErr renders an SDK error compactly: the API error code and message
// when there is one, else the error text.
func describeErr(err error) string {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &ae) {
		var op interface {
			Service() string
			Operation() string
		}
		prefix := ""
		if errors.As(err, &op) {
			prefix = op.Service() + " " + op.Operation() + ": "
		}
		msg := ae.ErrorMessage()
		if msg == "" {
			return prefix + ae.ErrorCode()
		}
		return prefix + ae.ErrorCode() + ": " + msg
	}
	return err.Error()
}
