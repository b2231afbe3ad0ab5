// Package surface holds what every IaC surface shares: the inputs a user can
// give (variables, parameters, pseudo parameters) and the shape of what a
// surface returns. Each sub-package turns one kind of input into model.Sets:
//
//	surface/terraform       .tf and .tf.json root modules (with their modules)
//	surface/tfplan          `terraform show -json` plans and state
//	surface/cloudformation  CloudFormation templates (YAML or JSON)
//	surface/cdk             CDK cloud assemblies (cdk.out)
//	surface/aws             live accounts (used by `sagefence audit`)
//
// Surfaces never decide pass or fail, and download nothing unless the user
// asks for Terraform modules (Options.Modules).
package surface

import (
	"context"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
)

// Options are the user's inputs to IaC evaluation.
type Options struct {
	// VarInputs are the Terraform --var and --var-file arguments in
	// command-line order, which is Terraform's precedence among them: a
	// later one overrides an earlier one for the same variable.
	VarInputs []VarInput
	// Parameters are CloudFormation --parameter values (Key=Value).
	Parameters map[string]string
	// ParameterFiles are CloudFormation parameter files (Key=Value lines or
	// the JSON [{"ParameterKey":..,"ParameterValue":..}] list).
	ParameterFiles []string
	// Region and Account resolve AWS::Region / AWS::AccountId; empty means unknown.
	Region  string
	Account string
	// Getenv reads the environment (TF_VAR_*); nil means no environment.
	Getenv func(string) string
	// Jail confines every read the scanned content can steer (file(),
	// templatefile(), module sources, CDK template paths, symlinked files) to
	// the scan roots and --allow-read directories. nil allows every path;
	// engine.Scan always sets one.
	Jail *safefs.Jail
	// Modules downloads remote Terraform module sources that
	// .terraform/modules/modules.json does not name (scan --download-modules).
	// nil never downloads: such a module call is a gap.
	Modules ModuleDownloader
}

// ModuleDownloader fetches a remote Terraform module source (registry
// address with its version constraint, git::, https archive) and returns the
// local directory holding it; an error names why it could not. Safe for
// concurrent use (roots are evaluated in parallel).
type ModuleDownloader interface {
	Download(ctx context.Context, source, version string) (dir string, err error)
	// CacheDir is where downloads are kept: the Jail must allow reads there.
	CacheDir() string
}

// VarInput is one Terraform --var or --var-file argument.
type VarInput struct {
	// Kind is VarAssignment or VarFile.
	Kind VarInputKind
	// Value is "name=value" for a --var, the path for a --var-file.
	Value string
}

// VarInputKind says which flag gave a VarInput.
type VarInputKind int

const (
	// VarAssignment is --var name=value.
	VarAssignment VarInputKind = iota
	// VarFile is --var-file path.
	VarFile
)

// Var returns a --var input.
func Var(assignment string) VarInput { return VarInput{Kind: VarAssignment, Value: assignment} }

// VarFileInput returns a --var-file input.
func VarFileInput(path string) VarInput { return VarInput{Kind: VarFile, Value: path} }

// VarFilesThenVars lists var files before assignments: the order for
// callers that keep the two apart (and Terraform's usual command line).
func VarFilesThenVars(files, assignments []string) []VarInput {
	out := make([]VarInput, 0, len(files)+len(assignments))
	for _, f := range files {
		out = append(out, VarFileInput(f))
	}
	for _, a := range assignments {
		out = append(out, Var(a))
	}
	return out
}

// Result is what loading one unit gives: the sets it produced and the
// inputs it could not read. A unit may produce both.
type Result struct {
	Sets   []*model.Set
	Errors []model.Error
}
