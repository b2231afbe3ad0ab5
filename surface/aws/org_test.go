package aws_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// TestAuditOrganizationAndPermissions audits an Organization (management
// account with the caller's credentials, members through the org role) and
// every enabled region, recording the operations called: they must be
// exactly the actions of the documented IAM policy.
func TestAuditOrganizationAndPermissions(t *testing.T) {
	moto := testutil.StartMoto(t)
	s := newSeeder(t, moto.URL)
	members := s.organization(2)

	net := s.vpc("us-east-1")
	s.lifecycle("us-east-1", "setup", "#!/bin/bash\necho hello\n")
	mgmtARN := s.notebook(notebookSpec{Name: "mgmt", Region: "us-east-1", DIA: "Disabled", Subnet: net.MainSubnet,
		SecurityGroups: []string{net.SG}, Lifecycle: "setup"})
	s.domain("us-east-1", "studio", "", net.VPC, []string{net.MainSubnet})
	memberARN := s.as(members[0]).notebook(notebookSpec{Name: "member", Region: "us-east-1", DIA: "Enabled"})

	rec := newCalls()
	org := auditOptions(moto.URL, rec, "us-east-1")
	org.Org = true
	res, fs := runAudit(t, org)
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	wantAccounts := append([]string{defaultAccount}, members...)
	sort.Strings(wantAccounts)
	if !reflect.DeepEqual(res.Accounts, wantAccounts) {
		t.Errorf("accounts = %v, want %v", res.Accounts, wantAccounts)
	}
	v := index(t, fs)
	for _, c := range []struct {
		account, name, arn string
		want               finding.Status
	}{
		{defaultAccount, "mgmt", mgmtARN, finding.Pass},
		{members[0], "member", memberARN, finding.Fail},
	} {
		f, ok := v[verdictKey(headline, c.account, "us-east-1", c.name)]
		if !ok || f.Status != c.want || f.Resource.ARN != c.arn {
			t.Errorf("%s in %s: %+v, want %s with ARN %s", c.name, c.account, f, c.want, c.arn)
		}
	}
	if n := rec.count("", "sts:AssumeRole"); n != len(members) {
		t.Errorf("AssumeRole called %d times, want once per member account (%d)", n, len(members))
	}

	// Every enabled region of the caller's account (DescribeRegions).
	all, _ := runAudit(t, auditOptions(moto.URL, rec))
	if len(all.Errors) != 0 || len(all.Regions) < 10 || !contains(all.Regions, "eu-west-1") {
		t.Errorf("all-region audit: %d regions %v, errors %v", len(all.Regions), all.Regions, all.Errors)
	}

	got := rec.actions()
	want := append([]string(nil), awssurface.RequiredActions...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("operations called:\n  %s\nRequiredActions:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TestDocumentedPolicy: docs/audit.md shows exactly PolicyJSON, the policy
// whose actions TestAuditOrganizationAndPermissions checks against the calls.
func TestDocumentedPolicy(t *testing.T) {
	var code any
	if err := json.Unmarshal([]byte(awssurface.PolicyJSON()), &code); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../../docs/audit.md", "../../README.md"} {
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile("(?s)<!-- policy -->\\s*```json\n(.*?)```").FindSubmatch(doc)
		if m == nil {
			t.Fatalf("%s has no ```json block after <!-- policy -->", path)
		}
		var documented any
		if err := json.Unmarshal(m[1], &documented); err != nil {
			t.Fatalf("%s policy is not JSON: %v", path, err)
		}
		if !reflect.DeepEqual(documented, code) {
			t.Errorf("%s policy differs from surface/aws.PolicyJSON():\n%s", path, awssurface.PolicyJSON())
		}
	}
}
