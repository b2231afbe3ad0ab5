package aws_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// faultKinds are the ways an answer can go wrong, each applied to every
// attempt of one call (so the retryer cannot recover from it).
var faultKinds = []string{"throttle", "500", "html", "empty", "truncated", "{}", "other", "hang"}

// TestAuditFaultSuite runs one audit per (fault kind, API call) through the
// fault proxy, on a region seeded so that every control passes for at least
// one resource. For every fault:
//   - no control that reads the faulted call's answer passes anywhere (zero
//     false pass), and no finding has an empty address;
//   - the result holds an error naming the account, the region and the call;
//   - a fault that hides the whole region (caller identity, regions, notebook
//     listing) leaves Audited 0 and the "nothing was audited" error.
func TestAuditFaultSuite(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	const region = "us-east-1"
	net := s.vpc(region)
	other := s.vpc(region) // answers "about another resource" come from here
	s.lifecycle(region, "lc-good", "#!/bin/bash\necho ready\n")
	s.lifecycle(region, "lc-bad", "#!/bin/bash\npip install pandas\n")
	s.notebook(notebookSpec{Name: "good", Region: region, DIA: "Disabled", Subnet: net.NATSubnet,
		SecurityGroups: []string{net.SG}, Lifecycle: "lc-good"})
	s.notebook(notebookSpec{Name: "bad", Region: region, DIA: "Enabled", Lifecycle: "lc-bad"})
	goodDomain, _ := s.domain(region, "good", "VpcOnly", net.VPC, []string{net.NATSubnet})
	badDomain, _ := s.domain(region, "bad", "PublicInternetOnly", net.VPC, []string{net.NATSubnet})

	notebookControls := []string{headline, inVPC, control.PrivateServiceAccessID, control.SecurityGroupHTTPSEgressID, control.LifecyclePublicFetchID}
	// The lifecycle control reads the network only for scripts that fetch
	// something; lc-good fetches nothing, so its pass does not depend on EC2.
	networkControls := []string{control.PrivateServiceAccessID, control.SecurityGroupHTTPSEgressID}
	all := append(slices.Clone(notebookControls), vpcOnly)
	// swap exchanges two names in a request, so moto answers about the other.
	swap := func(a, b string) func(string) string {
		return func(body string) string {
			return strings.NewReplacer(a, b, b, a).Replace(body)
		}
	}
	calls := []struct {
		name     string
		affected []string            // controls that read the call's answer
		other    func(string) string // how to ask moto about another resource; nil: not applicable
		whole    bool                // the fault hides the whole region
		all      bool                // audit every enabled region (DescribeRegions is called)
	}{
		{"GetCallerIdentity", all, nil, true, false},
		{"DescribeRegions", all, nil, true, true},
		{"ListNotebookInstances", notebookControls, nil, false, false},
		{"DescribeNotebookInstance", notebookControls, swap(`"good"`, `"bad"`), false, false},
		{"ListDomains", []string{vpcOnly}, nil, false, false},
		{"DescribeDomain", []string{vpcOnly}, swap(goodDomain, badDomain), false, false},
		{"DescribeNotebookInstanceLifecycleConfig", []string{control.LifecyclePublicFetchID}, swap("lc-good", "lc-bad"), false, false},
		{"DescribeSubnets", networkControls, swap(net.NATSubnet, other.NATSubnet), false, false},
		{"DescribeRouteTables", networkControls, swap(net.VPC, other.VPC), false, false},
		{"DescribeNatGateways", networkControls, swap(net.VPC, other.VPC), false, false},
		{"DescribeVpcEndpoints", networkControls, swap(net.VPC, other.VPC), false, false},
		{"DescribeSecurityGroups", networkControls, swap(net.VPC, other.VPC), false, false},
	}

	options := func(endpoint string) awssurface.Options {
		o := auditOptions(endpoint, nil, region)
		o.Retry.MaxAttempts = 2
		o.RequestTimeout = 500 * time.Millisecond
		return o
	}
	_, baseline := runAudit(t, options(moto.URL))
	for _, c := range calls {
		passes := 0
		for _, f := range baseline {
			if f.Status == finding.Pass && slices.Contains(c.affected, f.ControlID) {
				passes++
			}
		}
		if passes == 0 {
			t.Fatalf("seeding: no control %v passes without faults, so faults on %s prove nothing", c.affected, c.name)
		}
	}

	for _, c := range calls {
		for _, kind := range faultKinds {
			if kind == "other" && c.other == nil {
				continue
			}
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				f := faultFor(kind, c.other)
				proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
					if r.operation == c.name {
						return f
					}
					return fault{}
				})
				opts := options(proxy.URL)
				if c.all {
					opts.Regions = nil
				}
				start := time.Now()
				res, err := awssurface.Audit(context.Background(), opts)
				if err != nil {
					t.Fatalf("audit: %v", err)
				}
				if d := time.Since(start); d > time.Minute {
					t.Errorf("the audit took %s", d)
				}
				if proxy.injectedIn(region) == 0 && kind != "hang" {
					t.Fatalf("the fault was never injected on %s", c.name)
				}
				named := false
				for _, e := range res.Errors {
					if e.Account == defaultAccount && (e.Region == region || c.whole && e.Region == "") && strings.Contains(e.Message, c.name) {
						named = true
					}
				}
				// The caller's identity is the account: without it the error cannot name one.
				if c.name == "GetCallerIdentity" {
					named = len(res.Errors) > 0 && strings.Contains(res.Errors[0].Message, c.name)
				}
				if !named {
					t.Errorf("no error names account %s, region %s and %s: %+v", defaultAccount, region, c.name, res.Errors)
				}
				if c.whole && (res.Audited != 0 || len(res.Errors) == 0 ||
					!strings.Contains(res.Errors[len(res.Errors)-1].Message, "nothing was audited")) {
					t.Errorf("a fault hiding everything: audited %d, errors %+v, want 0 and \"nothing was audited\" last", res.Audited, res.Errors)
				}
				fs := evaluate(t, res)
				gaps := 0
				for _, set := range res.Sets {
					gaps += len(set.Gaps)
				}
				if len(fs) == 0 && gaps == 0 {
					t.Fatal("no findings and no gap: what could not be read must be unknown, not missing")
				}
				for _, f := range fs {
					if f.Resource.Address == "" {
						t.Errorf("%s %s with an empty address: %s", f.ControlID, f.Status, f.Message)
					}
					if f.Status == finding.Pass && slices.Contains(c.affected, f.ControlID) {
						t.Errorf("false pass: %s for %s although %s answered %s: %s", f.ControlID, f.Resource.Address, c.name, kind, f.Message)
					}
				}
			})
		}
	}
}

