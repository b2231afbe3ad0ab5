package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sagefence/sagefence/internal/awsconfig"
	"github.com/sagefence/sagefence/internal/testutil"
)

const testRole = "arn:aws:iam::123456789012:role/notebook"

// env is one moto server with a VPC, two subnets and two security groups.
type env struct {
	clients      *Clients
	api          *emulated
	vpc          string
	subnetPublic string // where the failing notebook sits
	subnetPriv   string // where the compliant donor sits
	sgOld, sgNew string
}

// emulated wraps the moto-backed client and fills in what moto 5.2.1 drops
// from DescribeNotebookInstance (PlatformIdentifier and
// InstanceMetadataServiceConfiguration) from the create call, as AWS would,
// so that a test can tell whether the recreate carried them over.
type emulated struct {
	SageMakerAPI
	mu      sync.Mutex
	created map[string]*sagemaker.CreateNotebookInstanceInput
}

func (e *emulated) CreateNotebookInstance(ctx context.Context, in *sagemaker.CreateNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.CreateNotebookInstanceOutput, error) {
	out, err := e.SageMakerAPI.CreateNotebookInstance(ctx, in, opts...)
	if err == nil {
		e.mu.Lock()
		e.created[aws.ToString(in.NotebookInstanceName)] = in
		e.mu.Unlock()
	}
	return out, err
}

func (e *emulated) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	out, err := e.SageMakerAPI.DescribeNotebookInstance(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.created[aws.ToString(in.NotebookInstanceName)]; ok {
		out.PlatformIdentifier = c.PlatformIdentifier
		out.InstanceMetadataServiceConfiguration = c.InstanceMetadataServiceConfiguration
	}
	return out, nil
}

func (e *emulated) DeleteNotebookInstance(ctx context.Context, in *sagemaker.DeleteNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DeleteNotebookInstanceOutput, error) {
	out, err := e.SageMakerAPI.DeleteNotebookInstance(ctx, in, opts...)
	if err == nil {
		e.mu.Lock()
		delete(e.created, aws.ToString(in.NotebookInstanceName))
		e.mu.Unlock()
	}
	return out, err
}

func newEnv(t *testing.T) *env {
	t.Helper()
	m := testutil.StartMoto(t)
	ctx := context.Background()
	c, err := NewClients(ctx, ClientOptions{Region: "us-east-1", EndpointURL: m.URL, Retry: awsconfig.RetryOptions{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{clients: c, api: &emulated{SageMakerAPI: c.SageMaker, created: map[string]*sagemaker.CreateNotebookInstanceInput{}}}
	vpc, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	e.vpc = aws.ToString(vpc.Vpc.VpcId)
	for i, dst := range []*string{&e.subnetPublic, &e.subnetPriv} {
		s, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.vpc), CidrBlock: aws.String(fmt.Sprintf("10.30.%d.0/24", i+1))})
		if err != nil {
			t.Fatal(err)
		}
		*dst = aws.ToString(s.Subnet.SubnetId)
	}
	for i, dst := range []*string{&e.sgOld, &e.sgNew} {
		g, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(fmt.Sprintf("nb-%d", i)), Description: aws.String("notebook"), VpcId: aws.String(e.vpc)})
		if err != nil {
			t.Fatal(err)
		}
		*dst = aws.ToString(g.GroupId)
	}
	return e
}

func (e *env) planner() *Planner {
	return &Planner{SageMaker: e.api, EC2: e.clients.EC2, Region: e.clients.Region}
}

func (e *env) runner(t *testing.T, api SageMakerAPI) *Runner {
	return &Runner{
		SageMaker: api, RecordDir: filepath.Join(t.TempDir(), "records"), Log: io.Discard,
		Wait: WaitOptions{MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxWait: 30 * time.Second},
	}
}

