package aws_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// request is what the fault proxy knows about one AWS API call.
type request struct {
	region, service, operation string
}

// fault is what the proxy does to a request: nothing (zero value), delay it,
// answer an error or a 200 with a body of its own instead of moto, cut
// moto's answer short, or change the request before moto sees it.
type fault struct {
	delay time.Duration
	// status and code make an error response in the service's protocol.
	status int
	code   string
	// body, when ok200 is set, is answered with status 200 instead of moto's answer.
	body        string
	contentType string
	ok200       bool
	// truncate answers the first half of moto's answer (with a matching
	// Content-Length, so only the body is broken).
	truncate bool
	// rewrite changes the request's body before moto sees it (moto does not
	// check signatures); "" leaves it.
	rewrite func(body string) string
}

// faultProxy is a reverse proxy in front of moto that injects faults.
type faultProxy struct {
	*httptest.Server
	rule func(r request, attempt int) fault

	// closing ends held (delayed) requests when the test cleans up.
	closing chan struct{}

	mu       sync.Mutex
	attempts map[request]int
	injected map[string]int // region → faults injected
	// forwarded and forwardTime are the requests passed on to moto
	// unchanged and the time moto took to answer them, until answered.
	forwarded   int
	forwardTime time.Duration
}

var credentialScope = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

func newFaultProxy(t testing.TB, target string, rule func(r request, attempt int) fault) *faultProxy {
	t.Helper()
	return newRegionalProxy(t, map[string]string{"": target}, rule)
}

// newRegionalProxy is a fault proxy that passes each request on to the
// moto of its region, targets[region], or targets[""] for a region without
// one: AWS's regions are separate services, which one moto process (one
// Python interpreter) serving every region is not.
func newRegionalProxy(t testing.TB, targets map[string]string, rule func(r request, attempt int) fault) *faultProxy {
	t.Helper()
	// Keep the connections to moto of many concurrent requests (the
	// default keeps two), so that a busy audit does not open one per call.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	upstreams := map[string]*httputil.ReverseProxy{}
	for region, target := range targets {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		upstreams[region] = httputil.NewSingleHostReverseProxy(u)
		upstreams[region].Transport = transport
	}
	if upstreams[""] == nil {
		t.Fatal("newRegionalProxy: no default target")
	}
	p := &faultProxy{rule: rule, closing: make(chan struct{}), attempts: map[request]int{}, injected: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := describeRequest(r)
		rp := upstreams[req.region]
		if rp == nil {
			rp = upstreams[""]
		}
		p.mu.Lock()
		p.attempts[req]++
		attempt := p.attempts[req]
		p.mu.Unlock()
		f := p.rule(req, attempt)
		if f.delay > 0 {
			select {
			case <-time.After(f.delay):
			case <-r.Context().Done():
				return
			case <-p.closing:
				return
			}
		}
		injected := f.status != 0 || f.ok200 || f.truncate || f.rewrite != nil
		if injected {
			p.mu.Lock()
			p.injected[req.region]++
			p.mu.Unlock()
		}
		switch {
		case f.status != 0:
			writeError(w, req.service, f.status, f.code)
		case f.ok200:
			if f.contentType != "" {
				w.Header().Set("Content-Type", f.contentType)
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(f.body)))
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, f.body)
		case f.truncate:
			rec := httptest.NewRecorder()
			rp.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body = body[:len(body)/2]
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
		default:
			if f.rewrite != nil {
				body, _ := io.ReadAll(r.Body)
				nb := f.rewrite(string(body))
				r.Body = io.NopCloser(strings.NewReader(nb))
				r.ContentLength = int64(len(nb))
				r.Header.Set("Content-Length", fmt.Sprint(len(nb)))
			}
			start := time.Now()
			rp.ServeHTTP(w, r)
			p.mu.Lock()
			p.forwarded++
			p.forwardTime += time.Since(start)
			p.mu.Unlock()
		}
	}))
	t.Cleanup(func() {
		close(p.closing)
		p.Close()
	})
	return p
}

// received returns how many requests the proxy received per region, service
// and operation (each attempt is one request) and the mean time moto took
// to answer those it passed on, since the proxy started or since the last
// call, and starts counting afresh (attempt numbers restart too).
func (p *faultProxy) received() (map[request]int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out, mean := p.attempts, time.Duration(0)
	if p.forwarded > 0 {
		mean = p.forwardTime / time.Duration(p.forwarded)
	}
	p.attempts, p.forwarded, p.forwardTime = map[request]int{}, 0, 0
	return out, mean
}

func (p *faultProxy) injectedIn(region string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[region]
}

