// Package fix computes the minimal edits that make Terraform and
// CloudFormation configurations pass the three security controls:
// sagemaker_notebook_instance_direct_internet_access_disabled,
// sagemaker_notebook_instance_in_vpc and sagemaker_domain_vpc_only; and,
// in Terraform whose network is declared in the scanned root module, the
// failing network pitfalls sagemaker_notebook_instance_security_group_https_egress
// and sagemaker_notebook_instance_private_service_access (terraform_network.go;
// in-place changes, no replacement).
//
// Contract:
//   - fix does not scan and does not trace values: it plans from a scan's
//     findings and the model sets they came from (Input; the CLI runs the
//     scan with the user's --var/--var-file/--parameter inputs). Only a
//     resource with a failing (or, for the headline settings, unknown)
//     finding is touched, so a second run after Write finds nothing to do.
//   - A value is edited where its provenance chain (model.Provenance) ends:
//     the resource attribute, a variable's default (also in an override
//     file), terraform.tfvars / terraform.tfvars.json / *.auto.tfvars(.json)
//     / a --var-file, the argument of a module call, a CloudFormation
//     parameter's Default, a --parameter-file (paramfile.go) or a Mappings
//     value. Each Change names that place.
//   - A value no single literal holds (a local, a conditional or other
//     expression, Fn::If, --var, TF_VAR_, --parameter, a variable without a
//     value) is not guessed at: it is an Unfixable with the reason.
//   - A subnet or security group is never invented: when a notebook has none
//     and no compliant notebook in the same module/template has one to copy,
//     a clearly named variable/parameter without a default is added (and
//     passed down through the module calls in Meta.ModuleCalls) and the
//     Change says that a value is needed.
//   - Terraform is edited with hclwrite (comments and layout kept), JSON
//     variable files by replacing the value's text; CloudFormation with text
//     edits at yaml.v3 node positions. Files are only written by Write
//     (write.go): all or nothing, mode and owner kept, fsynced; Confine
//     keeps edits inside the given paths. A second run finds nothing to do.
//   - Every change to a notebook's direct internet access, subnet or security
//     groups forces replacement; Warnings carries one warning per resource.
package fix

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Control IDs fixed here.
const (
	controlDirectInternetAccess = "sagemaker_notebook_instance_direct_internet_access_disabled"
	controlInVPC                = "sagemaker_notebook_instance_in_vpc"
	controlDomainVpcOnly        = "sagemaker_domain_vpc_only"
)

// Change is one fix.
type Change struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Resource string `json:"resource"`
	Control  string `json:"control_id"`
	Message  string `json:"message"`
	// NeedsValue names a variable or parameter that was added without a
	// value and must be given one before apply.
	NeedsValue string `json:"needs_value,omitempty"`
}

// Unfixable is a failing setting sagefence does not change by itself.
type Unfixable struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Resource string `json:"resource"`
	Control  string `json:"control_id"`
	Reason   string `json:"reason"`
}

// Warning is a per-resource consequence of the changes (replacement).
type Warning struct {
	Resource string `json:"resource"`
	File     string `json:"file"`
	Message  string `json:"message"`
}

// FileEdit is the old and new content of one changed file.
type FileEdit struct {
	Path string
	Old  []byte
	New  []byte
}

// Result is what Plan computes.
type Result struct {
	Changes   []Change      `json:"changes"`
	Unfixable []Unfixable   `json:"unfixable"`
	Warnings  []Warning     `json:"warnings"`
	Errors    []model.Error `json:"errors"`
	Files     []FileEdit    `json:"-"`
}

// Diff is the unified diff of every changed file, in path order.
func (r *Result) Diff() string {
	var out string
	for _, f := range r.Files {
		out += UnifiedDiff(strings.TrimPrefix(filepath.ToSlash(f.Path), "/"), f.Old, f.New)
	}
	return out
}

// Input is what Plan works from: the findings of a scan and the model sets
// they were computed from (engine.ScanSets), plus the scan's input errors,
// which Plan reports as its own.
type Input struct {
	Findings []finding.Finding
	Sets     []*model.Set
	Errors   []model.Error
	// Gaps are the scan's gaps: one that kept the scan from reading
	// notebooks or domains outside its root is reported as not fixed.
	Gaps []finding.Gap
}

