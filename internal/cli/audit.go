package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/integrations/securityhub"
	"github.com/sagefence/sagefence/internal/awsconfig"
	"github.com/sagefence/sagefence/redact"
	"github.com/sagefence/sagefence/report"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// AuditOptions are `sagefence audit`'s inputs.
type AuditOptions struct {
	OutputOptions
	Regions     []string
	Profile     string
	EndpointURL string
	RoleARN     string
	ExternalID  string
	Org         bool
	OrgRole     string
	Controls    []string
	Parallelism int
	// RequestTimeout bounds each attempt of each AWS call, RegionTimeout
	// each account+region's audit (0: the surface's defaults).
	RequestTimeout time.Duration
	RegionTimeout  time.Duration
	PrintPolicy    bool
	Record         RecordOptions
	// SecurityHub imports the findings into AWS Security Hub, each account's
	// with the credentials the audit used for that account.
	SecurityHub bool
	// Witness reads AWS Config and Security Hub verdicts (--witnesses).
	Witness WitnessOptions
}

func newAuditCmd(io *IO) *cobra.Command {
	opts := &AuditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit live AWS accounts: every notebook instance and Studio domain, every region",
		Long: `Audit live AWS accounts with the AWS SDK's default credential chain (environment,
shared config and --profile, SSO, web identity, instance and container roles).

Every region enabled for the account is audited concurrently unless --region is given.
--role-arn audits one other account through AssumeRole; --org audits every active account
of the caller's AWS Organization, assuming --org-role in each member account.

A region or account that cannot be reached or answers AccessDenied is reported as an error
and every control is unknown there: never a pass. So is an answer that is HTML, truncated,
empty or about another resource, and a region that does not finish within --region-timeout
(each call attempt is bounded by --request-timeout and retried with the SDK's adaptive
retryer). A run that could read nothing at all exits 2. See docs/audit.md for the IAM policy.

--security-hub imports every finding into AWS Security Hub (BatchImportFindings) in the
account and region of its resource, with the credentials the audit used for that account
(the caller's, or the assumed role's); Security Hub must be enabled there. --record stores
the result in the evidence store, as scan --record does. --witnesses adds to every notebook
and domain finding what AWS Config and Security Hub say about the same resource and control,
and whether they agree (docs/audit.md#witnesses); a witness that cannot be read is an error
for that witness only. A .sagefence.yaml found from the
working directory upwards (or --config) applies: controls, severity, suppressions, format,
record and store.

Exit codes: 0 no fail and no error; 1 at least one fail (with --strict, also an unknown or a gap);
2 no fail but an error (bad usage, a region or account that could not be read, or a run
that could not be recorded or imported).`,
		Example: `  # every enabled region of the current account
  sagefence audit

  # two regions with a named profile, JSON for CI
  sagefence audit --profile prod --region us-east-1 --region eu-west-1 --format json

  # another account through a role
  sagefence audit --role-arn arn:aws:iam::111111111111:role/SagefenceAudit

  # every account of the organization (run with management-account credentials)
  sagefence audit --org --org-role OrganizationAccountAccessRole

  # import the findings into each account's Security Hub and record the run
  sagefence audit --org --security-hub --record

  # cross-check with AWS Config (through an aggregator) and Security Hub
  sagefence audit --org --witnesses --config-aggregator org-aggregator --format json

  # against a local emulator
  sagefence audit --endpoint-url http://127.0.0.1:5000 --region us-east-1`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Record.RecordSet = cmd.Flags().Changed("record")
			return runAudit(cmd.Context(), io, opts)
		},
	}
	opts.addFlags(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&opts.Regions, "region", nil, "audit this `REGION` (repeatable; default: every region enabled for the account)")
	f.StringVar(&opts.Profile, "profile", "", "use this shared-config `PROFILE`")
	f.StringVar(&opts.EndpointURL, "endpoint-url", "", "send every AWS API call to this `URL` (AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> also work)")
	f.StringVar(&opts.RoleARN, "role-arn", "", "audit the account of this role `ARN` through sts:AssumeRole")
	f.StringVar(&opts.ExternalID, "external-id", "", "external `ID` for every AssumeRole call")
	f.BoolVar(&opts.Org, "org", false, "audit every active account of the caller's AWS Organization")
	f.StringVar(&opts.OrgRole, "org-role", awssurface.DefaultOrgRole, "role `NAME` --org assumes in each member account")
	f.StringArrayVarP(&opts.Controls, "control", "c", nil, "evaluate only this control `ID` or alias (repeatable)")
	f.IntVar(&opts.Parallelism, "parallelism", 8, "audit at most `N` account+region pairs at once")
	f.DurationVar(&opts.RequestTimeout, "request-timeout", awsconfig.DefaultRequestTimeout, "give up one attempt of an AWS API call after `DURATION` (retried as a connection error)")
	f.DurationVar(&opts.RegionTimeout, "region-timeout", awssurface.DefaultRegionTimeout, "give up one account+region after `DURATION`: it is reported as an error, every control unknown there")
	f.BoolVar(&opts.PrintPolicy, "print-policy", false, "print the minimal IAM policy the audit needs and exit")
	f.BoolVar(&opts.SecurityHub, "security-hub", false, "import the findings into AWS Security Hub, per account and region (see docs/integrations.md)")
	opts.Record.addFlags(cmd)
	opts.Witness.addFlags(cmd)
	return cmd
}

