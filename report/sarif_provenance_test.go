package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// provenanceResult is one failing finding whose value came through a module
// argument from terraform.tfvars.json.
func provenanceResult(t *testing.T) *finding.Result {
	t.Helper()
	c, ok := control.Lookup("sagemaker_notebook_instance_direct_internet_access_disabled")
	if !ok {
		t.Fatal("control not found")
	}
	meta := model.Meta{Surface: model.SurfaceTerraform, Type: "aws_sagemaker_notebook_instance",
		Address: "module.nb.aws_sagemaker_notebook_instance.this", Range: model.Range{File: "modules/nb/main.tf", StartLine: 5, EndLine: 12}}
	f := c.New(meta, finding.Fail)
	prov := model.Provenance{{Kind: model.StepModuleArgument, Name: "var.access", Detail: "module.nb",
		Range:  model.Range{File: "main.tf", StartLine: 12, EndLine: 12},
		Inputs: []model.Step{{Kind: model.StepTFVars, Name: "var.dia", Range: model.Range{File: "terraform.tfvars.json", StartLine: 1, EndLine: 1}}}}}
	f.Attribute, f.Expected, f.Resolution = "direct_internet_access", "Disabled", model.Explicit
	f.Provenance = finding.Provenance(prov)
	f.Message = `direct_internet_access is "Enabled" (from ` + finding.DescribeProvenance(prov) + `)`
	r := &finding.Result{FormatVersion: finding.FormatVersion, Tool: finding.Tool{Name: "sagefence", Version: "0.1.0"}, Findings: []finding.Finding{f}}
	r.Finalize()
	return r
}

// TestSARIFRelatedLocations: every provenance step written in a file is a
// related location of the result, with its own message, so a change that
// only touches a module input or a tfvars file is located where it changed.
func TestSARIFRelatedLocations(t *testing.T) {
	var buf bytes.Buffer
	if err := (SARIF{}).Format(&buf, provenanceResult(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Message          map[string]string `json:"message"`
				RelatedLocations []struct {
					ID               int `json:"id"`
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct{ StartLine int }
					} `json:"physicalLocation"`
					Message struct{ Text string } `json:"message"`
				} `json:"relatedLocations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 1 {
		t.Fatalf("want one result:\n%s", buf.String())
	}
	res := doc.Runs[0].Results[0]
	want := []struct {
		id   int
		uri  string
		line int
		text string
	}{
		{1, "main.tf", 12, "var.access set by module.nb (main.tf:12)"},
		{2, "terraform.tfvars.json", 1, "var.dia from terraform.tfvars.json:1"},
	}
	if len(res.RelatedLocations) != len(want) {
		t.Fatalf("related locations %+v, want %d", res.RelatedLocations, len(want))
	}
	for i, w := range want {
		got := res.RelatedLocations[i]
		if got.ID != w.id || got.PhysicalLocation.ArtifactLocation.URI != w.uri || got.PhysicalLocation.Region.StartLine != w.line || got.Message.Text != w.text {
			t.Errorf("related location %d = %+v, want %+v", i, got, w)
		}
	}
	if res.Message["text"] != `direct_internet_access is "Enabled" (from var.access set by module.nb (main.tf:12) from var.dia from terraform.tfvars.json:1)` {
		t.Errorf("message %q", res.Message["text"])
	}
}