// faultFor is the proxy's behaviour for a fault kind.
func faultFor(kind string, other func(string) string) fault {
	switch kind {
	case "throttle":
		return fault{status: 400, code: "ThrottlingException"}
	case "500":
		return fault{status: 500, code: "InternalFailure"}
	case "html":
		return fault{ok200: true, contentType: "text/html", body: "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><p>Proxy authentication required</p></body></html>"}
	case "empty":
		return fault{ok200: true}
	case "truncated":
		return fault{truncate: true}
	case "{}":
		return fault{ok200: true, contentType: "application/x-amz-json-1.1", body: "{}"}
	case "other":
		return fault{rewrite: other}
	case "hang":
		return fault{delay: time.Hour} // until the client gives up
	}
	panic("unknown fault kind " + kind)
}

// TestAuditRegionTimeout: a region whose SageMaker answers never come
// within the (long) request timeout runs out of its region timeout and is reported as an error
// naming account and region, every control unknown there; the other region
// is audited.
func TestAuditRegionTimeout(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		s.notebook(notebookSpec{Name: "private", Region: r, DIA: "Disabled", Subnet: "subnet-0123456789abcdef0"})
	}
	proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
		if r.region == "eu-west-1" && r.service == "sagemaker" {
			return fault{delay: time.Hour}
		}
		return fault{}
	})
	// moto loads its EC2 backend on the first call, which takes seconds on a
	// loaded machine: do it before the clock runs.
	if _, err := s.ec2("us-east-1").DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{}); err != nil {
		t.Fatal(err)
	}
	opts := auditOptions(proxy.URL, nil, "us-east-1", "eu-west-1")
	opts.RequestTimeout = time.Minute
	opts.RegionTimeout = 10 * time.Second // generous for the healthy region on a loaded machine
	res, fs := runAudit(t, opts)
	if len(res.Errors) != 1 || res.Errors[0].Region != "eu-west-1" || res.Errors[0].Account != defaultAccount ||
		!strings.Contains(res.Errors[0].Message, "did not finish within 10s") ||
		!strings.Contains(res.Errors[0].Message, "while waiting for sagemaker ListNotebookInstances") {
		t.Fatalf("errors = %+v, want one for eu-west-1 naming the region timeout", res.Errors)
	}
	if res.Audited != 1 {
		t.Errorf("audited %d regions, want 1", res.Audited)
	}
	v := index(t, fs)
	if f := v[verdictKey(headline, defaultAccount, "us-east-1", "private")]; f.Status != finding.Pass {
		t.Errorf("us-east-1: %s, want pass", f.Status)
	}
	for _, f := range fs {
		if f.Resource.Region == "eu-west-1" && f.Status != finding.Unknown {
			t.Errorf("%s in the timed-out region: %s", f.ControlID, f.Status)
		}
	}
	gap := false
	for _, set := range res.Sets {
		for _, g := range set.Gaps {
			if g.Address == "region eu-west-1" && g.Account == defaultAccount && len(g.Hides) == 0 && strings.Contains(g.Reason, "--region-timeout") {
				gap = true
			}
		}
	}
	if !gap {
		t.Error("no gap hiding everything in the timed-out region")
	}
}

