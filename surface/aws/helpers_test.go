package aws_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/model"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// defaultAccount is moto's account for the default credentials.
const defaultAccount = "123456789012"

// seeder creates resources in moto through the SDK, in one account.
type seeder struct {
	t        testing.TB
	endpoint string
	cfg      sdkaws.Config
	account  string
}

func newSeeder(t testing.TB, endpoint string) *seeder {
	t.Helper()
	return &seeder{t: t, endpoint: endpoint, cfg: testutil.MotoSDKConfig(t, endpoint, "us-east-1"), account: defaultAccount}
}

// as returns a seeder for another account, through AssumeRole.
func (s *seeder) as(account string) *seeder {
	s.t.Helper()
	out, err := sts.NewFromConfig(s.cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:role/seed", account)), RoleSessionName: sdkaws.String("seed")})
	if err != nil {
		s.t.Fatalf("assume role into %s: %v", account, err)
	}
	cfg := s.cfg.Copy()
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return &seeder{t: s.t, endpoint: s.endpoint, cfg: cfg, account: account}
}

func (s *seeder) sm(region string) *sagemaker.Client {
	return sagemaker.NewFromConfig(s.cfg, func(o *sagemaker.Options) { o.Region = region })
}

func (s *seeder) ec2(region string) *ec2.Client {
	return ec2.NewFromConfig(s.cfg, func(o *ec2.Options) { o.Region = region })
}

// notebookSpec describes one seeded notebook; DIA "" omits DirectInternetAccess.
type notebookSpec struct {
	Name, Region, DIA, Subnet, Lifecycle string
	SecurityGroups                       []string
}

func (s *seeder) notebook(n notebookSpec) string {
	s.t.Helper()
	in := &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: sdkaws.String(n.Name),
		InstanceType:         smtypes.InstanceTypeMlT2Medium,
		RoleArn:              sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:role/notebook", s.account)),
		SecurityGroupIds:     n.SecurityGroups,
	}
	if n.DIA != "" {
		in.DirectInternetAccess = smtypes.DirectInternetAccess(n.DIA)
	}
	if n.Subnet != "" {
		in.SubnetId = sdkaws.String(n.Subnet)
	}
	if n.Lifecycle != "" {
		in.LifecycleConfigName = sdkaws.String(n.Lifecycle)
	}
	out, err := s.sm(n.Region).CreateNotebookInstance(context.Background(), in)
	if testutil.CreatedByEarlierAttempt(err) {
		d, derr := s.sm(n.Region).DescribeNotebookInstance(context.Background(),
			&sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: in.NotebookInstanceName})
		if derr == nil {
			return *d.NotebookInstanceArn
		}
	}
	if err != nil {
		s.t.Fatalf("create notebook %s: %v", n.Name, err)
	}
	return *out.NotebookInstanceArn
}

func (s *seeder) lifecycle(region, name, onStart string) {
	s.t.Helper()
	_, err := s.sm(region).CreateNotebookInstanceLifecycleConfig(context.Background(), &sagemaker.CreateNotebookInstanceLifecycleConfigInput{
		NotebookInstanceLifecycleConfigName: sdkaws.String(name),
		OnStart:                             []smtypes.NotebookInstanceLifecycleHook{{Content: sdkaws.String(base64.StdEncoding.EncodeToString([]byte(onStart)))}},
	})
	if err != nil && !testutil.CreatedByEarlierAttempt(err) {
		s.t.Fatalf("create lifecycle config %s: %v", name, err)
	}
}

