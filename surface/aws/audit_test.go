package aws_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// expectedNotebook is a seeded notebook and the verdicts the audit must give.
type expectedNotebook struct {
	account, region, name, arn string
	headline, inVPC            finding.Status
}

// TestAuditMoto seeds several regions and two accounts and checks every
// notebook's and domain's verdict, account, region and ARN, the network
// facts, the lifecycle script, pagination and the number of calls.
func TestAuditMoto(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	other := s.as("111111111111")

	net := s.vpc("us-east-1")
	s.lifecycle("us-east-1", "setup", "#!/bin/bash\npip install pandas\n")
	var want []expectedNotebook
	add := func(sd *seeder, n notebookSpec, headlineStatus, inVPCStatus finding.Status) {
		arn := sd.notebook(n)
		want = append(want, expectedNotebook{sd.account, n.Region, n.Name, arn, headlineStatus, inVPCStatus})
	}
	add(s, notebookSpec{Name: "omitted", Region: "us-east-1"}, finding.Fail, finding.Fail)
	add(s, notebookSpec{Name: "enabled", Region: "us-east-1", DIA: "Enabled"}, finding.Fail, finding.Fail)
	add(s, notebookSpec{Name: "private-main", Region: "us-east-1", DIA: "Disabled", Subnet: net.MainSubnet,
		SecurityGroups: []string{net.SG}, Lifecycle: "setup"}, finding.Pass, finding.Pass)
	add(s, notebookSpec{Name: "private-nat", Region: "us-east-1", DIA: "Disabled", Subnet: net.NATSubnet,
		SecurityGroups: []string{net.SG}, Lifecycle: "setup"}, finding.Pass, finding.Pass)
	add(s, notebookSpec{Name: "enabled-in-vpc", Region: "us-east-1", DIA: "Enabled", Subnet: net.NATSubnet,
		SecurityGroups: []string{net.SG}}, finding.Fail, finding.Pass)
	// More than one List page in us-west-2.
	const many = 130
	for i := 0; i < many; i++ {
		dia, status := "", finding.Fail
		if i%3 == 0 {
			dia, status = "Disabled", finding.Pass
		} else if i%3 == 1 {
			dia = "Enabled"
		}
		add(s, notebookSpec{Name: fmt.Sprintf("bulk-%03d", i), Region: "us-west-2", DIA: dia}, status, finding.Fail)
	}
	add(other, notebookSpec{Name: "other-account", Region: "us-east-1", DIA: "Disabled", Subnet: "subnet-0123456789abcdef0",
		SecurityGroups: []string{"sg-0123456789abcdef0"}}, finding.Pass, finding.Pass)
	add(other, notebookSpec{Name: "other-omitted", Region: "eu-west-1"}, finding.Fail, finding.Fail)

	type expectedDomain struct {
		account, region, id, arn string
		status                   finding.Status
	}
	var domains []expectedDomain
	for _, d := range []struct {
		sd           *seeder
		region, name string
		access       string
		status       finding.Status
		vpc          string
		subnets      []string
	}{
		{s, "us-east-1", "public-default", "", finding.Fail, net.VPC, []string{net.MainSubnet}},
		{s, "us-east-1", "public-explicit", "PublicInternetOnly", finding.Fail, net.VPC, []string{net.MainSubnet}},
		{s, "eu-west-1", "vpc-only", "VpcOnly", finding.Pass, "vpc-0abc", []string{"subnet-0abc"}},
		{other, "us-east-1", "other-vpc-only", "VpcOnly", finding.Pass, "vpc-0def", []string{"subnet-0def"}},
	} {
		id, arn := d.sd.domain(d.region, d.name, d.access, d.vpc, d.subnets)
		domains = append(domains, expectedDomain{d.sd.account, d.region, id, arn, d.status})
	}

	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	rec := newCalls()
	res, fs := runAudit(t, auditOptions(moto.URL, rec, regions...))
	res2, fs2 := runAudit(t, func() awssurface.Options {
		o := auditOptions(moto.URL, rec, regions...)
		o.RoleARN = "arn:aws:iam::111111111111:role/Audit"
		return o
	}())
	if len(res.Errors)+len(res2.Errors) != 0 {
		t.Fatalf("healthy audit reported errors: %v %v", res.Errors, res2.Errors)
	}
	if got := strings.Join(res.Accounts, ","); got != defaultAccount {
		t.Errorf("accounts = %s, want %s", got, defaultAccount)
	}
	if got := strings.Join(res2.Accounts, ","); got != "111111111111" {
		t.Errorf("role-arn accounts = %s, want 111111111111", got)
	}
	v := index(t, append(fs, fs2...))

	for _, w := range want {
		for _, c := range []struct {
			id     string
			status finding.Status
		}{{headline, w.headline}, {inVPC, w.inVPC}} {
			f, ok := v[verdictKey(c.id, w.account, w.region, w.name)]
			if !ok {
				t.Errorf("%s/%s/%s: no %s finding", w.account, w.region, w.name, c.id)
				continue
			}
			if f.Status != c.status {
				t.Errorf("%s/%s/%s %s = %s (%s), want %s", w.account, w.region, w.name, c.id, f.Status, f.Message, c.status)
			}
			if f.Resource.ARN != w.arn || f.Surface != model.SurfaceAWS || f.Resource.Type != awssurface.TypeNotebook {
				t.Errorf("%s: resource %+v surface %s, want ARN %s", w.name, f.Resource, f.Surface, w.arn)
			}
			// The API answers DirectInternetAccess even when it was omitted at
			// creation (moto too), so live values are explicit.
			if c.id == headline && f.Resolution != model.Explicit {
				t.Errorf("%s: resolution %s, want explicit", w.name, f.Resolution)
			}
		}
	}
	for _, d := range domains {
		f, ok := v[verdictKey(vpcOnly, d.account, d.region, d.id)]
		switch {
		case !ok:
			t.Errorf("domain %s/%s/%s: no finding", d.account, d.region, d.id)
		case f.Status != d.status || f.Resolution != model.Explicit || f.Resource.ARN != d.arn:
			t.Errorf("domain %s: %s/%s ARN %s, want %s/explicit ARN %s", d.id, f.Status, f.Resolution, f.Resource.ARN, d.status, d.arn)
		}
	}
	// Nothing unexpected: one finding per control and resource; the security
	// controls are decided everywhere, and the network controls are decided
	// for the notebooks whose VPC is fully seeded. (Elsewhere they may be
	// unknown: moto accepts Disabled without a subnet or security groups and
	// subnets that do not exist, which AWS would refuse or fill in.)
	security := map[string]bool{headline: true, inVPC: true, vpcOnly: true}
	seededVPC := map[string]bool{"private-main": true, "private-nat": true}
	notebookFindings := 0
	for _, f := range append(fs, fs2...) {
		if f.Status == finding.Unknown && (security[f.ControlID] || seededVPC[f.Resource.Address]) {
			t.Errorf("unexpected unknown: %s %s %s: %s", f.ControlID, f.Resource.Region, f.Resource.Address, f.Message)
		}
		if f.ControlID == headline {
			notebookFindings++
		}
	}
	if notebookFindings != len(want) {
		t.Errorf("%d headline findings, want %d (one per seeded notebook)", notebookFindings, len(want))
	}

	// The model: network facts of us-east-1, fetched once for the VPC.
	set := findSet(t, res, defaultAccount, "us-east-1")
	checkNetwork(t, set, net)
	checkLive(t, set)

	// Calls: one List page per 100 notebooks, one Describe per notebook and
	// domain, one lifecycle describe per config, EC2 once per VPC.
	for _, c := range []struct {
		region, action string
		want           int
	}{
		{"us-west-2", "sagemaker:ListNotebookInstances", 3}, // two pages, plus one in the other account
		{"us-west-2", "sagemaker:DescribeNotebookInstance", many},
		{"us-east-1", "sagemaker:ListNotebookInstances", 2}, // one per account
		{"us-east-1", "sagemaker:DescribeNotebookInstance", 6},
		{"us-east-1", "sagemaker:DescribeDomain", 3},
		{"us-east-1", "sagemaker:DescribeNotebookInstanceLifecycleConfig", 1},
		{"us-east-1", "ec2:DescribeSubnets", 2},
		{"us-east-1", "ec2:DescribeRouteTables", 1}, // the other account's subnet does not exist: no VPC to read
		{"us-east-1", "ec2:DescribeSecurityGroups", 1},
		{"us-east-1", "ec2:DescribeNatGateways", 1},
		{"us-east-1", "ec2:DescribeVpcEndpoints", 1},
		{"eu-west-1", "ec2:DescribeSubnets", 0},
	} {
		if got := rec.count(c.region, c.action); got != c.want {
			t.Errorf("%s %s called %d times, want %d", c.region, c.action, got, c.want)
		}
	}
}

