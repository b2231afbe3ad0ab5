package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsct "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/evidence"
	"github.com/sagefence/sagefence/evidence/cloudtrail"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/awsconfig"
)

// cloudTrailOptions are `evidence cloudtrail`'s flags.
type cloudTrailOptions struct {
	from, to       string
	regions        []string
	profile        string
	endpointURL    string
	buckets        []string
	dirs           []string
	format, output string
	quiet          bool
}

func newEvidenceCloudTrailCmd(io *IO) *cobra.Command {
	o := &cloudTrailOptions{}
	cmd := &cobra.Command{
		Use:   "cloudtrail --from DATE --to DATE",
		Short: "The change history of every notebook and domain in a period, from CloudTrail",
		Long: `Read who created, updated and deleted every SageMaker notebook instance and Studio domain in
the period [--from, --to), with which network settings (DirectInternetAccess, SubnetId,
SecurityGroupIds; AppNetworkAccessType for domains), from where (source IP, user agent), and the
calls that failed (errorCode, e.g. a guardrail's AccessDenied).

Sources: CloudTrail LookupEvents in each --region of the caller's account (the default; --profile
for another account; the last 90 days only, older time is reported as a gap), or a trail's log
files in S3 (--bucket s3://bucket/prefix; account and organization trails,
AWSLogs/[o-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/), or a local directory of them (--dir). --bucket and --dir may be repeated and combined; an event seen twice counts once.

Every period a notebook had direct internet access or no subnet, or a domain was not VpcOnly, is a
violation window with its start, end and who caused them, even when the resource no longer exists.
Time no event shows (a resource created before the period, a day of logs that could not be read)
is a gap, never compliant (docs/evidence.md#cloudtrail-history).

Exit codes: 0 no violation window and no error; 1 at least one violation window; 2 no window but a
source that could not be read.`,
		Example: `  # the last quarter from LookupEvents in two regions
  sagefence evidence cloudtrail --from 2026-09-01 --to 2026-12-01 --region us-east-1 --region eu-west-1

  # a whole year from the organization trail's bucket, as CSV
  sagefence evidence cloudtrail --from 2026-01-01 --to 2027-01-01 --bucket s3://org-trail/logs --format csv -o changes.csv

  # log files copied to disk
  sagefence evidence cloudtrail --from 2026-01-01 --to 2026-04-01 --dir ./cloudtrail-logs --format json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error { return runEvidenceCloudTrail(cmd.Context(), io, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "", "period start (`DATE`: YYYY-MM-DD or RFC 3339), inclusive")
	f.StringVar(&o.to, "to", "", "period end (`DATE`), exclusive")
	f.StringArrayVar(&o.regions, "region", nil, "read this `REGION` (repeatable; LookupEvents default: the SDK's region; --bucket and --dir default: every region in the logs)")
	f.StringVar(&o.profile, "profile", "", "use this shared-config `PROFILE`")
	f.StringVar(&o.endpointURL, "endpoint-url", "", "send every AWS API call to this `URL`")
	f.StringArrayVar(&o.buckets, "bucket", nil, "read the trail's log files under `s3://BUCKET/PREFIX` (repeatable)")
	f.StringArrayVar(&o.dirs, "dir", nil, "read the log files (*.json.gz, *.json) under `DIR` (repeatable)")
	f.StringVarP(&o.format, "format", "f", "", "table, json or csv (default: table on a terminal, json otherwise)")
	f.StringVarP(&o.output, "output", "o", "", "write to `FILE`")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print source errors on standard error")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func runEvidenceCloudTrail(ctx context.Context, io *IO, o *cloudTrailOptions) error {
	from, err := parseDate("--from", o.from)
	if err != nil {
		return err
	}
	to, err := parseDate("--to", o.to)
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return usagef("--from %s is not before --to %s", o.from, o.to)
	}
	format := o.format
	if format == "" {
		format = "json"
		if io.OutTTY && o.output == "" {
			format = "table"
		}
	}
	if !slices.Contains(cloudtrail.Formats, format) {
		return usagef("--format %q: one of %s", format, strings.Join(cloudtrail.Formats, ", "))
	}
	for _, b := range o.buckets {
		if _, _, err := cloudtrail.ParseS3URI(b); err != nil {
			return usageError{err}
		}
	}
	c := &cloudtrail.Collector{From: from, To: to, Regions: o.regions}
	for _, d := range o.dirs {
		if err := c.ReadDir(d); err != nil {
			return usageError{err}
		}
	}
	if len(o.dirs) == 0 || len(o.buckets) > 0 {
		if err := readCloudTrailAWS(ctx, o, c); err != nil {
			return err
		}
	}
	h := c.History()
	write := func(f *os.File) error { return cloudtrail.Write(f, h, format) }
	if o.output == "" {
		err = cloudtrail.Write(io.Out, h, format)
	} else {
		err = writeFileAtomic(o.output, write)
	}
	if err != nil {
		return err
	}
	if !o.quiet {
		for _, e := range h.Errors {
			fmt.Fprintf(io.ErrOut, "sagefence: %s: %s\n", e.Source, e.Message)
		}
	}
	switch {
	case h.Summary.ViolationWindows > 0:
		return resultError{ExitFail}
	case len(h.Errors) > 0:
		return resultError{ExitError}
	}
	return nil
}