// domain creates a Studio domain; access "" omits AppNetworkAccessType. It
// returns the domain ID and ARN.
func (s *seeder) domain(region, name, access, vpc string, subnets []string) (string, string) {
	s.t.Helper()
	in := &sagemaker.CreateDomainInput{
		DomainName: sdkaws.String(name), AuthMode: smtypes.AuthModeIam,
		DefaultUserSettings: &smtypes.UserSettings{ExecutionRole: sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:role/studio", s.account))},
		VpcId:               sdkaws.String(vpc), SubnetIds: subnets,
	}
	if access != "" {
		in.AppNetworkAccessType = smtypes.AppNetworkAccessType(access)
	}
	out, err := s.sm(region).CreateDomain(context.Background(), in)
	if err != nil {
		s.t.Fatalf("create domain %s: %v", name, err)
	}
	arn := sdkaws.ToString(out.DomainArn)
	id := sdkaws.ToString(out.DomainId)
	if id == "" { // moto answers only the ARN: arn:aws:sagemaker:REGION:ACCOUNT:domain/ID
		id = arn[strings.LastIndex(arn, "/")+1:]
	}
	return id, arn
}

// network is one seeded VPC.
type network struct {
	VPC, MainSubnet, NATSubnet, SG, RouteTable, NAT, MainTable string
}

// vpc seeds a VPC with two subnets: MainSubnet uses the main route table
// (no NAT route); NATSubnet has its own table routing 0.0.0.0/0 to a NAT
// gateway. The VPC has an S3 gateway endpoint and a SageMaker API interface
// endpoint; SG allows only TCP 443 out to 10.0.0.0/8 and a prefix list.
func (s *seeder) vpc(region string) network {
	s.t.Helper()
	ctx := context.Background()
	c := s.ec2(region)
	must := func(err error, what string) {
		if err != nil {
			s.t.Fatalf("seeding %s in %s: %v", what, region, err)
		}
	}
	v, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdkaws.String("10.0.0.0/16")})
	must(err, "vpc")
	n := network{VPC: *v.Vpc.VpcId}
	az := region + "a"
	a, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: sdkaws.String("10.0.1.0/24"), AvailabilityZone: &az})
	must(err, "subnet")
	b, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: sdkaws.String("10.0.2.0/24"), AvailabilityZone: &az})
	must(err, "subnet")
	n.MainSubnet, n.NATSubnet = *a.Subnet.SubnetId, *b.Subnet.SubnetId
	eip, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	must(err, "eip")
	nat, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: a.Subnet.SubnetId, AllocationId: eip.AllocationId})
	must(err, "nat")
	n.NAT = *nat.NatGateway.NatGatewayId
	rt, err := c.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId})
	must(err, "route table")
	n.RouteTable = *rt.RouteTable.RouteTableId
	_, err = c.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId,
		DestinationCidrBlock: sdkaws.String("0.0.0.0/0"), NatGatewayId: nat.NatGateway.NatGatewayId})
	must(err, "route")
	_, err = c.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: b.Subnet.SubnetId})
	must(err, "association")
	main, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: sdkaws.String("vpc-id"), Values: []string{n.VPC}}, {Name: sdkaws.String("association.main"), Values: []string{"true"}}}})
	must(err, "main route table")
	if len(main.RouteTables) != 1 {
		s.t.Fatalf("expected one main route table, got %d", len(main.RouteTables))
	}
	n.MainTable = *main.RouteTables[0].RouteTableId
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: v.Vpc.VpcId, VpcEndpointType: ec2types.VpcEndpointTypeGateway,
		ServiceName: sdkaws.String("com.amazonaws." + region + ".s3"), RouteTableIds: []string{n.MainTable}})
	must(err, "s3 endpoint")
	sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: v.Vpc.VpcId,
		GroupName: sdkaws.String("notebook"), Description: sdkaws.String("notebook")})
	if testutil.CreatedByEarlierAttempt(err) {
		found, ferr := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: sdkaws.String("vpc-id"), Values: []string{n.VPC}}, {Name: sdkaws.String("group-name"), Values: []string{"notebook"}}}})
		if ferr == nil && len(found.SecurityGroups) == 1 {
			sg, err = &ec2.CreateSecurityGroupOutput{GroupId: found.SecurityGroups[0].GroupId}, nil
		}
	}
	must(err, "security group")
	n.SG = *sg.GroupId
	_, err = c.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: v.Vpc.VpcId, VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		ServiceName: sdkaws.String("com.amazonaws." + region + ".sagemaker.api"), SubnetIds: []string{n.MainSubnet},
		SecurityGroupIds: []string{n.SG}, PrivateDnsEnabled: sdkaws.Bool(true)})
	must(err, "sagemaker.api endpoint")
	_, err = c.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdkaws.String("-1"), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	must(err, "revoke egress")
	_, err = c.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{{
		IpProtocol: sdkaws.String("tcp"), FromPort: sdkaws.Int32(443), ToPort: sdkaws.Int32(443),
		IpRanges:      []ec2types.IpRange{{CidrIp: sdkaws.String("10.0.0.0/8")}},
		PrefixListIds: []ec2types.PrefixListId{{PrefixListId: sdkaws.String("pl-12345678")}},
	}}})
	must(err, "authorize egress")
	return n
}

