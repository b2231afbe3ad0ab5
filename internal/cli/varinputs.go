package cli

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/sagefence/sagefence/surface"
)

// varInputsFlag is --var or --var-file: both append to one list, so that
// their command-line order (Terraform's precedence: a later one wins) is
// kept across the two flags.
type varInputsFlag struct {
	list *[]surface.VarInput
	kind surface.VarInputKind
}

func (f varInputsFlag) Set(s string) error {
	*f.list = append(*f.list, surface.VarInput{Kind: f.kind, Value: s})
	return nil
}

func (f varInputsFlag) Type() string { return "stringArray" }

func (f varInputsFlag) String() string {
	var vals []string
	for _, in := range *f.list {
		if in.Kind == f.kind {
			vals = append(vals, in.Value)
		}
	}
	return "[" + strings.Join(vals, ",") + "]"
}

// addVarInputFlags registers --var and --var-file, appending to list.
func addVarInputFlags(f *pflag.FlagSet, list *[]surface.VarInput) {
	f.Var(varInputsFlag{list: list, kind: surface.VarAssignment}, "var", "set a Terraform variable (`NAME=VALUE`, repeatable; with --var-file, a later one wins as in Terraform)")
	f.Var(varInputsFlag{list: list, kind: surface.VarFile}, "var-file", "read Terraform variables from a .tfvars or .tfvars.json `FILE` (repeatable)")
}

// checkVarInputs validates the --var assignments.
func checkVarInputs(ins []surface.VarInput) error {
	var assignments []string
	for _, in := range ins {
		if in.Kind == surface.VarAssignment {
			assignments = append(assignments, in.Value)
		}
	}
	_, err := checkAssignments("--var", assignments)
	return err
}
