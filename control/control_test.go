package control

import (
	"sort"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	mt "github.com/sagefence/sagefence/model/modeltest"
)

func nbWith(access, subnet model.Str, sgs model.List) *model.NotebookInstance {
	return &model.NotebookInstance{
		Meta:                 model.Meta{Surface: model.SurfaceTerraform, Type: "aws_sagemaker_notebook_instance", Address: "aws_sagemaker_notebook_instance.nb"},
		DirectInternetAccess: access,
		SubnetID:             subnet,
		SecurityGroups:       sgs,
	}
}

func TestDirectInternetAccess(t *testing.T) {
	subnet := mt.Ref("aws_subnet.a")
	sgs := mt.Lits("sg-1")
	tests := []struct {
		name    string
		access  model.Str
		subnet  model.Str
		want    finding.Status
		message string
	}{
		{"omitted", mt.Default("Enabled"), subnet, finding.Fail, "omitted and defaults"},
		{"enabled", mt.Lit("Enabled"), subnet, finding.Fail, `is "Enabled"`},
		{"disabled", mt.Lit("Disabled"), subnet, finding.Pass, `is "Disabled"`},
		{"lowercase is invalid", mt.Lit("disabled"), subnet, finding.Fail, "not a valid value"},
		{"unknown", mt.Unknown("var.access has no value"), subnet, finding.Unknown, "var.access has no value"},
		{"disabled without subnet will not launch", mt.Lit("Disabled"), mt.Default(""), finding.Pass, "will not launch"},
	}
	c, _ := Lookup(DirectInternetAccessID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &model.Set{Notebooks: []*model.NotebookInstance{nbWith(tt.access, tt.subnet, sgs)}}
			fs := evaluate(t, c, set)
			if len(fs) != 1 {
				t.Fatalf("got %d findings, want 1", len(fs))
			}
			f := fs[0]
			if f.Status != tt.want || !strings.Contains(f.Message, tt.message) {
				t.Errorf("got %s %q, want %s containing %q", f.Status, f.Message, tt.want, tt.message)
			}
			if tt.want == finding.Unknown && f.Observed != nil {
				t.Errorf("unknown finding has observed %q", *f.Observed)
			}
			if !f.Replacement || !strings.Contains(f.Remediation, "replacement") {
				t.Errorf("remediation must warn about replacement: %q", f.Remediation)
			}
		})
	}
}

func TestInVPC(t *testing.T) {
	subnet := mt.Ref("aws_subnet.a")
	sgs := mt.Lits("sg-1")
	tests := []struct {
		name   string
		subnet model.Str
		sgs    model.List
		want   finding.Status
	}{
		{"subnet and groups", subnet, sgs, finding.Pass},
		{"no subnet", model.Str{Resolution: model.Default}, sgs, finding.Fail},
		{"subnet without groups", subnet, model.List{Resolution: model.Default}, finding.Pass},
		{"subnet with empty groups", subnet, model.List{Resolution: model.Explicit}, finding.Pass},
		{"not known whether a subnet is set", model.Str{Resolution: model.Unknown, Reason: "var.subnet has no value"}, sgs, finding.Unknown},
		{"subnet set, value unknown", model.Str{Resolution: model.Unknown, Present: true, Reason: "Fn::ImportValue x is resolved at deploy time"}, sgs, finding.Pass},
		{"subnet set, value unknown, no groups", model.Str{Resolution: model.Unknown, Present: true, Reason: "data.aws_ssm_parameter.x is read at plan"}, model.List{Resolution: model.Default}, finding.Pass},
		{"no subnet, set to empty", mt.Lit(""), sgs, finding.Fail},
		{"unknown groups", subnet, model.List{Resolution: model.Unknown, Reason: "var.sgs has no value"}, finding.Pass},
	}
	c, _ := Lookup(InVPCID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &model.Set{Notebooks: []*model.NotebookInstance{nbWith(mt.Lit("Disabled"), tt.subnet, tt.sgs)}}
			fs := evaluate(t, c, set)
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %+v, want one %s", fs, tt.want)
			}
		})
	}
}

func TestDomainVpcOnly(t *testing.T) {
	tests := []struct {
		name  string
		value model.Str
		want  finding.Status
	}{
		{"omitted", mt.Default("PublicInternetOnly"), finding.Fail},
		{"public", mt.Lit("PublicInternetOnly"), finding.Fail},
		{"vpc only", mt.Lit("VpcOnly"), finding.Pass},
		{"wrong case", mt.Lit("vpconly"), finding.Fail},
		{"unknown", mt.Unknown("x"), finding.Unknown},
	}
	c, _ := Lookup(DomainVpcOnlyID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := &model.Set{Domains: []*model.Domain{{Meta: model.Meta{Surface: model.SurfaceCloudFormation, Address: "Studio"}, AppNetworkAccessType: tt.value}}}
			fs := evaluate(t, c, set)
			if len(fs) != 1 || fs[0].Status != tt.want {
				t.Fatalf("got %+v, want one %s", fs, tt.want)
			}
			if fs[0].Attribute != "AppNetworkAccessType" {
				t.Errorf("attribute %q, want the CloudFormation name", fs[0].Attribute)
			}
		})
	}
}

