package aws_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagefence/sagefence/internal/awsconfig"
	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// The live audit's cost: API calls made (exactly the documented minimum,
// asserted by TestAuditCallsMinimum), regions read at the same time
// (TestAuditRegionsConcurrent) and wall time over several regions against
// the slowest region alone (BenchmarkAuditLatency, reported, never
// asserted). Both go through the fault proxy, which counts every request on
// the wire and delays each by the benchmark's latency. BENCHMARKS.md "Live
// audit latency" records the figures.

// fleetRegion is what seedFleet creates in one region.
type fleetRegion struct {
	region string
	// notebooks: every tenth has no subnet (outside any VPC); the others are
	// spread round robin over the two subnets of each VPC, with the VPC's
	// security group. A region without VPCs has only notebooks outside.
	notebooks, vpcs int
	// domains are VpcOnly Studio domains in the region's first VPC.
	domains int
	// lifecycles are configurations attached round robin to every third notebook.
	lifecycles int
}

// benchFleet is the fleet: 300 notebooks and 20 VPCs in three
// regions, us-east-1 the largest (so the slowest), and two Studio domains.
// No region holds a multiple of 100 notebooks (see minimumCalls).
var benchFleet = []fleetRegion{
	{region: "us-east-1", notebooks: 160, vpcs: 10, domains: 1, lifecycles: 3},
	{region: "eu-west-1", notebooks: 90, vpcs: 6, domains: 1, lifecycles: 2},
	{region: "ap-southeast-2", notebooks: 50, vpcs: 4, lifecycles: 1},
}

// callsFleet is a smaller fleet of the same shape for the call-count test,
// with the edges the minimum must get right: more than one List page, a
// region with notebooks but no VPC, an empty region.
var callsFleet = []fleetRegion{
	{region: "us-east-1", notebooks: 130, vpcs: 3, domains: 2, lifecycles: 2},
	{region: "eu-west-1", notebooks: 12, vpcs: 1, domains: 1, lifecycles: 1},
	{region: "ap-southeast-2", notebooks: 5},
	{region: "ca-central-1"},
}

// seededRegion is what seedFleet created in one region, as far as the
// audit's calls depend on it.
type seededRegion struct {
	region    string
	notebooks int
	domains   int
	// subnets maps every subnet a notebook uses to its VPC.
	subnets map[string]string
	// lifecycles are the attached lifecycle configurations.
	lifecycles map[string]bool
}

// seedFleet creates the fleet, one region after the other, each region
// through seederFor(region) (so in that seeder's moto).
func seedFleet(seederFor func(region string) *seeder, fleet []fleetRegion) []seededRegion {
	out := make([]seededRegion, 0, len(fleet))
	for _, f := range fleet {
		s := seederFor(f.region)
		s.t.Helper()
		r := seededRegion{region: f.region, notebooks: f.notebooks, domains: f.domains,
			subnets: map[string]string{}, lifecycles: map[string]bool{}}
		var nets []network
		for i := 0; i < f.vpcs; i++ {
			nets = append(nets, s.vpc(f.region))
		}
		for i := 0; i < f.lifecycles; i++ {
			s.lifecycle(f.region, fmt.Sprintf("lc-%d", i), "#!/bin/bash\necho ready\n")
		}
		for i := 0; i < f.notebooks; i++ {
			nb := notebookSpec{Name: fmt.Sprintf("nb-%03d", i), Region: f.region, DIA: "Enabled"}
			if len(nets) > 0 && i%10 != 9 {
				n := nets[(i/2)%len(nets)]
				nb.DIA, nb.Subnet, nb.SecurityGroups = "Disabled", n.MainSubnet, []string{n.SG}
				if i%2 == 1 {
					nb.Subnet = n.NATSubnet
				}
				r.subnets[nb.Subnet] = n.VPC
			}
			if f.lifecycles > 0 && i%3 == 0 {
				nb.Lifecycle = fmt.Sprintf("lc-%d", (i/3)%f.lifecycles)
				r.lifecycles[nb.Lifecycle] = true
			}
			s.notebook(nb)
		}
		for i := 0; i < f.domains; i++ {
			s.domain(f.region, fmt.Sprintf("studio-%d", i), "VpcOnly", nets[0].VPC, []string{nets[0].MainSubnet})
		}
		out = append(out, r)
	}
	return out
}