// seedFull creates the lifecycle configuration and a notebook with every
// setting moto keeps, direct internet access Enabled, in the public subnet.
func (e *env) seedFull(t *testing.T, name string) *sagemaker.CreateNotebookInstanceInput {
	t.Helper()
	ctx := context.Background()
	_, err := e.api.DescribeNotebookInstanceLifecycleConfig(ctx, &sagemaker.DescribeNotebookInstanceLifecycleConfigInput{NotebookInstanceLifecycleConfigName: aws.String("setup")})
	if err != nil {
		_, err = e.clients.SageMaker.CreateNotebookInstanceLifecycleConfig(ctx, &sagemaker.CreateNotebookInstanceLifecycleConfigInput{
			NotebookInstanceLifecycleConfigName: aws.String("setup"),
			OnStart:                             []types.NotebookInstanceLifecycleHook{{Content: aws.String("ZWNobyBoaQo=")}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	in := &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName:       aws.String(name),
		InstanceType:               types.InstanceTypeMlT2Medium,
		RoleArn:                    aws.String(testRole),
		SubnetId:                   aws.String(e.subnetPublic),
		SecurityGroupIds:           []string{e.sgOld},
		DirectInternetAccess:       types.DirectInternetAccessEnabled,
		KmsKeyId:                   aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		LifecycleConfigName:        aws.String("setup"),
		VolumeSizeInGB:             aws.Int32(50),
		DefaultCodeRepository:      aws.String("https://github.com/example/models.git"),
		AdditionalCodeRepositories: []string{"https://github.com/example/data.git", "https://github.com/example/tools.git"},
		RootAccess:                 types.RootAccessDisabled,
		PlatformIdentifier:         aws.String("notebook-al2-v3"),
		InstanceMetadataServiceConfiguration: &types.InstanceMetadataServiceConfiguration{
			MinimumInstanceMetadataServiceVersion: aws.String("2")},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("research")}, {Key: aws.String("cost-center"), Value: aws.String("42")}},
	}
	if _, err := e.api.CreateNotebookInstance(ctx, in); err != nil {
		t.Fatal(err)
	}
	return in
}

// seedDonor creates a compliant notebook in the private subnet.
func (e *env) seedDonor(t *testing.T) {
	t.Helper()
	_, err := e.api.CreateNotebookInstance(context.Background(), &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("donor"), InstanceType: types.InstanceTypeMlT2Medium, RoleArn: aws.String(testRole),
		SubnetId: aws.String(e.subnetPriv), SecurityGroupIds: []string{e.sgNew}, DirectInternetAccess: types.DirectInternetAccessDisabled,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) describe(t *testing.T, name string) (*sagemaker.DescribeNotebookInstanceOutput, []Tag) {
	t.Helper()
	ctx := context.Background()
	out, err := e.api.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		t.Fatalf("describing %s: %v", name, err)
	}
	tags, err := e.api.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: out.NotebookInstanceArn})
	if err != nil {
		t.Fatal(err)
	}
	var ts []Tag
	for _, tg := range tags.Tags {
		ts = append(ts, Tag{aws.ToString(tg.Key), aws.ToString(tg.Value)})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Key < ts[j].Key })
	return out, ts
}