// checkNetwork asserts the EC2 facts of the seeded VPC as the model holds them.
func checkNetwork(t *testing.T, set *model.Set, net network) {
	t.Helper()
	for _, id := range []string{net.MainSubnet, net.NATSubnet} {
		sn := set.SubnetByID(id)
		if sn == nil || sn.VpcID.Ref != net.VPC || sn.Account != defaultAccount || sn.Region != "us-east-1" {
			t.Fatalf("subnet %s: %+v", id, sn)
		}
	}
	main := set.RouteTableForSubnet(net.MainSubnet, net.VPC)
	if main == nil || main.Key != net.MainTable || !main.Main || !main.Complete {
		t.Fatalf("main subnet's route table = %+v, want the main table %s", main, net.MainTable)
	}
	rt := set.RouteTableForSubnet(net.NATSubnet, net.VPC)
	if rt == nil || rt.Key != net.RouteTable || rt.Main {
		t.Fatalf("NAT subnet's route table = %+v, want %s", rt, net.RouteTable)
	}
	var natRoute *model.Route
	for i, r := range rt.Routes {
		if r.Destination.V == "0.0.0.0/0" {
			natRoute = &rt.Routes[i]
		}
	}
	if natRoute == nil || natRoute.TargetKind != "nat" || natRoute.Target.Ref != net.NAT {
		t.Fatalf("NAT route = %+v", natRoute)
	}
	if nat := set.NATGatewayByID(net.NAT); nat == nil || nat.SubnetID.Ref != net.MainSubnet {
		t.Fatalf("NAT gateway = %+v", nat)
	}
	services := map[string]*model.VPCEndpoint{}
	for _, ep := range set.VPCEndpoints {
		services[ep.ServiceName.V] = ep
	}
	s3 := services["com.amazonaws.us-east-1.s3"]
	if s3 == nil || s3.Type.V != "Gateway" || len(s3.RouteTableIDs.Items) != 1 || s3.RouteTableIDs.Items[0].Ref != net.MainTable {
		t.Fatalf("S3 endpoint = %+v", s3)
	}
	api := services["com.amazonaws.us-east-1.sagemaker.api"]
	if api == nil || api.Type.V != "Interface" || !api.PrivateDNSEnabled.V || len(api.SubnetIDs.Items) != 1 ||
		api.SubnetIDs.Items[0].Ref != net.MainSubnet || !strings.HasPrefix(api.Key, "vpce-") {
		t.Fatalf("sagemaker.api endpoint = %+v", api)
	}
	sg := set.SecurityGroupByID(net.SG)
	if sg == nil || !sg.EgressDeclared || !sg.EgressComplete || len(sg.Egress) != 1 {
		t.Fatalf("security group = %+v", sg)
	}
	r := sg.Egress[0]
	if r.Protocol.V != "tcp" || r.FromPort.V != 443 || r.ToPort.V != 443 || len(r.CIDRs) != 1 || r.CIDRs[0].V != "10.0.0.0/8" ||
		len(r.PrefixListIDs) != 1 || r.PrefixListIDs[0].V != "pl-12345678" {
		t.Fatalf("egress rule = %+v", r)
	}
	lc := set.LifecycleConfigByName("setup")
	if lc == nil || len(lc.Scripts) != 1 || lc.Scripts[0].Hook != "on_start" ||
		!strings.Contains(lc.Scripts[0].Content, "pip install pandas") || lc.ARN == "" {
		t.Fatalf("lifecycle config = %+v", lc)
	}
}

// checkLive asserts the notebook's full description is kept for remediation.
func checkLive(t *testing.T, set *model.Set) {
	t.Helper()
	for _, nb := range set.Notebooks {
		if nb.Name != "private-nat" {
			continue
		}
		if nb.Live["DirectInternetAccess"] != "Disabled" || nb.Live["NotebookInstanceName"] != "private-nat" ||
			nb.Live["SubnetId"] != nb.SubnetID.V || nb.Live["InstanceType"] != "ml.t2.medium" || nb.Status != "InService" {
			t.Fatalf("live description = %v, status %s", nb.Live, nb.Status)
		}
		if _, ok := nb.Live["ResultMetadata"]; ok {
			t.Fatal("live description keeps the SDK's ResultMetadata")
		}
		if nb.LifecycleConfigName.Ref != "setup" {
			t.Fatalf("lifecycle reference = %+v", nb.LifecycleConfigName)
		}
		return
	}
	t.Fatal("notebook private-nat not in the us-east-1 set")
}
