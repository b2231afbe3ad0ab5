package cli

import (
	"context"
	"encoding/json"
	"os"
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
	// Resume of a finished record is a no-op, with or without --region.
	for _, region := range [][]string{{"--region", "us-east-1"}, nil} {
		if _, errOut, code := runCLI(t, append([]string{"remediate", "--endpoint-url", m.URL, "--resume", records[0]}, region...)...); code != 0 {
			t.Fatalf("resume %v: exit %d: %s", region, code, errOut)
		}
	}
	// Another region than the record's is refused, before any call.
	if _, errOut, code := runCLI(t, "remediate", "--endpoint-url", m.URL, "--region", "eu-west-1", "--resume", records[0]); code != ExitError ||
		!strings.Contains(errOut, "is for region us-east-1") {
		t.Errorf("resume in another region: exit %d: %s", code, errOut)
	}
	// A record of another account is refused with these credentials. The
	// record is otherwise unfinished, so a resume would act.
	raw, err := os.ReadFile(records[0])
	if err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(t.TempDir(), "foreign.json")
	edited := strings.ReplaceAll(string(raw), ":123456789012:notebook-instance/", ":111111111111:notebook-instance/")
	edited = strings.ReplaceAll(edited, `"status": "done"`, `"status": "pending"`)
	if edited == string(raw) {
		t.Fatal("the record holds no notebook ARN of account 123456789012 to change")
	}
	if err := os.WriteFile(foreign, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCLI(t, "remediate", "--endpoint-url", m.URL, "--resume", foreign); code != ExitError ||
		!strings.Contains(errOut, "are for account 123456789012, but the record") || !strings.Contains(errOut, "is for account 111111111111") {
		t.Errorf("resume with another account's record: exit %d: %s", code, errOut)
	}
	if describe().DirectInternetAccess != types.DirectInternetAccessDisabled {
		t.Error("the refused resume changed the notebook")
	}
	// Now compliant: nothing to do.
	out, _, code = runCLI(t, base...)
	if code != 0 || !strings.Contains(out, "research: compliant") {
		t.Errorf("after apply: exit %d\n%s", code, out)
	}
}