// pages is the number of List pages of size for n resources: at least one.
// (A service may answer a last full page with a NextToken and then an empty
// page; the fleets avoid multiples of the page size.)
func pages(n, size int) int {
	return max(1, (n+size-1)/size)
}

// minimumCalls is the documented minimum of an audit of these regions of
// one account with the regions given (no DescribeRegions), per region,
// service and operation (BENCHMARKS.md "Live audit latency"):
//
//   - sts GetCallerIdentity once, in the home region;
//   - per region: ListNotebookInstances one page per 100 notebooks (at least
//     one), DescribeNotebookInstance one per notebook, ListDomains one page
//     per 100 domains (at least one), DescribeDomain one per domain,
//     DescribeNotebookInstanceLifecycleConfig one per attached configuration;
//   - per region with notebooks in subnets: DescribeSubnets one per 200
//     distinct subnets (EC2's filter limit), and DescribeRouteTables,
//     DescribeNatGateways, DescribeVpcEndpoints and DescribeSecurityGroups
//     one each per VPC of those subnets.
func minimumCalls(home string, regions []seededRegion) map[request]int {
	want := map[request]int{{home, "sts", "GetCallerIdentity"}: 1}
	for _, r := range regions {
		add := func(service, op string, n int) {
			if n > 0 {
				want[request{r.region, service, op}] += n
			}
		}
		add("sagemaker", "ListNotebookInstances", pages(r.notebooks, 100))
		add("sagemaker", "DescribeNotebookInstance", r.notebooks)
		add("sagemaker", "ListDomains", pages(r.domains, 100))
		add("sagemaker", "DescribeDomain", r.domains)
		add("sagemaker", "DescribeNotebookInstanceLifecycleConfig", len(r.lifecycles))
		if len(r.subnets) > 0 {
			add("ec2", "DescribeSubnets", pages(len(r.subnets), 200))
		}
		vpcs := map[string]bool{}
		for _, v := range r.subnets {
			vpcs[v] = true
		}
		for _, op := range []string{"DescribeRouteTables", "DescribeNatGateways", "DescribeVpcEndpoints", "DescribeSecurityGroups"} {
			add("ec2", op, len(vpcs))
		}
	}
	return want
}

// callTable lines up the calls made with the minimum, one line per region,
// service and operation, sorted, marking every difference.
func callTable(got, want map[request]int) (lines []string, differs bool) {
	keys := map[request]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	for k := range keys {
		mark := ""
		if got[k] != want[k] {
			mark, differs = "  <- differs", true
		}
		lines = append(lines, fmt.Sprintf("%-15s %-50s %5d calls, minimum %5d%s", k.region, k.service+":"+k.operation, got[k], want[k], mark))
	}
	sort.Strings(lines)
	return lines, differs
}

// total is the sum of the counts.
func total(calls map[request]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// cliAuditOptions are the options `sagefence audit --endpoint-url URL
// --region R ...` passes to the audit (internal/cli runAudit): every other
// option at the CLI's default, the SDK's retryer untouched.
func cliAuditOptions(endpoint string, regions []seededRegion) awssurface.Options {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.region
	}
	return awssurface.Options{Regions: names, EndpointURL: endpoint, Parallelism: 8,
		RequestTimeout: awsconfig.DefaultRequestTimeout, RegionTimeout: awssurface.DefaultRegionTimeout}
}

// audited is what one audit of the fleet cost.
type audited struct {
	wall  time.Duration
	calls map[request]int
	// moto is the mean time moto took to answer a call (under the proxy's
	// delay): moto's own load, not the audit's.
	moto time.Duration
}