// describeRequest reads region and service from the SigV4 credential scope
// and the operation from X-Amz-Target (JSON protocols) or Action (query).
func describeRequest(r *http.Request) request {
	var req request
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.region, req.service = m[1], m[2]
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		req.operation = target[strings.LastIndex(target, ".")+1:]
		return req
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if v, err := url.ParseQuery(string(body)); err == nil {
		req.operation = v.Get("Action")
	}
	return req
}

// writeError answers an AWS error in the service's wire protocol.
func writeError(w http.ResponseWriter, service string, status int, code string) {
	msg := fmt.Sprintf("injected %s", code)
	switch service {
	case "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fault</RequestID></Response>`, code, msg)
	case "sts", "iam":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fault</RequestId></ErrorResponse>`, code, msg)
	default: // JSON protocols: sagemaker, organizations
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, msg)
	}
}

// refuseRegion is an API option that sends every request for one region to
// a closed port, so that region's connections are refused. It runs last
// before the transport (after endpoint resolution and signing).
func refuseRegion(region, closedAddr string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("refuseRegion",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok && awsmiddleware.GetRegion(ctx) == region {
					req.URL.Host = closedAddr
					req.Host = closedAddr
				}
				return next.HandleDeserialize(ctx, in)
			}), middleware.After)
	}
}

// TestAuditFaults puts a fault-injecting proxy between the audit and moto:
// every fault must come out as an error and unknown findings, never as a
// pass, while the healthy regions are still audited and transient
// throttling is retried away.
func TestAuditFaults(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)

	const (
		healthy        = "us-east-1"
		throttled      = "eu-west-1"      // transient throttling: retried, recovers
		slow           = "ap-southeast-1" // every answer delayed
		denied         = "us-west-1"      // SageMaker AccessDenied
		broken         = "eu-central-1"   // SageMaker 500 on every call
		refused        = "us-west-2"      // connection refused
		describeDenied = "ap-northeast-1" // List works, Describe is denied
		ec2Broken      = "sa-east-1"      // SageMaker fine, EC2 look-ups fail
		subnetsDenied  = "ca-central-1"   // SageMaker fine, DescribeSubnets denied
	)
	regions := []string{healthy, throttled, slow, denied, broken, refused, describeDenied, ec2Broken, subnetsDenied}
	unreachable := map[string]bool{denied: true, broken: true, refused: true}

	for _, r := range regions {
		s.notebook(notebookSpec{Name: "private", Region: r, DIA: "Disabled", Subnet: "subnet-0123456789abcdef0",
			SecurityGroups: []string{"sg-0123456789abcdef0"}})
		s.notebook(notebookSpec{Name: "public", Region: r, DIA: "Enabled"})
		s.domain(r, "studio", "VpcOnly", "vpc-0abc", []string{"subnet-0abc"})
	}
	net := s.vpc(ec2Broken)
	s.notebook(notebookSpec{Name: "in-vpc", Region: ec2Broken, DIA: "Disabled", Subnet: net.NATSubnet, SecurityGroups: []string{net.SG}})

	proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
		switch {
		case r.region == throttled && attempt == 1:
			return fault{status: 400, code: "ThrottlingException"}
		case r.region == slow:
			return fault{delay: 150 * time.Millisecond}
		case r.region == denied && r.service == "sagemaker":
			return fault{status: 400, code: "AccessDeniedException"}
		case r.region == broken && r.service == "sagemaker":
			return fault{status: 500, code: "InternalFailure"}
		case r.region == describeDenied && strings.HasPrefix(r.operation, "Describe"):
			return fault{status: 400, code: "AccessDeniedException"}
		case r.region == ec2Broken && r.operation == "DescribeRouteTables":
			return fault{status: 500, code: "InternalError"}
		case r.region == ec2Broken && r.operation == "DescribeSecurityGroups":
			return fault{status: 403, code: "UnauthorizedOperation"}
		case r.region == subnetsDenied && r.operation == "DescribeSubnets":
			return fault{status: 403, code: "UnauthorizedOperation"}
		}
		return fault{}
	})
	opts := auditOptions(proxy.URL, nil, regions...)
	closed := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	opts.APIOptions = append(opts.APIOptions, refuseRegion(refused, closed))

	res, fs := runAudit(t, opts)
	v := index(t, fs)

	// Every fault is an error naming account and region.
	errRegions := map[string]bool{}
	for _, e := range res.Errors {
		if e.Account != defaultAccount || e.Region == "" {
			t.Errorf("error without account and region: %+v", e)
		}
		errRegions[e.Region] = true
	}
	for _, r := range []string{denied, broken, refused, describeDenied, ec2Broken, subnetsDenied} {
		if !errRegions[r] {
			t.Errorf("no error reported for %s", r)
		}
	}
	for _, r := range []string{healthy, throttled, slow} {
		if errRegions[r] {
			t.Errorf("error reported for %s, which must recover: %v", r, res.Errors)
		}
	}

	// Never a pass where a fault hid the facts.
	for _, f := range fs {
		r := f.Resource.Region
		if unreachable[r] && f.Status != finding.Unknown {
			t.Errorf("%s in unreachable %s: %s %s (%s)", f.ControlID, r, f.Resource.Address, f.Status, f.Message)
		}
		if r == describeDenied && f.Status == finding.Pass {
			t.Errorf("%s in %s: pass for %s although its description was denied", f.ControlID, r, f.Resource.Address)
		}
	}
	// An unreachable region is one gap, hiding its notebooks and domains,
	// classified by what AWS answered.
	gaps := engine.Gaps(res.Sets, nil)
	for r := range unreachable {
		var got []finding.Gap
		for _, g := range gaps {
			if g.Region == r {
				got = append(got, g)
			}
		}
		wantKind := model.GapRegionUnreachable
		if r == denied {
			wantKind = model.GapAccessDenied
		}
		if len(got) != 1 || got[0].Kind != wantKind || got[0].Account != defaultAccount || got[0].Address != "region "+r ||
			!slices.Contains(got[0].Hides, "notebook instance") || !slices.Contains(got[0].Hides, "Studio domain") ||
			!strings.Contains(got[0].Reason, r) || len(got[0].Controls) != len(control.All()) {
			t.Errorf("gaps in %s: %+v, want one %s gap hiding notebooks and domains for every control", r, got, wantKind)
		}
	}
	// Describe denied: the listed notebooks and domain are unknown, by name.
	for _, name := range []string{"private", "public"} {
		if f := v[verdictKey(headline, defaultAccount, describeDenied, name)]; f.Status != finding.Unknown {
			t.Errorf("%s in %s: %s, want unknown", name, describeDenied, f.Status)
		}
	}
	if f := v[verdictKey(vpcOnly, defaultAccount, describeDenied, "d-studio")]; f.Status != finding.Unknown {
		t.Errorf("domain in %s: %s, want unknown", describeDenied, f.Status)
	}

	// Healthy, recovered and slow regions give the real verdicts.
	for _, r := range []string{healthy, throttled, slow, ec2Broken, subnetsDenied} {
		for _, c := range []struct {
			id, address string
			want        finding.Status
		}{
			{headline, "private", finding.Pass}, {headline, "public", finding.Fail},
			{inVPC, "private", finding.Pass}, {vpcOnly, "d-studio", finding.Pass},
		} {
			if f := v[verdictKey(c.id, defaultAccount, r, c.address)]; f.Status != c.want {
				t.Errorf("%s %s in %s: %s (%s), want %s", c.id, c.address, r, f.Status, f.Message, c.want)
			}
		}
	}
	if proxy.injectedIn(throttled) == 0 {
		t.Error("no throttling was injected: the retry test proves nothing")
	}

	// EC2 failures make only the network facts unknown.
	if f := v[verdictKey(headline, defaultAccount, ec2Broken, "in-vpc")]; f.Status != finding.Pass {
		t.Errorf("headline control for in-vpc: %s, want pass (EC2 failures do not touch it)", f.Status)
	}
	set := findSet(t, res, defaultAccount, ec2Broken)
	rt := set.RouteTableForSubnet(net.NATSubnet, net.VPC)
	if rt == nil || rt.Complete || !strings.Contains(rt.Reason, "DescribeRouteTables") {
		t.Errorf("route table after a failed DescribeRouteTables: %+v", rt)
	}
	sg := set.SecurityGroupByID(net.SG)
	if sg == nil || sg.EgressComplete || !strings.Contains(sg.Reason, "UnauthorizedOperation") {
		t.Errorf("security group after a denied DescribeSecurityGroups: %+v", sg)
	}
	gapFound := false
	for _, g := range set.Gaps {
		if g.Address == net.VPC && slices.Contains(g.Hides, model.KindRouteTable) && !g.HidesKind(model.KindNotebookInstance) {
			gapFound = true
		}
		if g.HidesKind(model.KindNotebookInstance) {
			t.Errorf("an EC2 failure hid the notebooks: %+v", g)
		}
	}
	if !gapFound {
		t.Error("no network-control gap for the VPC whose look-ups failed")
	}

	// Subnets not readable: the notebook's subnet is there, its VPC unknown.
	set = findSet(t, res, defaultAccount, subnetsDenied)
	sn := set.SubnetByID("subnet-0123456789abcdef0")
	if sn == nil || sn.VpcID.Known() || !strings.Contains(sn.VpcID.Reason, "DescribeSubnets") {
		t.Errorf("subnet after a denied DescribeSubnets: %+v", sn)
	}
	if len(set.Gaps) != 1 || set.Gaps[0].Kind != model.GapAccessDenied || !slices.Contains(set.Gaps[0].Hides, model.KindSubnet) ||
		set.Gaps[0].HidesKind(model.KindNotebookInstance) {
		t.Errorf("gaps after a denied DescribeSubnets: %+v, want one access_denied gap hiding the network only", set.Gaps)
	}
}

// TestAuditAccountFaults: an account that cannot be reached (AssumeRole
// denied, regions not listable) is an error and one access_denied gap for
// every control, and no finding.
func TestAuditAccountFaults(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	s.as("111111111111").notebook(notebookSpec{Name: "private", Region: "us-east-1", DIA: "Disabled", Subnet: "subnet-0abc"})
	proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
		switch r.operation {
		case "AssumeRole":
			return fault{status: 403, code: "AccessDenied"}
		case "DescribeRegions":
			return fault{status: 403, code: "UnauthorizedOperation"}
		}
		return fault{}
	})
	for _, tc := range []struct {
		name    string
		opts    awssurface.Options
		account string
		want    string
	}{
		{"assume role denied", func() awssurface.Options {
			o := auditOptions(proxy.URL, nil, "us-east-1")
			o.RoleARN = "arn:aws:iam::111111111111:role/Audit"
			return o
		}(), "111111111111", "AccessDenied"},
		{"regions not listable", auditOptions(proxy.URL, nil), defaultAccount, "DescribeRegions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, fs := runAudit(t, tc.opts)
			// One error for the account, and the run says it audited nothing.
			if len(res.Errors) != 2 || res.Errors[0].Account != tc.account || !strings.Contains(res.Errors[0].Message, tc.want) ||
				!strings.Contains(res.Errors[1].Message, "nothing was audited") || res.Audited != 0 {
				t.Fatalf("errors = %+v (audited %d), want one naming account %s and %s, then nothing audited", res.Errors, res.Audited, tc.account, tc.want)
			}
			if len(fs) != 0 {
				t.Errorf("findings %+v for an account that could not be read", fs)
			}
			gaps := engine.Gaps(res.Sets, nil)
			if len(gaps) != 1 || gaps[0].Account != tc.account || gaps[0].Kind != model.GapAccessDenied ||
				len(gaps[0].Controls) != len(control.All()) || !strings.Contains(gaps[0].Reason, tc.want) {
				t.Errorf("gaps = %+v, want one access_denied gap for account %s naming %s", gaps, tc.account, tc.want)
			}
		})
	}
}

// TestAuditCancel: cancelling the context stops the audit with the
// cancellation as its error, not a partial report.
func TestAuditCancel(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	s.notebook(notebookSpec{Name: "nb", Region: "us-east-1"})
	started := make(chan struct{})
	var once sync.Once
	proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
		if r.service == "sagemaker" {
			once.Do(func() { close(started) })
			return fault{delay: time.Hour} // until cancelled
		}
		return fault{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	res, err := awssurface.Audit(ctx, auditOptions(proxy.URL, nil, "us-east-1", "us-west-2"))
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Fatalf("Audit after cancel = %v, %v; want context.Canceled and no result", res, err)
	}
}

// TestAuditNotebookDeletedDuringAudit deletes a notebook after it was listed
// and before it is described: it is skipped, without an error.
func TestAuditNotebookDeletedDuringAudit(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	s.notebook(notebookSpec{Name: "stays", Region: "us-east-1", DIA: "Disabled", Subnet: "subnet-0abc"})
	s.notebook(notebookSpec{Name: "goes", Region: "us-east-1"})

	var once sync.Once
	deleteOnDescribe := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("deleteBeforeDescribe",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if d, ok := in.Parameters.(*sagemaker.DescribeNotebookInstanceInput); ok && sdkaws.ToString(d.NotebookInstanceName) == "goes" {
					once.Do(func() {
						c := s.sm("us-east-1")
						if _, err := c.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: d.NotebookInstanceName}); err != nil {
							t.Errorf("stop: %v", err)
						}
						if _, err := c.DeleteNotebookInstance(ctx, &sagemaker.DeleteNotebookInstanceInput{NotebookInstanceName: d.NotebookInstanceName}); err != nil {
							t.Errorf("delete: %v", err)
						}
					})
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
	opts := auditOptions(moto.URL, nil, "us-east-1")
	opts.APIOptions = append(opts.APIOptions, deleteOnDescribe)
	res, fs := runAudit(t, opts)
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	v := index(t, fs)
	if _, ok := v[verdictKey(headline, defaultAccount, "us-east-1", "goes")]; ok {
		t.Error("the deleted notebook was reported")
	}
	if f := v[verdictKey(headline, defaultAccount, "us-east-1", "stays")]; f.Status != finding.Pass {
		t.Errorf("the remaining notebook: %s", f.Status)
	}
}
