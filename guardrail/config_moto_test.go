package guardrail

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagefence/sagefence/internal/testutil"
)

// TestConfigStackSetOnMoto deploys the StackSet template's StackSet — its
// own TemplateBody, permission model, auto-deployment, capabilities and
// parameters — with service-managed permissions over a moto Organization,
// and asserts what moto can check: the OU resolves to exactly its member
// accounts (never the management account) and every stack instance
// succeeds. moto cannot show the rest (shared/aws-facts.md §9): it skips
// AWS::Config::ConfigRule and creates no Lambda function in the member
// accounts' stacks; cfn-lint (TestConfigTemplatesPassCfnLint) covers the
// template's resources.
func TestConfigStackSetOnMoto(t *testing.T) {
	moto := testutil.StartMoto(t)
	ctx := context.Background()
	cfg := testutil.MotoSDKConfig(t, moto.URL, "us-east-1")
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := *roots.Roots[0].Id
	ou, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &root, Name: sdkaws.String("workloads")})
	if err != nil {
		t.Fatal(err)
	}
	var members []string
	for _, name := range []string{"ml-dev", "ml-prod", "outside-ou"} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: sdkaws.String(name), Email: sdkaws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := *out.CreateAccountStatus.AccountId
		if name == "outside-ou" {
			continue
		}
		if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: ou.OrganizationalUnit.Id}); err != nil {
			t.Fatal(err)
		}
		members = append(members, id)
	}

	tmpl, err := ConfigStackSetTemplate()
	if err != nil {
		t.Fatal(err)
	}
	props := tmpl["Resources"].(obj)["SagefenceConfigStackSet"].(obj)["Properties"].(obj)
	auto := props["AutoDeployment"].(obj)
	var caps []cftypes.Capability
	for _, c := range props["Capabilities"].([]string) {
		caps = append(caps, cftypes.Capability(c))
	}
	params := []cftypes.Parameter{{ParameterKey: sdkaws.String("CodeBucketPrefix"), ParameterValue: sdkaws.String("sagefence-code")}}
	for _, p := range props["Parameters"].([]obj) {
		if k := p["ParameterKey"].(string); k != "CodeBucketPrefix" && tmpl["Parameters"].(obj)[k].(obj)["Default"] == nil {
			t.Errorf("passed parameter %s has no default in the StackSet template", k)
		}
	}
	body := props["TemplateBody"].(string)
	var member map[string]any
	if err := json.Unmarshal([]byte(body), &member); err != nil {
		t.Fatalf("TemplateBody is not JSON: %v", err)
	}
	// The member template reads the function's code from <prefix>-<region>.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("sagefence-code-us-east-1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("sagefence-code-us-east-1"),
		Key: sdkaws.String(tmpl["Parameters"].(obj)["CodeKey"].(obj)["Default"].(string)), Body: bytes.NewReader(zipped(t))}); err != nil {
		t.Fatal(err)
	}
	cf := cloudformation.NewFromConfig(cfg)
	name := props["StackSetName"].(string)
	if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{
		StackSetName: &name, TemplateBody: &body, Capabilities: caps, Parameters: params,
		PermissionModel: cftypes.PermissionModels(props["PermissionModel"].(string)),
		AutoDeployment: &cftypes.AutoDeployment{Enabled: sdkaws.Bool(auto["Enabled"].(bool)),
			RetainStacksOnAccountRemoval: sdkaws.Bool(auto["RetainStacksOnAccountRemoval"].(bool))},
	}); err != nil {
		t.Fatalf("CreateStackSet: %v", err)
	}
	op, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{
		StackSetName: &name, Regions: []string{"us-east-1"},
		DeploymentTargets: &cftypes.DeploymentTargets{OrganizationalUnitIds: []string{*ou.OrganizationalUnit.Id}},
	})
	if err != nil {
		t.Fatalf("CreateStackInstances: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := cf.DescribeStackSetOperation(ctx, &cloudformation.DescribeStackSetOperationInput{StackSetName: &name, OperationId: op.OperationId})
		if err != nil {
			t.Fatal(err)
		}
		if s := st.StackSetOperation.Status; s == cftypes.StackSetOperationStatusSucceeded {
			break
		} else if s == cftypes.StackSetOperationStatusFailed || s == cftypes.StackSetOperationStatusStopped || time.Now().After(deadline) {
			t.Fatalf("stack set operation %s", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	inst, err := cf.ListStackInstances(ctx, &cloudformation.ListStackInstancesInput{StackSetName: &name})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range inst.Summaries {
		got = append(got, *s.Account+"/"+*s.Region)
		if s.Status != cftypes.StackInstanceStatusCurrent {
			t.Errorf("instance %s/%s is %s: %s", *s.Account, *s.Region, s.Status, sdkaws.ToString(s.StatusReason))
		}
	}
	var want []string
	for _, a := range members {
		want = append(want, a+"/us-east-1")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("stack instances %v, want the OU's accounts %v", got, want)
	}
}

// zipped is a Lambda code zip holding a bootstrap file.
func zipped(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	w, err := z.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
