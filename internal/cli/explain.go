package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/model"
)

func newExplainCmd(io *IO) *cobra.Command {
	return &cobra.Command{
		Use:   "explain ID",
		Short: "Show a control's documentation (ID or any alias)",
		Long: `Show what a control checks, why, how it maps to compliance frameworks and how to fix it.
ID may be the control ID or any alias: a Checkov ID, a Security Hub control, an AWS Config rule.`,
		Example: `  sagefence explain sagemaker_notebook_instance_direct_internet_access_disabled
  sagefence explain CKV_AWS_122
  sagefence explain SageMaker.1
  sagefence explain SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ok := control.Lookup(args[0])
			if !ok {
				return usagef("unknown control %q (run `sagefence controls` for the list)", args[0])
			}
			_, err := fmt.Fprint(io.Out, renderExplain(c))
			return err
		},
	}
}

// renderExplain formats a control's Doc as plain text.
func renderExplain(c *control.Control) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", c.Title, strings.Repeat("=", len(c.Title)))
	fmt.Fprintf(&b, "ID:        %s\nSeverity:  %s (%s)\n", c.ID, c.Severity, c.Kind)
	fmt.Fprintf(&b, "Resources: %s\n", strings.Join(c.ResourceTypes, ", "))
	if c.ForcesReplacement {
		fmt.Fprintf(&b, "Fixing it: forces replacement of the resource (its storage volume is lost)\n")
	}
	fmt.Fprintf(&b, "\nWhy\n  %s\n\nWhat is checked\n  %s\n", wrap(c.Rationale, 2), wrap(c.Checks, 2))
	if len(c.Aliases) > 0 {
		b.WriteString("\nAliases\n")
		for _, a := range c.Aliases {
			fmt.Fprintf(&b, "  %-24s %s\n", a.Tool, a.ID)
		}
	}
	if len(c.Frameworks) > 0 {
		b.WriteString("\nFrameworks\n")
		for _, f := range c.Frameworks {
			fmt.Fprintf(&b, "  %-24s %s\n", f.Framework, strings.Join(f.IDs, ", "))
		}
	}
	b.WriteString("\nHow to fix\n")
	for _, s := range []struct{ label, surface string }{
		{"Terraform", model.SurfaceTerraform}, {"CloudFormation", model.SurfaceCloudFormation}, {"Live AWS", model.SurfaceAWS},
	} {
		fmt.Fprintf(&b, "  %s: %s\n", s.label, wrap(c.Remediation.For(s.surface), 4))
	}
	if len(c.Example) > 0 {
		langs := make([]string, 0, len(c.Example))
		for l := range c.Example {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			fmt.Fprintf(&b, "\nCompliant example (%s)\n", l)
			for _, line := range strings.Split(c.Example[l], "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
	}
	if c.HelpURI != "" {
		fmt.Fprintf(&b, "\nMore: %s\n", c.HelpURI)
	}
	return b.String()
}

// wrap folds text at 100 columns, indenting continuation lines.
func wrap(s string, indent int) string {
	words := strings.Fields(s)
	var b strings.Builder
	col := indent
	for i, w := range words {
		if i > 0 {
			if col+1+len(w) > 100 {
				b.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}