// auditFleet audits the regions through the proxy as the CLI does and
// fails unless the audit read every seeded notebook and domain without an
// error.
func auditFleet(tb testing.TB, proxy *faultProxy, regions []seededRegion) audited {
	tb.Helper()
	proxy.received() // forget earlier audits' calls
	start := time.Now()
	res, err := awssurface.Audit(context.Background(), cliAuditOptions(proxy.URL, regions))
	wall := time.Since(start)
	if err != nil {
		tb.Fatalf("audit: %v", err)
	}
	calls, moto := proxy.received()
	if len(res.Errors) != 0 || res.Audited != len(regions) {
		tb.Fatalf("audit of %d regions: audited %d, errors %v", len(regions), res.Audited, res.Errors)
	}
	for _, r := range regions {
		notebooks, domains, subnets := 0, 0, 0
		for _, set := range res.Sets {
			for _, nb := range set.Notebooks {
				if nb.Region == r.region {
					notebooks++
				}
			}
			for _, d := range set.Domains {
				if d.Region == r.region {
					domains++
				}
			}
			for id := range r.subnets {
				if sn := set.SubnetByID(id); sn != nil && sn.Region == r.region && sn.VpcID.Ref == r.subnets[id] {
					subnets++
				}
			}
		}
		if notebooks != r.notebooks || domains != r.domains || subnets != len(r.subnets) {
			tb.Fatalf("%s: read %d notebooks, %d domains, %d subnets; seeded %d, %d, %d",
				r.region, notebooks, domains, subnets, r.notebooks, r.domains, len(r.subnets))
		}
	}
	return audited{wall, calls, moto}
}

// homeRegion is where the audit sends sts GetCallerIdentity: the SDK's
// region, which StartMoto sets.
const homeRegion = "us-east-1"

// TestAuditCallsMinimum audits a fleet of four regions as the CLI does and
// checks that the requests on the wire, per region and operation, are
// exactly the documented minimum: for all regions at once and for one
// region alone.
func TestAuditCallsMinimum(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	seeded := seedFleet(func(string) *seeder { return s }, callsFleet)
	proxy := newFaultProxy(t, moto.URL, func(request, int) fault { return fault{} })
	for _, regions := range [][]seededRegion{seeded, seeded[:1]} {
		a := auditFleet(t, proxy, regions)
		if lines, differs := callTable(a.calls, minimumCalls(homeRegion, regions)); differs {
			t.Errorf("auditing %d regions: calls differ from the minimum:\n%s", len(regions), strings.Join(lines, "\n"))
		}
	}
}

// TestAuditRegionsConcurrent: an audit reads its regions at the same time,
// not one after the other. The proxy holds each region's first
// ListNotebookInstances until every region's has arrived; an audit that
// serialised regions would leave the first one held until the hold gives up
// (after 20 s, so the test fails instead of hanging).
func TestAuditRegionsConcurrent(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	seeded := seedFleet(func(string) *seeder { return s }, []fleetRegion{
		{region: "us-east-1", notebooks: 1}, {region: "eu-west-1", notebooks: 1}, {region: "ap-southeast-2", notebooks: 1}})
	var mu sync.Mutex
	arrived, gaveUp := map[string]bool{}, false
	listedWhileHeld := 0 // regions listed when the hold gave up
	everyRegion := make(chan struct{})
	proxy := newFaultProxy(t, moto.URL, func(r request, attempt int) fault {
		if r.operation != "ListNotebookInstances" {
			return fault{}
		}
		release := func() {
			select {
			case <-everyRegion:
			default:
				close(everyRegion)
			}
		}
		mu.Lock()
		if arrived[r.region] = true; len(arrived) == len(seeded) {
			release()
		}
		mu.Unlock()
		select {
		case <-everyRegion:
		case <-time.After(20 * time.Second):
			mu.Lock()
			if !gaveUp {
				gaveUp, listedWhileHeld = true, len(arrived)
			}
			release() // hold nothing more: the test has failed
			mu.Unlock()
		}
		return fault{}
	})
	auditFleet(t, proxy, seeded)
	mu.Lock()
	defer mu.Unlock()
	if gaveUp {
		t.Fatalf("the regions were not read at the same time: only %d of %d regions listed their notebooks while the first listing was held",
			listedWhileHeld, len(seeded))
	}
}

// benchLatencyEnv sets BenchmarkAuditLatency's delay per API call (a Go
// duration); the default is 50ms.
const benchLatencyEnv = "SAGEFENCE_BENCH_AUDIT_LATENCY"