// organization creates an organization in the default account with n member
// accounts and returns the member account IDs.
func (s *seeder) organization(n int) []string {
	s.t.Helper()
	ctx := context.Background()
	c := organizations.NewFromConfig(s.cfg)
	if _, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		s.t.Fatalf("create organization: %v", err)
	}
	var ids []string
	for i := 0; i < n; i++ {
		out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: sdkaws.String(fmt.Sprintf("member%d", i)), Email: sdkaws.String(fmt.Sprintf("m%d@example.com", i))})
		if err != nil {
			s.t.Fatalf("create account: %v", err)
		}
		ids = append(ids, *out.CreateAccountStatus.AccountId)
	}
	return ids
}

// calls records the API operations an audit makes, as IAM actions
// (service:Operation), per region.
type calls struct {
	mu       sync.Mutex
	byRegion map[string]map[string]int
}

func newCalls() *calls { return &calls{byRegion: map[string]map[string]int{}} }

var iamPrefix = map[string]string{"SageMaker": "sagemaker", "EC2": "ec2", "STS": "sts", "Organizations": "organizations"}

// option is an APIOptions entry recording every operation call (each page
// of a paginator is one call; retries are not).
func (c *calls) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sagefenceRecordCall",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			svc := awsmiddleware.GetServiceID(ctx)
			action := iamPrefix[svc]
			if action == "" {
				action = strings.ToLower(svc)
			}
			action += ":" + awsmiddleware.GetOperationName(ctx)
			region := awsmiddleware.GetRegion(ctx)
			c.mu.Lock()
			if c.byRegion[region] == nil {
				c.byRegion[region] = map[string]int{}
			}
			c.byRegion[region][action]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

// count is the number of calls of action in region ("" for all regions).
func (c *calls) count(region, action string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for r, m := range c.byRegion {
		if region == "" || r == region {
			n += m[action]
		}
	}
	return n
}

// actions is the sorted set of actions called.
func (c *calls) actions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := map[string]bool{}
	for _, m := range c.byRegion {
		for a := range m {
			set[a] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// auditOptions are the options every test audit uses: moto's endpoint, short
// retry backoffs, the call recorder.
func auditOptions(endpoint string, rec *calls, regions ...string) awssurface.Options {
	o := awssurface.Options{
		Regions: regions, EndpointURL: endpoint,
		Retry: awssurface.RetryOptions{MaxAttempts: 4, MaxBackoff: 5 * time.Millisecond},
	}
	if rec != nil {
		o.APIOptions = append(o.APIOptions, rec.option)
	}
	return o
}

func runAudit(t *testing.T, opts awssurface.Options) (*awssurface.Result, []finding.Finding) {
	t.Helper()
	res, err := awssurface.Audit(context.Background(), opts)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return res, evaluate(t, res)
}

// evaluate runs every control on an audit's sets.
func evaluate(t *testing.T, res *awssurface.Result) []finding.Finding {
	t.Helper()
	findings, errs := engine.Evaluate(res.Sets, nil, nil, time.Time{})
	if len(errs) > 0 {
		t.Fatalf("evaluating the audit: %v", errs)
	}
	return findings
}

// verdicts indexes findings by control, account, region and address.
type verdicts map[string]finding.Finding

func verdictKey(controlID, account, region, address string) string {
	return controlID + "|" + account + "|" + region + "|" + address
}

func index(t *testing.T, fs []finding.Finding) verdicts {
	t.Helper()
	v := verdicts{}
	for _, f := range fs {
		k := verdictKey(f.ControlID, f.Resource.Account, f.Resource.Region, f.Resource.Address)
		if _, dup := v[k]; dup {
			t.Errorf("two findings for %s", k)
		}
		v[k] = f
	}
	return v
}

// findSet returns the Set of account+region.
func findSet(t *testing.T, res *awssurface.Result, account, region string) *model.Set {
	t.Helper()
	for _, s := range res.Sets {
		for _, n := range s.Notebooks {
			if n.Account == account && n.Region == region {
				return s
			}
		}
		for _, d := range s.Domains {
			if d.Account == account && d.Region == region {
				return s
			}
		}
	}
	t.Fatalf("no set with resources for account %s region %s", account, region)
	return nil
}

// Control IDs used in assertions.
var (
	headline = control.DirectInternetAccessID
	inVPC    = control.InVPCID
	vpcOnly  = control.DomainVpcOnlyID
)