func runAudit(ctx context.Context, io *IO, opts *AuditOptions) error {
	if opts.PrintPolicy {
		_, err := fmt.Fprintln(io.Out, awssurface.PolicyJSON())
		return err
	}
	if opts.Org && opts.RoleARN != "" {
		return usagef("--org and --role-arn cannot be combined: --org assumes --org-role in every account")
	}
	if opts.Parallelism < 1 {
		return usagef("--parallelism must be at least 1")
	}
	if opts.RequestTimeout <= 0 || opts.RegionTimeout <= 0 {
		return usagef("--request-timeout and --region-timeout must be positive durations (such as 30s, 10m)")
	}
	if err := opts.Witness.validate(); err != nil {
		return err
	}
	cfg, err := opts.prepare(".")
	if err != nil {
		return err
	}
	controls, err := selectControls(opts.Controls, opts.SkipControls, cfg, "audit")
	if err != nil {
		return err
	}
	var suppressions []engine.ConfigSuppression
	if cfg != nil {
		suppressions = cfg.Suppressions
	}
	fmtr, err := opts.formatter(io)
	if err != nil {
		return err
	}
	start := time.Now().UTC()
	so := awssurface.Options{
		Regions: opts.Regions, Profile: opts.Profile, EndpointURL: opts.EndpointURL,
		RoleARN: opts.RoleARN, ExternalID: opts.ExternalID, Org: opts.Org, OrgRole: opts.OrgRole,
		Parallelism: opts.Parallelism, RequestTimeout: opts.RequestTimeout, RegionTimeout: opts.RegionTimeout,
	}
	progress := newAuditProgress(io, opts)
	so.Progress = progress.update
	live, err := awssurface.Audit(ctx, so)
	progress.done()
	if err != nil {
		if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
			return fmt.Errorf("audit interrupted: no report written (%w)", ctx.Err())
		}
		return err
	}
	res := &finding.Result{FormatVersion: finding.FormatVersion, Errors: live.Errors}
	findings, evalErrs := engine.Evaluate(live.Sets, controls, suppressions, time.Time{})
	res.Findings = findings
	res.Errors = append(res.Errors, evalErrs...)
	res.Gaps = engine.Gaps(live.Sets, controls)
	if opts.Witness.Enabled {
		if err := attachWitnesses(ctx, opts.Witness, so, live, res); err != nil {
			return fmt.Errorf("reading witnesses: %w", err)
		}
	}
	res.Finalize()
	res.Tool = finding.Tool{Name: "sagefence", Version: Version}
	res.Scope = &finding.Scope{Command: "audit", Accounts: live.Accounts, Regions: live.Regions, Time: start.Format(time.RFC3339), Config: opts.configPath()}
	// Secrets leave the result here, before the store, Security Hub or a
	// formatter sees it.
	res.Sensitive = engine.SensitiveValues(live.Sets)
	redact.Result(res)
	followUpErr := recordResult(ctx, io.info(opts.Quiet), opts.Record.withConfig(io, cfg), res)
	if opts.SecurityHub {
		followUpErr = errors.Join(followUpErr, importToSecurityHub(ctx, io, opts.Quiet, live, res))
	}
	return withFollowUpError(io, opts.emit(io, fmtr, res), followUpErr)
}

// importToSecurityHub imports the audit's findings into Security Hub, each
// account's with the SDK configuration that audited it. Findings of an
// account the audit could not reach cannot be imported: that is an error
// naming the account.
func importToSecurityHub(ctx context.Context, io *IO, quiet bool, live *awssurface.Result, res *finding.Result) error {
	sum, err := securityhub.ImportResultByAccount(ctx, res, report.ASFF{}, func(account, region string) (securityhub.API, error) {
		cfg, ok := live.Configs[account]
		if !ok {
			return nil, fmt.Errorf("the audit had no credentials for account %s (it could not be reached)", account)
		}
		return awssh.NewFromConfig(cfg, func(o *awssh.Options) { o.Region = region }), nil
	})
	if !quiet {
		fmt.Fprintf(io.ErrOut, "sagefence: imported %d finding(s) into Security Hub in %d call(s)\n", sum.Imported, sum.Batches)
	}
	if err != nil {
		return fmt.Errorf("Security Hub import: %w", err)
	}
	return nil
}

// auditProgress prints "regions 3/17, 120 notebooks described" on a terminal's
// stderr, rewriting one line; silent with --quiet, in JSON mode or off a terminal.
type auditProgress struct {
	io      *IO
	enabled bool
	printed bool
}

func newAuditProgress(io *IO, opts *AuditOptions) *auditProgress {
	format := strings.ToLower(opts.Format)
	if format == "" && (opts.Output != "" || !io.OutTTY) {
		format = "json" // the formatter's default off a terminal
	}
	return &auditProgress{io: io, enabled: io.ErrTTY && !opts.Quiet && format != "json"}
}

// update is called serialized by the surface.
func (p *auditProgress) update(s awssurface.Progress) {
	if !p.enabled {
		return
	}
	p.printed = true
	fmt.Fprintf(p.io.ErrOut, "\r\033[Ksagefence: regions %d/%d done, %d notebooks described", s.RegionsDone, s.RegionsTotal, s.NotebooksDescribed)
}

func (p *auditProgress) done() {
	if p.printed {
		fmt.Fprint(p.io.ErrOut, "\r\033[K")
	}
}