// assertKept checks that got carries every setting of the seed, and is
// compliant in the expected network.
func assertKept(t *testing.T, seed *sagemaker.CreateNotebookInstanceInput, got *sagemaker.DescribeNotebookInstanceOutput, tags []Tag, subnet, sg string) {
	t.Helper()
	checks := []struct{ field, got, want string }{
		{"DirectInternetAccess", string(got.DirectInternetAccess), "Disabled"},
		{"SubnetId", aws.ToString(got.SubnetId), subnet},
		{"SecurityGroups", strings.Join(got.SecurityGroups, ","), sg},
		{"InstanceType", string(got.InstanceType), string(seed.InstanceType)},
		{"RoleArn", aws.ToString(got.RoleArn), aws.ToString(seed.RoleArn)},
		{"KmsKeyId", aws.ToString(got.KmsKeyId), aws.ToString(seed.KmsKeyId)},
		{"LifecycleConfigName", aws.ToString(got.NotebookInstanceLifecycleConfigName), aws.ToString(seed.LifecycleConfigName)},
		{"VolumeSizeInGB", fmt.Sprint(aws.ToInt32(got.VolumeSizeInGB)), fmt.Sprint(aws.ToInt32(seed.VolumeSizeInGB))},
		{"DefaultCodeRepository", aws.ToString(got.DefaultCodeRepository), aws.ToString(seed.DefaultCodeRepository)},
		{"AdditionalCodeRepositories", strings.Join(got.AdditionalCodeRepositories, ","), strings.Join(seed.AdditionalCodeRepositories, ",")},
		{"RootAccess", string(got.RootAccess), string(seed.RootAccess)},
		{"PlatformIdentifier", aws.ToString(got.PlatformIdentifier), aws.ToString(seed.PlatformIdentifier)},
		{"IMDS", imds(got.InstanceMetadataServiceConfiguration), imds(seed.InstanceMetadataServiceConfiguration)},
		{"Tags", fmt.Sprint(tags), "[{cost-center 42} {team research}]"},
		{"Status", string(got.NotebookInstanceStatus), "InService"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
}

func imds(c *types.InstanceMetadataServiceConfiguration) string {
	if c == nil {
		return ""
	}
	return aws.ToString(c.MinimumInstanceMetadataServiceVersion)
}

func TestRecreateKeepsEverySetting(t *testing.T) {
	e := newEnv(t)
	seed := e.seedFull(t, "research")
	e.seedDonor(t)
	ctx := context.Background()

	plans, skipped, err := e.planner().PlanNotebooks(ctx, PlanOptions{Strategy: Recreate})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || plans[0].Name != "research" || fmt.Sprint(skipped) != "[donor]" {
		t.Fatalf("plans %v, skipped %v: want only research planned, donor compliant", plans, skipped)
	}
	p := plans[0]
	if p.Target.SubnetID != e.subnetPriv || fmt.Sprint(p.Target.SecurityGroupIDs) != fmt.Sprint([]string{e.sgNew}) ||
		!strings.Contains(p.Target.Source, "donor") {
		t.Fatalf("target %+v, want the donor's subnet %s and group %s", p.Target, e.subnetPriv, e.sgNew)
	}
	if p.LifecycleConfig == nil || fmt.Sprint(p.LifecycleConfig.OnStart) != "[ZWNobyBoaQo=]" {
		t.Errorf("lifecycle snapshot %+v", p.LifecycleConfig)
	}
	var text bytes.Buffer
	WritePlan(&text, p)
	for _, s := range []string{"SecurityGroupIds", e.sgOld, "LifecycleConfigName", "setup", "team=research", "destroys its ML storage volume", "1. stop research"} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("plan text lacks %q:\n%s", s, text.String())
		}
	}

	// The plan alone changes nothing.
	if got, _ := e.describe(t, "research"); got.DirectInternetAccess != types.DirectInternetAccessEnabled || got.NotebookInstanceStatus != types.NotebookInstanceStatusInService {
		t.Fatalf("planning changed the notebook: %s %s", got.DirectInternetAccess, got.NotebookInstanceStatus)
	}

	r := e.runner(t, e.api)
	path, err := r.Apply(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	got, tags := e.describe(t, "research")
	assertKept(t, seed, got, tags, e.subnetPriv, e.sgNew)

	rec, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range rec.Plan.Steps {
		if st.Status != StepDone {
			t.Errorf("record step %s %s is %s", st.Action, st.Notebook, st.Status)
		}
	}
	raw, _ := os.ReadFile(path)
	for _, field := range []string{`"SecurityGroupIds"`, `"LifecycleConfigName": "setup"`, `"Key": "team"`, `"OnStart"`} {
		if !bytes.Contains(raw, []byte(field)) {
			t.Errorf("record lacks %s", field)
		}
	}
	if bytes.Contains(raw, []byte(`"SecurityGroups"`)) || bytes.Contains(raw, []byte(`"NotebookInstanceLifecycleConfigName": "setup"`)) && !bytes.Contains(raw, []byte(`"lifecycle_config"`)) {
		t.Errorf("record uses the Describe field names instead of the create names")
	}

	// Applying the finished plan again is a no-op, and planning again finds
	// nothing to do.
	if _, err := r.Apply(ctx, p); err != nil {
		t.Fatalf("re-applying a finished plan: %v", err)
	}
	if again, _ := e.describe(t, "research"); !aws.ToTime(again.CreationTime).Equal(aws.ToTime(got.CreationTime)) {
		t.Error("re-applying recreated the notebook")
	}
	if plans, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{}); err != nil || len(plans) != 0 {
		t.Errorf("after the recreate, plans %v (err %v), want none", plans, err)
	}
}

