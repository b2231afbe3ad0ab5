package guardrail

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/configrule"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/witness"
)

// TestConfigRulesCoverTheCatalog: every control has exactly one custom rule
// whose input parameter witness (audit --witnesses) reads back as that
// control, with a valid name, the three triggers, and the managed rules.
func TestConfigRulesCoverTheCatalog(t *testing.T) {
	name := regexp.MustCompile(`^[A-Za-z0-9-_]{1,64}$`)
	rules := configRules("arn", "")
	for _, c := range control.All() {
		r, ok := rules[logicalID(ConfigRuleName(c))].(obj)
		if !ok {
			t.Fatalf("no rule for %s", c.ID)
		}
		p := r["Properties"].(obj)
		if !name.MatchString(p["ConfigRuleName"].(string)) {
			t.Errorf("%s: rule name %q is not a valid Config rule name", c.ID, p["ConfigRuleName"])
		}
		var params map[string]string
		if err := json.Unmarshal([]byte(p["InputParameters"].(string)), &params); err != nil {
			t.Fatal(err)
		}
		got, ok := control.Lookup(params[witness.CustomRuleParameter])
		if !ok || got != c {
			t.Errorf("%s: input parameters %v do not name the control", c.ID, params)
		}
		parsed, err := configrule.ParseParams(p["InputParameters"].(string))
		if err != nil || parsed.Control != c {
			t.Errorf("%s: the function refuses its own rule's parameters: %v", c.ID, err)
		}
		details := p["Source"].(obj)["SourceDetails"].([]obj)
		var kinds []string
		for _, d := range details {
			kinds = append(kinds, d["MessageType"].(string))
		}
		slices.Sort(kinds)
		if !slices.Equal(kinds, []string{configrule.MessageChange, configrule.MessageOversizedChange, configrule.MessageScheduled}) {
			t.Errorf("%s: triggers %v", c.ID, kinds)
		}
	}
	if len(rules) != len(control.All())+len(ManagedConfigRules) {
		t.Errorf("%d rules, want one per control plus %d managed", len(rules), len(ManagedConfigRules))
	}
	// TemplateBody (the StackSet's member template, and each template given
	// inline to CloudFormation or PutConformancePack) is at most 51,200 bytes.
	for _, which := range []ConfigTemplate{TemplateStackSet, TemplateMember, TemplateConformancePack} {
		out, err := ConfigCloudFormation(which)
		if err != nil || len(out) > 51200 {
			t.Errorf("%s: %d bytes, %v", which, len(out), err)
		}
	}
	member := ConfigMemberTemplate()
	role := member["Resources"].(obj)["SagefenceConfigRuleRole"].(obj)["Properties"].(obj)
	stmt := role["Policies"].([]obj)[0]["PolicyDocument"].(obj)["Statement"].([]obj)[0]
	if !slices.Equal(stmt["Action"].([]string), configrule.LambdaActions()) {
		t.Errorf("role actions %v", stmt["Action"])
	}
}

func writeTemplate(t *testing.T, dir, name string, which ConfigTemplate) string {
	t.Helper()
	out, err := ConfigCloudFormation(which)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigTemplatesPassCfnLint(t *testing.T) {
	dir := t.TempDir()
	member := writeTemplate(t, dir, "member.json", TemplateMember)
	stackset := writeTemplate(t, dir, "stackset.json", TemplateStackSet)
	pack := writeTemplate(t, dir, "pack.json", TemplateConformancePack)
	testutil.CfnLint(t, member, stackset, pack)
	if _, err := ConfigCloudFormation("nope"); err == nil {
		t.Error("an unknown template is not an error")
	}
}

func TestConfigTerraformValidates(t *testing.T) {
	out, err := ConfigTerraform()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.TerraformValidate(t, dir)
}

// TestConfigTerraformCarriesTheMemberTemplate: the heredoc, unescaped, is
// the member template (terraform validate cannot look inside it).
func TestConfigTerraformCarriesTheMemberTemplate(t *testing.T) {
	out, err := ConfigTerraform()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)template_body = <<-TEMPLATE\n(.*?)\n  TEMPLATE\n`).FindSubmatch(out)
	if m == nil {
		t.Fatal("no template_body heredoc")
	}
	body := strings.NewReplacer("$${", "${", "%%{", "%{").Replace(string(m[1]))
	var got, want any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("heredoc is not JSON: %v", err)
	}
	raw, _ := json.Marshal(ConfigMemberTemplate())
	_ = json.Unmarshal(raw, &want)
	if !reflect.DeepEqual(got, want) {
		t.Error("the heredoc differs from the member template")
	}
}
