package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/remediate"
)

func TestRemediateCommand(t *testing.T) {
	m := testutil.StartMoto(t)
	ctx := context.Background()
	c, err := remediate.NewClients(ctx, remediate.ClientOptions{Region: "us-east-1", EndpointURL: m.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SageMaker.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String("research"), InstanceType: types.InstanceTypeMlT2Medium,
		RoleArn: aws.String("arn:aws:iam::123456789012:role/nb"), VolumeSizeInGB: aws.Int32(30),
	}); err != nil {
		t.Fatal(err)
	}
	base := []string{"remediate", "--endpoint-url", m.URL, "--region", "us-east-1", "--notebook", "research"}
	describe := func() *sagemaker.DescribeNotebookInstanceOutput {
		out, err := c.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("research")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// No target network: refused in the plan; --apply exits 2.
	out, _, code := runCLI(t, base...)
	if code != 0 || !strings.Contains(out, "REFUSED") || !strings.Contains(out, "--subnet-id") {
		t.Fatalf("plan without target: exit %d\n%s", code, out)
	}
	if _, errOut, code := runCLI(t, append(base, "--apply")...); code != 2 || !strings.Contains(errOut, "refusing research") {
		t.Fatalf("apply without target: exit %d, stderr %s", code, errOut)
	}

	// Plan only: nothing changes.
	target := append(base, "--subnet-id", "subnet-0123456789abcdef0", "--security-group-id", "sg-0123456789abcdef0")
	out, _, code = runCLI(t, append(target, "--format", "json")...)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	var plan struct {
		Applied   bool
		Notebooks []remediate.NotebookPlan
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.Applied || len(plan.Notebooks) != 1 || len(plan.Notebooks[0].Steps) != 6 {
		t.Fatalf("plan JSON (%v):\n%s", err, out)
	}
	if describe().DirectInternetAccess != types.DirectInternetAccessEnabled {
		t.Fatal("a plan without --apply changed the notebook")
	}

	// --apply recreates it.
	dir := filepath.Join(t.TempDir(), "records")
	out, errOut, code := runCLI(t, append(target, "--apply", "--record-dir", dir, "--wait-delay", "10ms")...)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	got := describe()
	if got.DirectInternetAccess != types.DirectInternetAccessDisabled || aws.ToString(got.SubnetId) != "subnet-0123456789abcdef0" || aws.ToInt32(got.VolumeSizeInGB) != 30 {
		t.Errorf("after apply: %s %s %d", got.DirectInternetAccess, aws.ToString(got.SubnetId), aws.ToInt32(got.VolumeSizeInGB))
	}
	records, _ := filepath.Glob(filepath.Join(dir, "research-*.json"))
	if len(records) != 1 || !strings.Contains(errOut, "record written") {
		t.Fatalf("records %v, stderr %s", records, errOut)
	}
	// Resume of a finished record is a no-op.
	if _, errOut, code := runCLI(t, "remediate", "--endpoint-url", m.URL, "--region", "us-east-1", "--resume", records[0]); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	// Now compliant: nothing to do.
	out, _, code = runCLI(t, base...)
	if code != 0 || !strings.Contains(out, "research: compliant") {
		t.Errorf("after apply: exit %d\n%s", code, out)
	}
}