// TestAuditLifecycleScriptWithoutContent: a lifecycle configuration answer
// whose script has no Content makes the lifecycle control unknown with the
// reason, never pass, and is an error naming account, region and call.
func TestAuditLifecycleScriptWithoutContent(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	const region = "us-east-1"
	s.lifecycle(region, "lc", "#!/bin/bash\necho ready\n")
	s.notebook(notebookSpec{Name: "nb", Region: region, DIA: "Disabled", Subnet: "subnet-0123456789abcdef0", Lifecycle: "lc"})
	body := `{"NotebookInstanceLifecycleConfigName":"lc",` +
		`"NotebookInstanceLifecycleConfigArn":"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance-lifecycle-config/lc",` +
		`"OnStart":[{}]}`
	for _, tc := range []struct{ name, body string }{{"fault-free", ""}, {"script without Content", body}} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
				if tc.body != "" && r.operation == "DescribeNotebookInstanceLifecycleConfig" {
					return fault{ok200: true, contentType: "application/x-amz-json-1.1", body: tc.body}
				}
				return fault{}
			})
			res, fs := runAudit(t, auditOptions(proxy.URL, nil, region))
			f := index(t, fs)[verdictKey(control.LifecyclePublicFetchID, defaultAccount, region, "nb")]
			if tc.body == "" {
				if f.Status != finding.Pass || len(res.Errors) != 0 {
					t.Fatalf("without the fault: %s (%s), errors %v; want pass, or the fault proves nothing", f.Status, f.Message, res.Errors)
				}
				return
			}
			if f.Status != finding.Unknown || !strings.Contains(f.Message, "without Content") {
				t.Errorf("lifecycle control: %s (%s), want unknown naming the missing Content", f.Status, f.Message)
			}
			if len(res.Errors) != 1 || res.Errors[0].Account != defaultAccount || res.Errors[0].Region != region ||
				!strings.Contains(res.Errors[0].Message, "DescribeNotebookInstanceLifecycleConfig") {
				t.Errorf("errors = %+v, want one naming account, region and the call", res.Errors)
			}
		})
	}
}