// TestTouches: a gap concerns a control when it may hide a subject of the
// control, or context that a subject of the set reads; gaps are never
// findings of a check.
func TestTouches(t *testing.T) {
	disabled := &model.NotebookInstance{DirectInternetAccess: mt.Lit("Disabled")}
	enabled := &model.NotebookInstance{DirectInternetAccess: mt.Lit("Enabled")}
	network := []string{PrivateServiceAccessID, SecurityGroupHTTPSEgressID, LifecyclePublicFetchID}
	notebookControls := append([]string{DirectInternetAccessID, InVPCID}, network...)
	tests := []struct {
		name  string
		hides []model.Kind
		nbs   []*model.NotebookInstance
		want  []string
	}{
		{"hides everything", nil, nil, append([]string{DomainVpcOnlyID}, notebookControls...)},
		{"hides notebooks", []model.Kind{model.KindNotebookInstance}, nil, notebookControls},
		{"hides domains", []model.Kind{model.KindDomain}, []*model.NotebookInstance{disabled}, []string{DomainVpcOnlyID}},
		{"subnet, no notebook", []model.Kind{model.KindSubnet}, nil, nil},
		{"subnet, notebook with access enabled", []model.Kind{model.KindSubnet}, []*model.NotebookInstance{enabled}, nil},
		{"subnet, notebook with access disabled", []model.Kind{model.KindSubnet}, []*model.NotebookInstance{enabled, disabled}, network},
		{"security group, access disabled", []model.Kind{model.KindSecurityGroup}, []*model.NotebookInstance{disabled}, []string{SecurityGroupHTTPSEgressID}},
		{"lifecycle configuration, access disabled", []model.Kind{model.KindLifecycleConfig}, []*model.NotebookInstance{disabled}, []string{LifecyclePublicFetchID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &model.Gap{Meta: model.Meta{Surface: model.SurfaceTerraform, Address: "module.x"}, Kind: model.GapUnknownCount, Hides: tt.hides}
			set := &model.Set{Notebooks: tt.nbs, Gaps: []*model.Gap{g}}
			var got []string
			for _, c := range All() {
				if c.Touches(g, set) {
					got = append(got, c.ID)
				}
				if fs := evaluate(t, c, set); len(fs) > len(tt.nbs) {
					t.Errorf("%s reported the gap as findings: %+v", c.ID, fs)
				}
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("touched %v, want %v", got, want)
			}
		})
	}
}

func TestLookupByAlias(t *testing.T) {
	for alias, want := range map[string]string{
		"CKV_AWS_122": DirectInternetAccessID,
		"sagemaker.1": DirectInternetAccessID,
		"SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS": DirectInternetAccessID,
		"sagemaker-notebook-no-direct-internet-access": DirectInternetAccessID,
		"CKV_AWS_306":         InVPCID,
		"SageMaker.2":         InVPCID,
		DomainVpcOnlyID:       DomainVpcOnlyID,
		"  " + InVPCID + "  ": InVPCID,
	} {
		c, ok := Lookup(alias)
		if !ok || c.ID != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", alias, c, ok, want)
		}
	}
	if _, ok := Lookup("CKV_AWS_999"); ok {
		t.Error("an unknown alias must not resolve")
	}
	if _, err := Select([]string{"nope"}); err == nil {
		t.Error("Select must reject an unknown control")
	}
}

func TestCatalogDocsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.ID] {
			t.Errorf("duplicate control %s", c.ID)
		}
		seen[c.ID] = true
		if c.Title == "" || c.Rationale == "" || c.Checks == "" || c.Severity.Rank() == 0 || c.Check == nil {
			t.Errorf("%s: incomplete documentation", c.ID)
		}
		for _, s := range model.Surfaces() {
			if c.Remediation.For(s) == "" {
				t.Errorf("%s: no remediation for surface %s", c.ID, s)
			}
		}
	}
}

// evaluate runs one control on a set; an error (a panic in the check) fails the test.
func evaluate(t *testing.T, c *Control, set *model.Set) []finding.Finding {
	t.Helper()
	fs, err := c.Evaluate(set)
	if err != nil {
		t.Fatalf("%s: %v", c.ID, err)
	}
	return fs
}
