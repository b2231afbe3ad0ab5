package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/control"
)

// ControlsOptions are `sagefence controls`' inputs.
type ControlsOptions struct {
	format *dataFormatFlags
}

func newControlsCmd(io *IO) *cobra.Command {
	opts := &ControlsOptions{}
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List the controls",
		Example: `  sagefence controls
  sagefence controls --format json | jq -r '.[].id'`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runControls(io, opts) },
	}
	opts.format = addDataFormat(cmd, "", true, "table", "json")
	return cmd
}

// controlJSON is the catalog entry as `controls --json` prints it.
type controlJSON struct {
	ID                string              `json:"id"`
	Title             string              `json:"title"`
	Severity          string              `json:"severity"`
	Kind              string              `json:"kind"`
	Aliases           []control.Alias     `json:"aliases"`
	Frameworks        any                 `json:"frameworks"`
	ForcesReplacement bool                `json:"forces_replacement"`
	Remediation       control.Remediation `json:"remediation"`
}

func runControls(io *IO, opts *ControlsOptions) error {
	format, err := opts.format.resolve(io)
	if err != nil {
		return err
	}
	all := control.All()
	if format == "json" {
		out := make([]controlJSON, 0, len(all))
		for _, c := range all {
			out = append(out, controlJSON{
				ID: c.ID, Title: c.Title, Severity: string(c.Severity), Kind: c.Kind,
				Aliases: c.Aliases, Frameworks: c.Frameworks, ForcesReplacement: c.ForcesReplacement,
				Remediation: c.Remediation,
			})
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tALIASES\tTITLE")
	for _, c := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.ID, c.Severity, strings.Join(shortAliases(c), ", "), c.Title)
	}
	return tw.Flush()
}

// shortAliases keeps the aliases people type (Checkov, Security Hub, Config).
func shortAliases(c *control.Control) []string {
	var out []string
	for _, a := range c.Aliases {
		switch a.Tool {
		case "Checkov", "Security Hub", "AWS Config", "cdk-nag":
			out = append(out, a.ID)
		}
	}
	if len(out) == 0 {
		out = []string{"-"}
	}
	return out
}
