package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/remediate"
)

// RemediateOptions are `sagefence remediate`'s inputs.
type RemediateOptions struct {
	Notebooks        []string
	Domains          []string
	Strategy         string
	SubnetID         string
	SecurityGroupIDs []string
	VpcID            string
	Apply            bool
	RecordDir        string
	Resume           string
	Region           string
	Profile          string
	EndpointURL      string
	Format           string
	Quiet            bool
	WaitDelay        time.Duration
	WaitTimeout      time.Duration
}

func newRemediateCmd(io *IO) *cobra.Command {
	opts := &RemediateOptions{}
	cmd := &cobra.Command{
		Use:   "remediate",
		Short: "Plan (and with --apply, perform) the live fix of public notebooks and domains",
		Long: `Plan the live fix of SageMaker notebook instances that have direct internet access or are
not in a VPC, and of Studio domains that are not VpcOnly. Nothing changes without --apply.

A notebook's DirectInternetAccess, subnet and security groups cannot be updated in place, so the
notebook is replaced, keeping every other setting (instance type, role, volume size, KMS key,
lifecycle configuration, code repositories, root access, platform, IMDS, tags):

  --strategy recreate    same name: stop, wait Stopped, delete, wait deleted, create with
                         DirectInternetAccess=Disabled, wait InService. The ML storage volume
                         is destroyed: back up /home/ec2-user/SageMaker first.
  --strategy blue-green  create <name>-private first, then stop the old notebook and leave it
                         for the data transfer; delete it yourself afterwards.

The target network is --subnet-id with --security-group-id; else that of a compliant notebook in
the same VPC (the notebook's own VPC, or --vpc-id for a notebook outside any VPC); else the
notebook's own subnet and groups; else the notebook is refused with what to give.

With --apply a recreate record (the full description with tags and lifecycle scripts, the target
and the steps) is written to --record-dir before anything changes and updated after each step;
--resume RECORD finishes an interrupted remediation in the record's region and account: --region
may be left out (a different one is refused), credentials of another account are refused.
--apply refuses a notebook whose tags or lifecycle configuration could not be read. Domains are switched to VpcOnly with UpdateDomain
only when no app is InService, Pending or Deleting; otherwise the apps are listed.`,
		Example: `  # what would be done, for every failing notebook and domain of a region
  sagefence remediate --region eu-west-1

  # replace one notebook, in a given private subnet, and keep the record
  sagefence remediate --notebook research --subnet-id subnet-0abc --security-group-id sg-0def --apply

  # finish after an interruption
  sagefence remediate --resume sagefence-remediation/research-20261125T120000.000000000Z.json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runRemediate(cmd.Context(), io, opts) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Notebooks, "notebook", nil, "remediate only this notebook `NAME` (repeatable)")
	f.StringArrayVar(&opts.Domains, "domain", nil, "remediate only this Studio domain `ID` (repeatable)")
	f.StringVar(&opts.Strategy, "strategy", string(remediate.Recreate), "recreate or blue-green")
	f.StringVar(&opts.SubnetID, "subnet-id", "", "target subnet `ID` for the new notebooks")
	f.StringArrayVar(&opts.SecurityGroupIDs, "security-group-id", nil, "target security group `ID` (repeatable)")
	f.StringVar(&opts.VpcID, "vpc-id", "", "copy the network of a compliant notebook in this VPC for notebooks outside any VPC")
	f.BoolVar(&opts.Apply, "apply", false, "perform the plan (default: only print it)")
	f.StringVar(&opts.RecordDir, "record-dir", "sagefence-remediation", "directory for recreate records")
	f.StringVar(&opts.Resume, "resume", "", "finish the remediation of a recreate `RECORD` file")
	f.StringVar(&opts.Region, "region", "", "AWS region (default: from the environment or profile)")
	f.StringVar(&opts.Profile, "profile", "", "AWS shared configuration profile")
	f.StringVar(&opts.EndpointURL, "endpoint-url", "", "override the AWS endpoints (emulators)")
	f.StringVarP(&opts.Format, "format", "f", "text", "plan output: text (also table) or json")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing on standard error but errors (no step-by-step log)")
	f.DurationVar(&opts.WaitDelay, "wait-delay", 0, "minimum delay between waiter polls (default: the SDK's 30s)")
	f.DurationVar(&opts.WaitTimeout, "wait-timeout", time.Hour, "maximum time for each wait")
	return cmd
}

// remediationOutput is the --format json document.
type remediationOutput struct {
	Applied   bool                      `json:"applied"`
	Notebooks []*remediate.NotebookPlan `json:"notebooks"`
	Domains   []*remediate.DomainPlan   `json:"domains"`
	Compliant []string                  `json:"compliant"`
	Records   map[string]string         `json:"records,omitempty"`
	Errors    []string                  `json:"errors"`
}

func runRemediate(ctx context.Context, io *IO, opts *RemediateOptions) error {
	strategy, err := remediate.ParseStrategy(opts.Strategy)
	if err != nil {
		return usageError{err}
	}
	switch opts.Format = strings.ToLower(opts.Format); opts.Format {
	case "text", "table":
		opts.Format = "text"
	case "json":
	default:
		return usagef("--format %q: want text or json", opts.Format)
	}
	if (opts.SubnetID == "") != (len(opts.SecurityGroupIDs) == 0) {
		return usagef("give both --subnet-id and --security-group-id, or neither")
	}
	region := opts.Region
	var resumeAccount string
	if opts.Resume != "" {
		// The record decides where the notebook is: never --region or the
		// profile's default region.
		rec, err := remediate.ReadRecord(opts.Resume)
		if err != nil {
			return err
		}
		account, recRegion, err := rec.Scope()
		if err != nil {
			return err
		}
		if region != "" && region != recRegion {
			return usagef("--region %s, but the record %s is for region %s: resume without --region (or with --region %s)",
				region, opts.Resume, recRegion, recRegion)
		}
		region, resumeAccount = recRegion, account
	}
	clients, err := remediate.NewClients(ctx, remediate.ClientOptions{Region: region, Profile: opts.Profile, EndpointURL: opts.EndpointURL})
	if err != nil {
		return err
	}
	if resumeAccount != "" {
		account, err := clients.Account(ctx)
		if err != nil {
			return err
		}
		if account != resumeAccount {
			return fmt.Errorf("the credentials (profile %q) are for account %s, but the record %s is for account %s: refusing to resume",
				opts.Profile, account, opts.Resume, resumeAccount)
		}
	}
	runner := &remediate.Runner{
		SageMaker: clients.SageMaker, RecordDir: opts.RecordDir, Log: io.info(opts.Quiet).ErrOut,
		Wait: remediate.WaitOptions{MinDelay: opts.WaitDelay, MaxDelay: 4 * opts.WaitDelay, MaxWait: opts.WaitTimeout},
	}
	if opts.Resume != "" {
		if err := runner.Resume(ctx, opts.Resume); err != nil {
			return err
		}
		rec, err := remediate.ReadRecord(opts.Resume)
		if err != nil {
			return err
		}
		remediate.WritePlan(io.Out, rec.Plan)
		return nil
	}

	planner := &remediate.Planner{SageMaker: clients.SageMaker, EC2: clients.EC2, Region: clients.Region}
	out := remediationOutput{Applied: opts.Apply, Notebooks: []*remediate.NotebookPlan{}, Domains: []*remediate.DomainPlan{},
		Compliant: []string{}, Records: map[string]string{}, Errors: []string{}}
	onlyDomains := len(opts.Domains) > 0 && len(opts.Notebooks) == 0
	onlyNotebooks := len(opts.Notebooks) > 0 && len(opts.Domains) == 0
	if !onlyDomains {
		plans, ok, err := planner.PlanNotebooks(ctx, remediate.PlanOptions{
			Notebooks: opts.Notebooks, SubnetID: opts.SubnetID, SecurityGroupIDs: opts.SecurityGroupIDs,
			VpcID: opts.VpcID, Strategy: strategy,
		})
		if err != nil {
			return err
		}
		out.Notebooks, out.Compliant = append(out.Notebooks, plans...), append(out.Compliant, ok...)
	}
	if !onlyNotebooks {
		plans, ok, err := planner.PlanDomains(ctx, opts.Domains)
		if err != nil {
			return err
		}
		out.Domains, out.Compliant = append(out.Domains, plans...), append(out.Compliant, ok...)
	}

	var failures []error
	if opts.Apply {
		for _, p := range out.Notebooks {
			path, err := runner.Apply(ctx, p)
			if path != "" {
				out.Records[p.Name] = path
			}
			if err != nil {
				failures = append(failures, err)
			}
		}
		for _, d := range out.Domains {
			if err := runner.ApplyDomain(ctx, d); err != nil {
				failures = append(failures, err)
			}
		}
	}
	for _, e := range failures {
		out.Errors = append(out.Errors, e.Error())
	}

	if opts.Format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("writing plan: %w", err)
		}
	} else {
		for _, p := range out.Notebooks {
			remediate.WritePlan(io.Out, p)
		}
		for _, d := range out.Domains {
			remediate.WriteDomainPlan(io.Out, d)
		}
		for _, name := range out.Compliant {
			fmt.Fprintf(io.Out, "%s: compliant, nothing to do\n", name)
		}
		if len(out.Notebooks)+len(out.Domains) == 0 {
			fmt.Fprintln(io.Out, "Nothing to remediate.")
		} else if !opts.Apply {
			fmt.Fprintln(io.Out, "Nothing was changed. Run again with --apply to perform these steps.")
		}
	}
	if len(failures) > 0 {
		return errors.Join(failures...)
	}
	return nil
}
