package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/fix"
	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/surface"
)

// FixOptions are `sagefence fix`'s inputs. The variable and parameter
// inputs are scan's: fix plans from a scan with them, so a value given by
// --var or a --var-file is fixed where it is given (or reported as set on
// the command line).
type FixOptions struct {
	Paths          []string
	VarInputs      []surface.VarInput
	Parameters     []string
	ParameterFiles []string
	Region         string
	Account        string
	Write          bool
	// AllowOutside lets fix edit files outside Paths (a shared module the
	// configuration calls with "../"); by default such edits are reported,
	// not made.
	AllowOutside bool
	// AllowRead are directories outside Paths the scan may read (module
	// sources, file()), as for scan; with AllowOutside every directory is.
	AllowRead []string
	Quiet     bool
	format    *dataFormatFlags
}

func newFixCmd(io *IO) *cobra.Command {
	opts := &FixOptions{}
	cmd := &cobra.Command{
		Use:   "fix [PATH...]",
		Short: "Print (or --write) the minimal IaC edits that make notebooks and domains compliant",
		Long: `Compute the minimal edits that fix failing direct internet access, in-VPC and domain VpcOnly
findings in Terraform and CloudFormation, and print them as a unified diff (default: .).

fix scans the paths first (with the same --var, --var-file, --parameter and --parameter-file inputs as
scan) and edits each failing value where the scan's provenance chain says it comes from: the resource,
a variable's default (also in an override file), terraform.tfvars, terraform.tfvars.json,
*.auto.tfvars(.json), a --var-file, a module call's argument, or a CloudFormation parameter's Default,
a --parameter-file or a Mappings value; each change says which. A value behind a local, a conditional or Fn::If, given by
--var, TF_VAR_ or --parameter, or a variable with no value is reported as "cannot fix automatically"
with the reason. A missing subnet or security group is never
invented: it is copied from a compliant notebook of the same configuration, or a variable/parameter
without a default is added and reported as needing a value.

In Terraform whose network is declared in the scanned root module, failing HTTPS egress and
private service access findings are fixed too: a TCP 443 egress rule on the notebook's security
group, and the missing SageMaker API/runtime interface endpoints and S3 gateway endpoint (these
change in place: no replacement).

Changing a notebook's direct internet access, subnet or security groups DESTROYS AND RECREATES it:
a warning per resource says so. A second run changes nothing.

Only files under the given paths (a directory, or a file's directory) are edited: a value set in a
module outside them (source = "../shared") is reported as "value set in ../shared/main.tf, used by
N callers: not edited", unless --allow-outside. --write is all or nothing: every new file content is
staged in a temporary file beside its target with the target's mode and owner and fsynced; only
then are they all renamed into place (and the directories fsynced). Any failure or Ctrl-C before
that leaves every file as it was and no temporary file behind. A symlinked file is written through:
the link stays, its target is replaced (a target outside the given paths counts as outside).

Exit codes: 0 nothing left to fix by hand; 1 some failing setting could not be fixed automatically;
2 an input could not be read or parsed.`,
		Example: `  sagefence fix infra/ | less
  sagefence fix --write infra/ && sagefence scan infra/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if len(opts.Paths) == 0 {
				opts.Paths = []string{"."}
			}
			return runFix(cmd.Context(), io, opts)
		},
	}
	f := cmd.Flags()
	addVarInputFlags(f, &opts.VarInputs)
	f.StringArrayVarP(&opts.Parameters, "parameter", "p", nil, "set a CloudFormation parameter (`KEY=VALUE`, repeatable)")
	f.StringArrayVar(&opts.ParameterFiles, "parameter-file", nil, "read CloudFormation parameters from `FILE`")
	f.StringVar(&opts.Region, "region", "", "AWS region for AWS::Region in templates")
	f.StringVar(&opts.Account, "account", "", "AWS account ID for AWS::AccountId in templates")
	cmd.Flags().BoolVarP(&opts.Write, "write", "w", false, "apply the edits to the files (all or nothing)")
	cmd.Flags().BoolVar(&opts.AllowOutside, "allow-outside", false, "also read and edit files outside the given paths (a shared module called with ../)")
	f.StringArrayVar(&opts.AllowRead, "allow-read", nil, "also let the scan read inside `DIR`, outside the given paths (edits there are reported, not made, without --allow-outside)")
	opts.format = addDataFormat(cmd, "diff", true, "diff", "json")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on standard error but errors and the settings that could not be fixed")
	return cmd
}

func runFix(ctx context.Context, io *IO, opts *FixOptions) error {
	format, err := opts.format.resolve(io)
	if err != nil {
		return err
	}
	asJSON := format == "json"
	info := io.info(opts.Quiet)
	if err := checkVarInputs(opts.VarInputs); err != nil {
		return err
	}
	params, err := parseAssignments("--parameter", opts.Parameters)
	if err != nil {
		return err
	}
	allow := opts.AllowRead
	if opts.AllowOutside {
		allow = append(append([]string(nil), allow...), string(filepath.Separator))
	}
	jail, err := safefs.NewJail(opts.Paths, allow)
	if err != nil {
		return usageError{err}
	}
	scan, sets := engine.ScanSets(ctx, opts.Paths, engine.Options{Options: surface.Options{
		VarInputs: opts.VarInputs, Parameters: params, ParameterFiles: opts.ParameterFiles,
		Region: opts.Region, Account: opts.Account, Getenv: io.Getenv, Jail: jail,
	}})
	res := fix.Plan(ctx, fix.Input{Findings: scan.Findings, Sets: sets, Errors: scan.Errors, Gaps: scan.Gaps})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fix interrupted: %w", err)
	}
	res.Confine(opts.Paths, opts.AllowOutside)
	if asJSON {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("writing result: %w", err)
		}
	} else if !opts.Write {
		fmt.Fprint(io.Out, res.Diff())
	}
	for _, c := range res.Changes {
		fmt.Fprintf(info.ErrOut, "fix: %s:%d %s: %s\n", c.File, c.Line, c.Resource, c.Message)
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(info.ErrOut, "WARNING: %s: %s\n", w.File, w.Message)
	}
	for _, u := range res.Unfixable {
		fmt.Fprintf(io.ErrOut, "not fixed: %s:%d %s: %s\n", u.File, u.Line, u.Resource, u.Reason)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(io.ErrOut, "sagefence: error: %s\n", e.Error())
	}
	if opts.Write {
		if err := res.Write(ctx); err != nil {
			return err
		}
		fmt.Fprintf(info.ErrOut, "fix: wrote %d file(s)\n", len(res.Files))
	} else if len(res.Files) > 0 && !asJSON {
		fmt.Fprintln(info.ErrOut, "fix: nothing was written; run with --write to apply")
	}
	switch {
	case len(res.Unfixable) > 0:
		return resultError{ExitFail}
	case len(res.Errors) > 0:
		return resultError{ExitError}
	}
	return nil
}