// Plan computes the fixes for the failing findings of in. It reads the files
// it edits; nothing is written.
func Plan(ctx context.Context, in Input) *Result {
	res := &Result{Changes: []Change{}, Unfixable: []Unfixable{}, Warnings: []Warning{}, Errors: append([]model.Error{}, in.Errors...)}
	for _, g := range in.Gaps {
		if g.Kind == model.GapOutsideScanRoot && hidesFixable(g) {
			res.Unfixable = append(res.Unfixable, Unfixable{File: g.File, Line: g.Line, Resource: g.Address,
				Reason: "cannot fix automatically: " + g.Reason + "; fix reads and edits only inside the given paths " +
					"(--allow-read DIR lets it read there and report the edit, --allow-outside lets it edit there)"})
		}
	}
	work := collectWork(in)
	w := newWorkspace(res)
	templates := map[string]*template{}
	for _, it := range work {
		if err := ctx.Err(); err != nil {
			res.Errors = append(res.Errors, model.Error{Message: err.Error()})
			break
		}
		switch it.meta().Surface {
		case model.SurfaceTerraform:
			w.fix(it)
		case model.SurfaceCloudFormation:
			path := it.meta().Range.File
			t, ok := templates[path]
			if !ok {
				t = loadTemplate(path, res, w)
				templates[path] = t
			}
			if t != nil {
				t.fix(it)
			}
		}
	}
	for _, path := range sortedKeys(templates) {
		if t := templates[path]; t != nil {
			t.finish()
		}
	}
	w.finish() // after the templates: it also writes the parameter files they edited
	sort.SliceStable(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	return res
}

// hidesFixable reports whether a gap may hide a notebook or domain.
func hidesFixable(g finding.Gap) bool {
	for _, h := range g.Hides {
		switch h {
		case "aws_sagemaker_notebook_instance", "aws_sagemaker_domain", "AWS::SageMaker::NotebookInstance", "AWS::SageMaker::Domain":
			return true
		}
	}
	return false
}

// workItem is one notebook or domain with its findings that fix acts on,
// by control ID.
type workItem struct {
	notebook *model.NotebookInstance
	domain   *model.Domain
	// set is the model set the resource is in.
	set      *model.Set
	findings map[string]finding.Finding
}

func (it workItem) meta() model.Meta {
	if it.notebook != nil {
		return it.notebook.Meta
	}
	return it.domain.Meta
}

// status is the finding status of a control on the item ("" when none).
func (it workItem) status(controlID string) finding.Status {
	return it.findings[controlID].Status
}

// fixable are the controls fix acts on.
var fixable = map[string]bool{
	controlDirectInternetAccess: true, controlInVPC: true, controlDomainVpcOnly: true,
	controlHTTPSEgress: true, controlPrivateServiceAccess: true,
}

// collectWork pairs every notebook and domain of the IaC sets with its
// fail and unknown findings of the fixable controls, in file and line order.
func collectWork(in Input) []workItem {
	// A resource of a module two roots call is one resource per root: each
	// root passes its own inputs (OUTPUT.md resource.root).
	key := func(surface, root, address, file string) string {
		return surface + "\x00" + root + "\x00" + address + "\x00" + file
	}
	byResource := map[string]map[string]finding.Finding{}
	for _, f := range in.Findings {
		if !fixable[f.ControlID] || (f.Status != finding.Fail && f.Status != finding.Unknown) {
			continue
		}
		k := key(f.Surface, f.Resource.Root, f.Resource.Address, f.Location.File)
		if byResource[k] == nil {
			byResource[k] = map[string]finding.Finding{}
		}
		byResource[k][f.ControlID] = f
	}
	var out []workItem
	seen := map[string]bool{}
	add := func(m model.Meta, it workItem) {
		k := key(m.Surface, m.Root, m.Address, m.Range.File)
		if seen[k] || byResource[k] == nil || (m.Surface != model.SurfaceTerraform && m.Surface != model.SurfaceCloudFormation) {
			return
		}
		seen[k] = true
		it.findings = byResource[k]
		out = append(out, it)
	}
	for _, set := range in.Sets {
		for _, nb := range set.Notebooks {
			add(nb.Meta, workItem{notebook: nb, set: set})
		}
		for _, d := range set.Domains {
			add(d.Meta, workItem{domain: d, set: set})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].meta(), out[j].meta()
		if a.Range.File != b.Range.File {
			return a.Range.File < b.Range.File
		}
		if a.Range.StartLine != b.Range.StartLine {
			return a.Range.StartLine < b.Range.StartLine
		}
		return a.Address < b.Address
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// replacementWarning is the warning for a notebook whose create-only
// settings change.
func replacementWarning(resource, file, newName string) Warning {
	return Warning{Resource: resource, File: file, Message: fmt.Sprintf(
		"%s will be DESTROYED AND RECREATED: direct internet access, subnet and security groups cannot change in place, "+
			"and its ML storage volume (/home/ec2-user/SageMaker) is lost. Back up the data first. To keep the old notebook "+
			"until the new one works, %s", resource, newName)}
}