// readCloudTrailAWS reads --bucket, or LookupEvents when no --bucket and no
// --dir is given.
func readCloudTrailAWS(ctx context.Context, o *cloudTrailOptions, c *cloudtrail.Collector) error {
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Profile: o.profile, EndpointURL: o.endpointURL})
	if err != nil {
		return err
	}
	if len(o.buckets) > 0 {
		api := s3.NewFromConfig(cfg, func(s *s3.Options) {
			s.UsePathStyle = o.endpointURL != ""
			// Trail log objects carry no checksum: do not log one line per object.
			s.DisableLogOutputChecksumValidationSkipped = true
			if s.Region == "" {
				s.Region = "us-east-1"
			}
		})
		for _, b := range o.buckets {
			if err := c.ReadBucket(ctx, api, b, o.regions); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
		return nil
	}
	regions := o.regions
	if len(regions) == 0 {
		if cfg.Region == "" {
			return usagef("no region: give --region (repeatable) or set AWS_REGION")
		}
		regions = []string{cfg.Region}
	}
	id, err := sts.NewFromConfig(cfg, func(s *sts.Options) { s.Region = regions[0] }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("reading the caller's account (sts:GetCallerIdentity): %w", err)
	}
	for _, region := range regions {
		api := awsct.NewFromConfig(cfg, func(s *awsct.Options) { s.Region = region })
		if err := c.Lookup(ctx, api, sdkaws.ToString(id.Account), region); err != nil {
			return err
		}
	}
	return nil
}

// loadExportSources reads export's --cloudtrail histories and --witnesses
// results into eo; a file of another kind is a usage error naming it.
func loadExportSources(eo *evidence.ExportOptions, trails, witnessFiles []string) error {
	for _, path := range trails {
		raw, err := os.ReadFile(path)
		if err != nil {
			return usageError{fmt.Errorf("--cloudtrail: %w", err)}
		}
		var h cloudtrail.History
		if err := json.Unmarshal(raw, &h); err != nil || h.Kind != "sagefence-cloudtrail-history" {
			return usagef("--cloudtrail %s is not the JSON of 'sagefence evidence cloudtrail --format json'", path)
		}
		eo.CloudTrail = append(eo.CloudTrail, &h)
		eo.SourceNames = append(eo.SourceNames, "CloudTrail "+path)
	}
	for _, path := range witnessFiles {
		raw, err := os.ReadFile(path)
		if err != nil {
			return usageError{fmt.Errorf("--witnesses: %w", err)}
		}
		var res finding.Result
		if err := json.Unmarshal(raw, &res); err != nil || !strings.HasPrefix(res.FormatVersion, "1.") || res.Scope == nil || res.Scope.Command != "audit" {
			return usagef("--witnesses %s is not the JSON of 'sagefence audit --witnesses --format json'", path)
		}
		if _, err := time.Parse(time.RFC3339, res.Scope.Time); err != nil {
			return usagef("--witnesses %s: scope.time %q is not RFC 3339", path, res.Scope.Time)
		}
		eo.Witnesses = append(eo.Witnesses, &res)
		eo.SourceNames = append(eo.SourceNames, "witnesses "+path)
	}
	return nil
}
