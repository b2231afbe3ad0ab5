package cli

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/configservice"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/spf13/cobra"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/awsconfig"
	awssurface "github.com/sagefence/sagefence/surface/aws"
	"github.com/sagefence/sagefence/witness"
)

// WitnessOptions are audit's --witnesses flags.
type WitnessOptions struct {
	// Enabled reads AWS Config and Security Hub for every audited resource.
	Enabled bool
	// Aggregator reads Config compliance through this aggregator (in the
	// caller's account, AggregatorRegion) instead of each account.
	Aggregator       string
	AggregatorRegion string
}

func (o *WitnessOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.Enabled, "witnesses", false, "add what AWS Config and Security Hub say about each notebook and domain to its findings (docs/audit.md#witnesses)")
	f.StringVar(&o.Aggregator, "config-aggregator", "", "with --witnesses, read AWS Config results through this aggregator `NAME` of the caller's account")
	f.StringVar(&o.AggregatorRegion, "config-aggregator-region", "", "the aggregator's `REGION` (default: the SDK's region)")
}

func (o *WitnessOptions) validate() error {
	if !o.Enabled && (o.Aggregator != "" || o.AggregatorRegion != "") {
		return usagef("--config-aggregator and --config-aggregator-region need --witnesses")
	}
	if o.AggregatorRegion != "" && o.Aggregator == "" {
		return usagef("--config-aggregator-region needs --config-aggregator")
	}
	return nil
}

// attachWitnesses adds the witnesses to res's findings with the SDK
// configuration the audit used for each account; the aggregator is read with
// the caller's own credentials.
func attachWitnesses(ctx context.Context, o WitnessOptions, so awssurface.Options, live *awssurface.Result, res *finding.Result) error {
	wo := witness.Options{
		Parallelism: so.Parallelism,
		Clients: func(account, region string) (witness.Clients, error) {
			cfg, ok := live.Configs[account]
			if !ok {
				return witness.Clients{}, fmt.Errorf("the audit had no credentials for account %s", account)
			}
			return witness.Clients{
				Config:      configservice.NewFromConfig(cfg, func(c *configservice.Options) { c.Region = region }),
				SecurityHub: awssh.NewFromConfig(cfg, func(c *awssh.Options) { c.Region = region }),
			}, nil
		},
	}
	if o.Aggregator != "" {
		base, err := awsconfig.Load(ctx, awsconfig.Options{Profile: so.Profile, EndpointURL: so.EndpointURL, Retry: so.Retry,
			APIOptions: so.APIOptions, LoadOptions: so.ConfigOptions})
		if err != nil {
			return err
		}
		region := o.AggregatorRegion
		if region == "" {
			region = base.Region
		}
		if region == "" {
			return usagef("--config-aggregator: no region: set --config-aggregator-region or AWS_REGION")
		}
		wo.Aggregator = &witness.Aggregator{Name: o.Aggregator,
			API: configservice.NewFromConfig(base, func(c *configservice.Options) { c.Region = region })}
	}
	return witness.Attach(ctx, res, wo)
}
