// Package cli is sagefence's command line. Each command is an Options struct,
// a newXCmd constructor and a runX function; exit codes are decided in one
// place (exitCode) from the error a command returns.
package cli

import (
	"github.com/spf13/cobra"
)

// NewRootCmd builds the command tree.
func NewRootCmd(io *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "sagefence",
		Short: "Keep SageMaker notebooks and Studio domains off the public internet, and prove it",
		Long: `sagefence checks that Amazon SageMaker notebook instances have direct internet access
disabled and run in a VPC, that Studio domains are VpcOnly, and that such notebooks can still
reach SageMaker and S3. It reads Terraform, Terraform plans, CloudFormation and CDK output
before apply, and live AWS accounts after.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newScanCmd(io),
		newAuditCmd(io),
		newControlsCmd(io),
		newExplainCmd(io),
		newVersionCmd(io),
		newEvidenceCmd(io),
		newServeCmd(io),
		newGuardrailCmd(io),
		newRemediateCmd(io),
		newFixCmd(io),
	)
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	}
	return root
}

// exactArgs wraps cobra.ExactArgs so that wrong arity is a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