func TestBlueGreen(t *testing.T) {
	e := newEnv(t)
	seed := e.seedFull(t, "research")
	ctx := context.Background()
	plans, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{
		Notebooks: []string{"research"}, Strategy: BlueGreen, SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v, err %v", plans, err)
	}
	p := plans[0]
	if p.NewName != "research-private" || p.Target.Source != "given on the command line" {
		t.Fatalf("plan %+v", p)
	}
	if _, err := e.runner(t, e.api).Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, tags := e.describe(t, "research-private")
	assertKept(t, seed, got, tags, e.subnetPriv, e.sgNew)
	old, _ := e.describe(t, "research")
	if old.NotebookInstanceStatus != types.NotebookInstanceStatusStopped || old.DirectInternetAccess != types.DirectInternetAccessEnabled {
		t.Errorf("old notebook is %s/%s, want it kept Stopped for the data transfer", old.NotebookInstanceStatus, old.DirectInternetAccess)
	}
}

// crashing fails CreateNotebookInstance as if the process died after the
// delete step, and checks that the record was on disk before any delete.
type crashing struct {
	SageMakerAPI
	recordDir   string
	sawRecord   bool
	deleteCalls int
}

var errCrash = errors.New("injected crash")

func (c *crashing) DeleteNotebookInstance(ctx context.Context, in *sagemaker.DeleteNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DeleteNotebookInstanceOutput, error) {
	c.deleteCalls++
	matches, _ := filepath.Glob(filepath.Join(c.recordDir, "*.json"))
	c.sawRecord = len(matches) == 1
	return c.SageMakerAPI.DeleteNotebookInstance(ctx, in, opts...)
}

func (c *crashing) CreateNotebookInstance(context.Context, *sagemaker.CreateNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.CreateNotebookInstanceOutput, error) {
	return nil, errCrash
}

func TestCrashAfterDeleteThenResume(t *testing.T) {
	e := newEnv(t)
	seed := e.seedFull(t, "research")
	ctx := context.Background()
	plans, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v, err %v", plans, err)
	}
	r := e.runner(t, nil)
	crash := &crashing{SageMakerAPI: e.api, recordDir: r.RecordDir}
	r.SageMaker = crash
	path, err := r.Apply(ctx, plans[0])
	if !errors.Is(err, errCrash) || !strings.Contains(err.Error(), "--resume "+path) {
		t.Fatalf("Apply error %v, want the injected crash and a --resume hint", err)
	}
	if !crash.sawRecord || crash.deleteCalls != 1 {
		t.Fatalf("delete called %d times, record on disk before it: %v", crash.deleteCalls, crash.sawRecord)
	}
	if _, err := e.api.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("research")}); !isNotFound(err) {
		t.Fatalf("after the crash the notebook should be gone, got %v", err)
	}
	rec, err := ReadRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, st := range rec.Plan.Steps {
		states = append(states, string(st.Action)+"="+st.Status)
	}
	if want := "stop=done wait-stopped=done delete=done wait-deleted=done create=pending wait-in-service=pending"; strings.Join(states, " ") != want {
		t.Fatalf("record steps %s, want %s", strings.Join(states, " "), want)
	}

	// A fresh process resumes from the record alone.
	r2 := e.runner(t, e.api)
	if err := r2.Resume(ctx, path); err != nil {
		t.Fatal(err)
	}
	got, tags := e.describe(t, "research")
	assertKept(t, seed, got, tags, e.subnetPriv, e.sgNew)
	// Resuming again changes nothing and succeeds.
	if err := r2.Resume(ctx, path); err != nil {
		t.Fatalf("second resume: %v", err)
	}
	again, _ := e.describe(t, "research")
	if !aws.ToTime(again.CreationTime).Equal(aws.ToTime(got.CreationTime)) {
		t.Error("second resume recreated the notebook")
	}
}

