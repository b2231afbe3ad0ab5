// Package awsconfig builds the one AWS SDK configuration every live command
// uses (`sagefence audit` through surface/aws, `sagefence remediate`), from
// the flags they share: --region, --profile and --endpoint-url.
//
// Contract:
//   - Load starts from the SDK's default chain (environment, shared config
//     and credentials files, SSO, web identity, container and instance
//     roles); Profile selects a shared-config profile, Region overrides the
//     chain's region (empty keeps it, which may be empty: callers that need
//     one check), EndpointURL sends every service's calls to one URL (an
//     emulator); when it is empty AWS_ENDPOINT_URL and
//     AWS_ENDPOINT_URL_<SERVICE> still work.
//   - Every client built from the configuration retries with the SDK's
//     adaptive retryer: client-side rate limiting after throttling, retries
//     of throttling, 5xx and connection errors. Retry tunes attempts and
//     backoff (tests use short backoffs instead of sleeping).
//   - APIOptions are added to every client's middleware stack; LoadOptions
//     are applied last and can override anything above.
//   - Errors name what failed ("loading AWS configuration: ...").
package awsconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
)

// Options say how to reach AWS.
type Options struct {
	// Region overrides the default chain's region (--region).
	Region string
	// Profile is the shared-config profile (--profile); empty means the default chain.
	Profile string
	// EndpointURL overrides the endpoint of every service (--endpoint-url).
	EndpointURL string
	// Retry tunes the adaptive retryer; zero values keep the SDK defaults.
	Retry RetryOptions
	// APIOptions are added to every client's middleware stack.
	APIOptions []func(*middleware.Stack) error
	// LoadOptions are extra SDK load options, applied last.
	LoadOptions []func(*config.LoadOptions) error
}

// RetryOptions tune the adaptive retryer.
type RetryOptions struct {
	// MaxAttempts is the number of attempts per call, the first included (> 0 to set).
	MaxAttempts int
	// MaxBackoff caps the exponential backoff between attempts (> 0 to set).
	MaxBackoff time.Duration
}

// Load loads the SDK configuration with the options applied.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(o.Retry) }),
	}
	if o.Region != "" {
		load = append(load, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(o.Profile))
	}
	if o.EndpointURL != "" {
		load = append(load, config.WithBaseEndpoint(o.EndpointURL))
	}
	if len(o.APIOptions) > 0 {
		load = append(load, config.WithAPIOptions(o.APIOptions))
	}
	load = append(load, o.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewRetryer is the SDK's adaptive retryer tuned by o.
func NewRetryer(o RetryOptions) aws.Retryer {
	return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
		ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
			if o.MaxAttempts > 0 {
				so.MaxAttempts = o.MaxAttempts
			}
			if o.MaxBackoff > 0 {
				so.MaxBackoff = o.MaxBackoff
				so.Backoff = retry.NewExponentialJitterBackoff(o.MaxBackoff)
			}
		})
	})
}
