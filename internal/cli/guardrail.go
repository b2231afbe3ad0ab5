package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/guardrail"
)

// GuardrailOptions are `sagefence guardrail`'s inputs.
type GuardrailOptions struct {
	Kind     string
	Format   string
	Name     string
	Output   string
	Template string
}

func newGuardrailCmd(io *IO) *cobra.Command {
	opts := &GuardrailOptions{}
	cmd := &cobra.Command{
		Use:   "guardrail",
		Short: "Print an SCP and an IAM policy that deny public SageMaker notebooks and domains",
		Long: `Print preventive policies, made of Deny statements only:

  - deny sagemaker:CreateNotebookInstance unless sagemaker:DirectInternetAccess is "Disabled"
    (StringNotEquals: also denies requests that omit it, whose default is Enabled);
  - deny it when sagemaker:VpcSubnets or sagemaker:VpcSecurityGroupIds is absent (Null: true);
  - deny sagemaker:CreateDomain unless sagemaker:AppNetworkAccessType is "VpcOnly";
  - deny sagemaker:UpdateDomain that sets it to "PublicInternetOnly" (an update that omits the key
    leaves the setting unchanged and is let through).

--kind scp is a service control policy (attach it to an organization root, OU or account);
--kind iam is an identity-based policy to attach beside the permissions of the roles and users
that create notebooks. With --kind both (the default) and --format json, the output is one JSON
object {"service_control_policy": ..., "iam_policy": ...}; with a single kind it is the policy
document itself, ready for aws organizations create-policy / aws iam create-policy.
--format terraform prints aws_organizations_policy / aws_iam_policy resources using jsonencode().

--kind config prints the AWS Config deployment of sagefence's controls (docs/aws-config.md):
with --format cloudformation (or json) the CloudFormation template named by --template:
stackset (default: a service-managed StackSet with automatic deployment that puts the member
template in every account of the given OUs and regions), member (one account and region: the
sagefence-config-rule Lambda, its role, one custom rule per control and the AWS managed notebook
rules) or conformance-pack (the rules for an existing function ARN); with --format terraform the
StackSet as aws_cloudformation_stack_set resources.

` + guardrail.UnverifiedNote,
		Example: `  sagefence guardrail --kind scp > scp.json
  aws organizations create-policy --type SERVICE_CONTROL_POLICY --name sagefence-sagemaker-network \
    --description "SageMaker network isolation" --content file://scp.json
  sagefence guardrail --format terraform > guardrails.tf
  sagefence guardrail --kind config --format cloudformation > sagefence-config-stackset.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runGuardrail(io, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.Kind, "kind", "both", "policy kind: scp, iam, both, or config (AWS Config rules)")
	f.StringVarP(&opts.Format, "format", "f", "json", "output format: json or terraform; with --kind config also cloudformation (= json)")
	f.StringVar(&opts.Template, "template", string(guardrail.TemplateStackSet), "with --kind config and CloudFormation: stackset, member or conformance-pack")
	f.StringVar(&opts.Name, "name", guardrail.DefaultName, "policy name (and, with underscores, the Terraform resource name)")
	f.StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

func runGuardrail(io *IO, opts *GuardrailOptions) error {
	if opts.Kind == "config" {
		return runGuardrailConfig(io, opts)
	}
	if opts.Template != string(guardrail.TemplateStackSet) {
		return usagef("--template is for --kind config")
	}
	var kinds []guardrail.Kind
	switch opts.Kind {
	case "scp":
		kinds = []guardrail.Kind{guardrail.SCP}
	case "iam":
		kinds = []guardrail.Kind{guardrail.IAM}
	case "both":
		kinds = []guardrail.Kind{guardrail.SCP, guardrail.IAM}
	default:
		return usagef("--kind %q: want scp, iam, both or config", opts.Kind)
	}
	var out []byte
	switch opts.Format {
	case "json":
		var err error
		if out, err = guardrailJSON(kinds); err != nil {
			return err
		}
	case "terraform":
		var err error
		if out, err = guardrail.Terraform(kinds, opts.Name); err != nil {
			return usageError{err}
		}
	default:
		return usagef("--format %q: want json or terraform", opts.Format)
	}
	return writeGuardrail(io, opts, out)
}

// runGuardrailConfig prints the AWS Config deployment templates.
func runGuardrailConfig(io *IO, opts *GuardrailOptions) error {
	var out []byte
	var err error
	switch opts.Format {
	case "cloudformation", "json":
		out, err = guardrail.ConfigCloudFormation(guardrail.ConfigTemplate(opts.Template))
	case "terraform":
		if opts.Template != string(guardrail.TemplateStackSet) {
			return usagef("--format terraform renders the StackSet only; --template %q is for CloudFormation", opts.Template)
		}
		out, err = guardrail.ConfigTerraform()
	default:
		return usagef("--kind config --format %q: want cloudformation or terraform", opts.Format)
	}
	if err != nil {
		return usageError{err}
	}
	return writeGuardrail(io, opts, out)
}

// writeGuardrail writes out to --output or standard output.
func writeGuardrail(io *IO, opts *GuardrailOptions, out []byte) error {
	if opts.Output == "" {
		_, err := io.Out.Write(out)
		return err
	}
	if err := writeFileAtomic(opts.Output, func(f *os.File) error { _, err := f.Write(out); return err }); err != nil {
		return fmt.Errorf("writing %s: %w", opts.Output, err)
	}
	return nil
}

// guardrailJSON is the document itself for one kind, an object keyed by
// policy type for both.
func guardrailJSON(kinds []guardrail.Kind) ([]byte, error) {
	docs := map[guardrail.Kind]guardrail.Document{}
	for _, k := range kinds {
		d, err := guardrail.Policy(k)
		if err != nil {
			return nil, err
		}
		docs[k] = d
	}
	if len(kinds) == 1 {
		return docs[kinds[0]].JSON()
	}
	out, err := json.MarshalIndent(struct {
		SCP guardrail.Document `json:"service_control_policy"`
		IAM guardrail.Document `json:"iam_policy"`
	}{docs[guardrail.SCP], docs[guardrail.IAM]}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding policies: %w", err)
	}
	return append(out, '\n'), nil
}