// Resuming a record whose delete was requested but not recorded (the crash
// hit between the call and the record update) re-checks the state.
func TestResumeRechecksState(t *testing.T) {
	e := newEnv(t)
	e.seedFull(t, "research")
	ctx := context.Background()
	plans, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v, err %v", plans, err)
	}
	r := e.runner(t, e.api)
	p := plans[0]
	// Write the record as Apply does, then act behind its back: stop and delete.
	rec := &Record{FormatVersion: RecordFormatVersion, Tool: "test", Plan: p}
	if err := os.MkdirAll(r.RecordDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(r.RecordDir, "research.json")
	if err := writeRecord(path, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("research")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.api.DeleteNotebookInstance(ctx, &sagemaker.DeleteNotebookInstanceInput{NotebookInstanceName: aws.String("research")}); err != nil {
		t.Fatal(err)
	}
	if err := r.Resume(ctx, path); err != nil {
		t.Fatal(err)
	}
	done, _ := ReadRecord(path)
	if n := done.Plan.Steps[0].Note; n != "not found; nothing to stop" {
		t.Errorf("stop step note %q", n)
	}
	got, _ := e.describe(t, "research")
	if got.DirectInternetAccess != types.DirectInternetAccessDisabled {
		t.Errorf("not recreated: %s", got.DirectInternetAccess)
	}
}

// noTags answers AccessDenied-like errors to ListTags.
type noTags struct{ SageMakerAPI }

func (noTags) ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	return nil, errors.New("AccessDeniedException: not authorized to perform sagemaker:ListTags")
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A notebook outside any VPC, nothing to copy from.
	if _, err := e.api.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("loose"), InstanceType: types.InstanceTypeMlT2Medium, RoleArn: aws.String(testRole)}); err != nil {
		t.Fatal(err)
	}
	e.seedFull(t, "research")

	plans, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{Notebooks: []string{"loose"}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v, err %v", plans, err)
	}
	if !strings.Contains(plans[0].Refusal, "not in a VPC") || !strings.Contains(plans[0].Refusal, "--subnet-id") {
		t.Errorf("refusal %q", plans[0].Refusal)
	}
	r := e.runner(t, e.api)
	if _, err := r.Apply(ctx, plans[0]); err == nil || !strings.Contains(err.Error(), "refusing loose") {
		t.Errorf("Apply of a refused plan: %v", err)
	}

	// --vpc-id of a VPC without a compliant notebook is still a refusal.
	plans, _, _ = e.planner().PlanNotebooks(ctx, PlanOptions{Notebooks: []string{"loose"}, VpcID: e.vpc})
	if !strings.Contains(plans[0].Refusal, "no notebook in "+e.vpc) {
		t.Errorf("refusal with --vpc-id: %q", plans[0].Refusal)
	}
	// With a donor in that VPC, the loose notebook gets its network.
	e.seedDonor(t)
	plans, _, _ = e.planner().PlanNotebooks(ctx, PlanOptions{Notebooks: []string{"loose"}, VpcID: e.vpc})
	if plans[0].Refusal != "" || plans[0].Target.SubnetID != e.subnetPriv {
		t.Errorf("with a donor: refusal %q target %+v", plans[0].Refusal, plans[0].Target)
	}

	// Tags that cannot be read block --apply; nothing is touched.
	p := &Planner{SageMaker: noTags{e.api}, EC2: e.clients.EC2, Region: "us-east-1"}
	plans, _, err = p.PlanNotebooks(ctx, PlanOptions{Notebooks: []string{"research"}, SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := plans[0].ReadErrors["tags"]; !ok {
		t.Fatalf("read errors %v", plans[0].ReadErrors)
	}
	if _, err := r.Apply(ctx, plans[0]); err == nil || !strings.Contains(err.Error(), "could not read") {
		t.Errorf("Apply with unreadable tags: %v", err)
	}
	if got, _ := e.describe(t, "research"); got.NotebookInstanceStatus != types.NotebookInstanceStatusInService {
		t.Errorf("a refused apply touched the notebook: %s", got.NotebookInstanceStatus)
	}
	if m, _ := filepath.Glob(filepath.Join(r.RecordDir, "*.json")); len(m) != 0 {
		t.Errorf("a refused apply wrote a record: %v", m)
	}

	// A lifecycle configuration that cannot be read blocks --apply too.
	if _, err := e.api.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("orphan"), InstanceType: types.InstanceTypeMlT2Medium, RoleArn: aws.String(testRole),
		LifecycleConfigName: aws.String("missing")}); err != nil {
		t.Fatal(err)
	}
	plans, _, _ = e.planner().PlanNotebooks(ctx, PlanOptions{Notebooks: []string{"orphan"}, SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if _, ok := plans[0].ReadErrors["lifecycle_config"]; !ok {
		t.Errorf("missing lifecycle config not reported: %v", plans[0].ReadErrors)
	}

	// Only one of --subnet-id / --security-group-id is a usage error.
	if _, _, err := e.planner().PlanNotebooks(ctx, PlanOptions{SubnetID: e.subnetPriv}); err == nil {
		t.Error("--subnet-id without --security-group-id accepted")
	}
}

func TestStatePreconditions(t *testing.T) {
	e := newEnv(t)
	e.seedFull(t, "research")
	ctx := context.Background()
	plans, skipped, err := e.planner().PlanNotebooks(ctx, PlanOptions{SubnetID: e.subnetPriv, SecurityGroupIDs: []string{e.sgNew}})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plan: %d plans, skipped %v, %v", len(plans), skipped, err)
	}
	p := plans[0]
	r := e.runner(t, e.api)
	// Delete on an InService notebook is refused by our precondition, before the API.
	note, err := r.step(ctx, p, Step{Action: StepDelete, Notebook: "research"})
	if err == nil || !strings.Contains(err.Error(), "Delete needs Stopped or Failed") {
		t.Fatalf("delete on InService: %q, %v", note, err)
	}
	// Stop on a Stopped notebook is a no-op.
	if _, err := e.api.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("research")}); err != nil {
		t.Fatal(err)
	}
	note, err = r.step(ctx, p, Step{Action: StepStop, Notebook: "research"})
	if err != nil || note != "already Stopped" {
		t.Fatalf("stop on Stopped: %q, %v", note, err)
	}
}

