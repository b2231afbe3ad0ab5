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
//   - An edit is made where the value really comes from: the resource
//     attribute, a variable's default, terraform.tfvars / *.auto.tfvars, the
//     argument of a local module call, or a CloudFormation parameter's
//     Default. Each Change names that place.
//   - A value sagefence cannot trace to one literal (a local, a conditional,
//     a function, a variable without a value in this configuration, Fn::If)
//     is not guessed at: it is an Unfixable with the reason.
//   - A subnet or security group is never invented: when a notebook has none
//     and no compliant notebook in the same module/template has one to copy,
//     a clearly named variable/parameter without a default is added and the
//     Change says that a value is needed.
//   - Terraform is edited with hclwrite (comments and layout kept);
//     CloudFormation with text edits at yaml.v3 node positions. Files are
//     only written by Write (write.go): all or nothing, mode and owner
//     kept, fsynced; Confine keeps edits inside the given paths. A second
//     run finds nothing to do.
//   - Every change to a notebook's direct internet access, subnet or security
//     groups forces replacement; Warnings carries one warning per resource.
package fix

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sagefence/sagefence/engine"
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

// Plan computes the fixes for the paths (files or directories, as for scan).
// It reads files only; nothing is written.
func Plan(ctx context.Context, paths []string) *Result {
	in := engine.Discover(paths)
	res := &Result{Changes: []Change{}, Unfixable: []Unfixable{}, Warnings: []Warning{}, Errors: append([]model.Error{}, in.Errors...)}
	if err := ctx.Err(); err != nil {
		res.Errors = append(res.Errors, model.Error{Message: err.Error()})
		return res
	}
	planTerraform(ctx, in.TerraformDirs, res)
	for _, tpl := range in.TemplateFiles {
		if ctx.Err() != nil {
			break
		}
		planTemplate(tpl, res)
	}
	sort.SliceStable(res.Files, func(i, j int) bool { return res.Files[i].Path < res.Files[j].Path })
	return res
}

// replacementWarning is the warning for a notebook whose create-only
// settings change.
func replacementWarning(resource, file, newName string) Warning {
	return Warning{Resource: resource, File: file, Message: fmt.Sprintf(
		"%s will be DESTROYED AND RECREATED: direct internet access, subnet and security groups cannot change in place, "+
			"and its ML storage volume (/home/ec2-user/SageMaker) is lost. Back up the data first. To keep the old notebook "+
			"until the new one works, %s", resource, newName)}
}
