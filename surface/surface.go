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
// Surfaces never decide pass or fail, and never download anything.
package surface

import (
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
)

// Options are the user's inputs to IaC evaluation.
type Options struct {
	// Vars are Terraform --var values ("name=value"), in command-line order.
	Vars []string
	// VarFiles are Terraform --var-file paths, in command-line order.
	VarFiles []string
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
}

// Result is what loading one unit gives: the sets it produced and the
// inputs it could not read. A unit may produce both.
type Result struct {
	Sets   []*model.Set
	Errors []model.Error
}