func TestCreateInputDropsReservedTags(t *testing.T) {
	c := NotebookConfig{InstanceType: "ml.t3.medium", RoleArn: testRole, VolumeSizeInGB: 5}
	in := c.createInput("nb", []Tag{{"aws:cloudformation:stack-name", "s"}, {"team", "a"}}, Target{SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-1"}})
	if len(in.Tags) != 1 || aws.ToString(in.Tags[0].Key) != "team" {
		t.Errorf("tags %v", in.Tags)
	}
	if in.DirectInternetAccess != types.DirectInternetAccessDisabled || aws.ToString(in.SubnetId) != "subnet-1" {
		t.Errorf("create input %+v", in)
	}
	p := &NotebookPlan{Name: "nb", Current: c, Tags: []Tag{{"aws:cloudformation:stack-name", "s"}}, Target: Target{SubnetID: "subnet-1"}}
	finishPlan(p)
	if fmt.Sprint(p.DroppedTags) != "[aws:cloudformation:stack-name]" {
		t.Errorf("dropped %v", p.DroppedTags)
	}
}

// fakeApps answers ListApps from a fixed list (moto does not implement it).
type fakeApps struct {
	SageMakerAPI
	apps []types.AppDetails
}

func (f fakeApps) ListApps(context.Context, *sagemaker.ListAppsInput, ...func(*sagemaker.Options)) (*sagemaker.ListAppsOutput, error) {
	return &sagemaker.ListAppsOutput{Apps: f.apps}, nil
}

func TestDomain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.clients.SageMaker.CreateDomain(ctx, &sagemaker.CreateDomainInput{
		DomainName: aws.String("studio"), AuthMode: types.AuthModeIam,
		DefaultUserSettings: &types.UserSettings{ExecutionRole: aws.String(testRole)},
		VpcId:               aws.String(e.vpc), SubnetIds: []string{e.subnetPriv},
	})
	if err != nil {
		t.Fatal(err)
	}

	// moto has no ListApps: not knowing whether apps run is a refusal.
	plans, _, err := e.planner().PlanDomains(ctx, nil)
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v err %v", plans, err)
	}
	if !strings.Contains(plans[0].Refusal, "cannot tell whether apps are running") {
		t.Errorf("refusal %q", plans[0].Refusal)
	}

	running := fakeApps{SageMakerAPI: e.api, apps: []types.AppDetails{
		{AppType: types.AppTypeJupyterServer, AppName: aws.String("default"), UserProfileName: aws.String("alice"), Status: types.AppStatusInService},
		{AppType: types.AppTypeKernelGateway, AppName: aws.String("datascience"), UserProfileName: aws.String("bob"), Status: types.AppStatusDeleted},
		{AppType: types.AppTypeJupyterLab, AppName: aws.String("lab"), SpaceName: aws.String("shared"), Status: types.AppStatusPending},
	}}
	p := &Planner{SageMaker: running, EC2: e.clients.EC2, Region: "us-east-1"}
	plans, _, err = p.PlanDomains(ctx, []string{"d-studio"})
	if err != nil || len(plans) != 1 {
		t.Fatalf("plans %v err %v", plans, err)
	}
	d := plans[0]
	if len(d.BlockingApps) != 2 || !strings.Contains(d.Refusal, "JupyterServer default (alice) InService") ||
		!strings.Contains(d.Refusal, "JupyterLab lab (space shared) Pending") || strings.Contains(d.Refusal, "bob") {
		t.Errorf("refusal %q apps %v", d.Refusal, d.BlockingApps)
	}
	if err := e.runner(t, running).ApplyDomain(ctx, d); err == nil || !strings.Contains(err.Error(), "refusing domain") {
		t.Errorf("ApplyDomain with running apps: %v", err)
	}

	// No app running: the plan is UpdateDomain; check the request on the wire.
	idle := fakeApps{SageMakerAPI: e.api}
	plans, _, _ = (&Planner{SageMaker: idle, EC2: e.clients.EC2, Region: "us-east-1"}).PlanDomains(ctx, []string{"d-studio"})
	if plans[0].Refusal != "" {
		t.Fatalf("refusal %q", plans[0].Refusal)
	}
	var captured struct {
		target string
		body   []byte
	}
	capture := middleware.FinalizeMiddlewareFunc("capture", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		if req, ok := in.Request.(*smithyhttp.Request); ok && strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".UpdateDomain") {
			captured.target = req.Header.Get("X-Amz-Target")
			if s := req.GetStream(); s != nil {
				captured.body, _ = io.ReadAll(s)
				req, err := req.SetStream(bytes.NewReader(captured.body))
				if err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				in.Request = req
			}
		}
		return next.HandleFinalize(ctx, in)
	})
	withCapture := sagemaker.New(e.clients.SageMaker.Options(), func(o *sagemaker.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Finalize.Add(capture, middleware.After) })
	})
	err = e.runner(t, withCapture).ApplyDomain(ctx, plans[0])
	if err == nil {
		t.Error("moto does not implement UpdateDomain: ApplyDomain must return its answer as an error")
	}
	if captured.target != "SageMaker.UpdateDomain" {
		t.Fatalf("captured target %q", captured.target)
	}
	var body map[string]any
	if err := json.Unmarshal(captured.body, &body); err != nil {
		t.Fatalf("body %s: %v", captured.body, err)
	}
	if body["DomainId"] != "d-studio" || body["AppNetworkAccessType"] != "VpcOnly" || len(body) != 2 {
		t.Errorf("UpdateDomain body %s", captured.body)
	}
}
