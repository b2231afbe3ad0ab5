package control

import (
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// TestCatalogOrder: the catalog is written in the order every output lists
// controls, highest severity first, with no control twice.
func TestCatalogOrder(t *testing.T) {
	seen := map[*Control]bool{}
	for i, c := range catalog {
		if c == nil || seen[c] {
			t.Fatalf("catalog entry %d is nil or repeated", i)
		}
		seen[c] = true
		if i > 0 && catalog[i-1].Severity.Rank() < c.Severity.Rank() {
			t.Errorf("%s (%s) is listed after %s (%s): the catalog is ordered by severity, highest first",
				c.ID, c.Severity, catalog[i-1].ID, catalog[i-1].Severity)
		}
		if got, ok := Lookup(c.ID); !ok || got != c {
			t.Errorf("Lookup(%s) does not find the catalog entry", c.ID)
		}
	}
	all := All()
	if len(all) != len(catalog) {
		t.Fatalf("All() has %d controls, the catalog %d", len(all), len(catalog))
	}
	for i := range all {
		if all[i] != catalog[i] {
			t.Errorf("All()[%d] = %s, catalog[%d] = %s", i, all[i].ID, i, catalog[i].ID)
		}
	}
}

// TestRemediationBySurface: every surface gets its own text, its Base
// surface's, or the generic text, in that order.
func TestRemediationBySurface(t *testing.T) {
	r := Remediation{Generic: "g", BySurface: map[string]string{model.SurfaceTerraform: "tf", model.SurfaceAWS: "live"}}
	for surface, want := range map[string]string{
		model.SurfaceTerraform: "tf", model.SurfaceTerraformPlan: "tf", model.SurfaceAWS: "live",
		model.SurfaceCloudFormation: "g", model.SurfaceCDK: "g", "some-new-surface": "g",
	} {
		if got := r.For(surface); got != want {
			t.Errorf("For(%s) = %q, want %q", surface, got, want)
		}
	}
}

// TestReportFillsDocumentedFields: a check states its verdict; the
// documentation fields come from the control and the resource.
func TestReportFillsDocumentedFields(t *testing.T) {
	c, _ := Lookup(DirectInternetAccessID)
	nb := notebook()
	nb.Notes = []string{"the plan replaces this notebook"}
	nb.Region, nb.Account = "eu-west-1", "111122223333"
	p := &Pass{Control: c, Set: &model.Set{}, unit: NewUnit(&model.Set{})}
	observed := "Enabled"
	p.Report(nb.Meta, Verdict{Status: finding.Fail, Attribute: "direct_internet_access", Expected: "Disabled",
		Observed: &observed, Resolution: model.Explicit, Message: "it is enabled", Evidence: []string{"e"}})
	if len(p.findings) != 1 {
		t.Fatalf("%d findings", len(p.findings))
	}
	f := p.findings[0]
	if f.ControlID != c.ID || f.Severity != c.Severity || f.Surface != nb.Surface || f.Resource.Address != nb.Address ||
		f.Resource.Region != "eu-west-1" || f.Resource.Account != "111122223333" || f.Location.File != nb.Range.File ||
		f.Remediation != c.Remediation.For(nb.Surface) || f.Remediation == "" || !f.Replacement ||
		len(f.Aliases) != len(c.Aliases) || len(f.Frameworks) != len(c.Frameworks) {
		t.Errorf("documented fields not filled: %+v", f)
	}
	if f.Attribute != "direct_internet_access" || f.Expected != "Disabled" || f.Observed == nil || *f.Observed != "Enabled" ||
		f.Resolution != model.Explicit || len(f.Evidence) != 1 {
		t.Errorf("verdict fields not copied: %+v", f)
	}
	if f.Message != "it is enabled; the plan replaces this notebook" {
		t.Errorf("message %q: the resource's notes must follow the verdict", f.Message)
	}
}

// TestPanicBecomesError: a check that panics on one resource gives an error
// naming the control and the resource, keeps the findings reported before
// it, and does not crash the run.
func TestPanicBecomesError(t *testing.T) {
	first, second := notebook(), notebook()
	second.Address, second.Range = "aws_sagemaker_notebook_instance.broken", model.Range{File: "main.tf", StartLine: 42, EndLine: 50}
	c := &Control{Doc: Doc{ID: "test_control", Severity: finding.High}, Check: func(p *Pass) {
		for nb := range p.Notebooks() {
			if nb == second {
				var m map[string]int
				m["boom"]++ // a nil-map write: a runtime panic
			}
			p.Report(nb.Meta, Verdict{Status: finding.Pass, Message: "ok"})
		}
	}}
	fs, err := c.Run(NewUnit(&model.Set{Notebooks: []*model.NotebookInstance{first, second}}))
	if err == nil {
		t.Fatal("a panic must become an error")
	}
	if len(fs) != 1 || fs[0].Resource.Address != first.Address {
		t.Errorf("findings before the panic are kept: %+v", fs)
	}
	if !strings.Contains(err.Message, "test_control") || !strings.Contains(err.Message, second.Address) ||
		!strings.Contains(err.Message, "nil map") || err.File != "main.tf" || err.Line != 42 {
		t.Errorf("error %+v must name the control, the resource and the panic", err)
	}
	if _, err := c.Evaluate(&model.Set{Notebooks: []*model.NotebookInstance{second}}); err == nil {
		t.Error("Evaluate must return the panic as an error")
	}
	// A verdict without a status is a bug in the check, reported the same way.
	noStatus := &Control{Doc: Doc{ID: "no_status"}, Check: func(p *Pass) {
		for nb := range p.Notebooks() {
			p.Report(nb.Meta, Verdict{Message: "forgot the status"})
		}
	}}
	if _, err := noStatus.Run(NewUnit(&model.Set{Notebooks: []*model.NotebookInstance{first}})); err == nil ||
		!strings.Contains(err.Message, "no status") {
		t.Errorf("a verdict without status must be an error, got %v", err)
	}
}

// TestNetworkAnalysedOncePerNotebook: the three network controls share one
// analysis per notebook per Set, and judge exactly as when run alone.
func TestNetworkAnalysedOncePerNotebook(t *testing.T) {
	set := baseSet()
	unit := NewUnit(set)
	ids := []string{PrivateServiceAccessID, SecurityGroupHTTPSEgressID, LifecyclePublicFetchID}
	for _, id := range ids {
		c, _ := Lookup(id)
		shared, err := c.Run(unit)
		if err != nil {
			t.Fatal(err)
		}
		alone := evaluate(t, c, baseSet())
		if len(shared) != len(alone) {
			t.Fatalf("%s: %d findings with the shared unit, %d alone", id, len(shared), len(alone))
		}
		for i := range shared {
			if shared[i].Status != alone[i].Status || shared[i].Message != alone[i].Message {
				t.Errorf("%s: shared %s %q, alone %s %q", id, shared[i].Status, shared[i].Message, alone[i].Status, alone[i].Message)
			}
		}
	}
	if len(unit.networks) != len(set.Notebooks) {
		t.Errorf("%d network analyses for %d notebooks", len(unit.networks), len(set.Notebooks))
	}
	if unit.analyses != len(set.Notebooks) {
		t.Errorf("the network was analysed %d times for %d notebooks across %d controls", unit.analyses, len(set.Notebooks), len(ids))
	}
}