// BenchmarkAuditLatency audits benchFleet through the proxy, every request
// delayed by the latency, as the CLI does: all three regions at once, then
// each region alone, in every iteration. Metrics (means over the
// iterations):
//
//   - ns/op and wall-all-s: the wall time of the three-region audit;
//   - wall-slowest-s: that of the slowest region audited alone, and
//     wall-ratio the ratio of the two (target ≤ 1.2);
//   - calls/op: the requests of the three-region audit, min-calls/op the
//     documented minimum (minimumCalls);
//   - moto-ms/call-all and moto-ms/call-slowest: the mean time moto took to
//     answer a call, on top of the latency, in each audit (the emulator's
//     load, which grows with the concurrent calls of three regions on a
//     machine's few cores where AWS's regions do not share it).
//
// The calls per region and operation are logged. An audit that errs,
// misses a resource or makes other calls than the minimum fails the
// benchmark.
//
//	SAGEFENCE_BENCH_AUDIT_LATENCY=50ms go test ./surface/aws -run '^$' -bench AuditLatency -benchtime 3x -v
func BenchmarkAuditLatency(b *testing.B) {
	latency := 50 * time.Millisecond
	if v := os.Getenv(benchLatencyEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			b.Fatalf("%s=%q: want a duration such as 50ms", benchLatencyEnv, v)
		}
		latency = d
	}
	// One moto per region, as AWS's regions are separate services; the
	// home region's also answers STS.
	motos, seeders := map[string]string{}, map[string]*seeder{}
	for _, f := range benchFleet {
		m := testutil.StartMoto(b)
		motos[f.region], seeders[f.region] = m.URL, newSeeder(b, m.URL)
	}
	motos[""] = motos[homeRegion]
	seeded := seedFleet(func(region string) *seeder { return seeders[region] }, benchFleet)
	proxy := newRegionalProxy(b, motos, func(request, int) fault { return fault{delay: latency} })
	audit := func(regions []seededRegion) audited {
		a := auditFleet(b, proxy, regions)
		if lines, differs := callTable(a.calls, minimumCalls(homeRegion, regions)); differs {
			b.Fatalf("auditing %d regions: calls differ from the minimum:\n%s", len(regions), strings.Join(lines, "\n"))
		}
		return a
	}
	// moto builds a region's backends on their first use: not the audit's time.
	audit(seeded)

	var all audited // summed over the iterations; calls of the last one
	alone := make([]audited, len(seeded))
	for b.Loop() {
		a := audit(seeded)
		all = audited{all.wall + a.wall, a.calls, all.moto + a.moto}
		for i := range seeded {
			a := audit(seeded[i : i+1])
			alone[i].wall += a.wall
			alone[i].moto += a.moto
		}
	}
	slowest := 0
	for i := range alone {
		if alone[i].wall > alone[slowest].wall {
			slowest = i
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(all.wall.Nanoseconds())/n, "ns/op")
	b.ReportMetric(all.wall.Seconds()/n, "wall-all-s")
	b.ReportMetric(alone[slowest].wall.Seconds()/n, "wall-slowest-s")
	b.ReportMetric(all.wall.Seconds()/alone[slowest].wall.Seconds(), "wall-ratio")
	want := minimumCalls(homeRegion, seeded)
	b.ReportMetric(float64(total(all.calls)), "calls/op")
	b.ReportMetric(float64(total(want)), "min-calls/op")
	b.ReportMetric(float64(all.moto.Microseconds())/1000/n, "moto-ms/call-all")
	b.ReportMetric(float64(alone[slowest].moto.Microseconds())/1000/n, "moto-ms/call-slowest")
	var each []string
	for i, r := range seeded {
		each = append(each, fmt.Sprintf("%s %.2f s", r.region, alone[i].wall.Seconds()/n))
	}
	lines, _ := callTable(all.calls, want)
	b.Logf("latency %s per call; alone: %s; slowest: %s\n%s", latency, strings.Join(each, ", "), seeded[slowest].region,
		strings.Join(lines, "\n"))
}
