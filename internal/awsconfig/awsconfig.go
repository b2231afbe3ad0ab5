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
//   - Every attempt of every call ends within RequestTimeout (default
//     DefaultRequestTimeout), connection, answer and body included: an
//     endpoint that accepts and never answers is a timeout error, which the
//     retryer retries like any connection error, never a hang.
//   - Every 2xx answer's body is checked before the SDK decodes it
//     (ValidateResponses): an HTML page, a truncated or malformed body, or an
//     empty body for a read call is a MalformedResponseError naming the call,
//     never an empty answer.
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
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
	// RequestTimeout bounds each attempt of each call; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
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

// DefaultRequestTimeout bounds one attempt of one AWS call when
// Options.RequestTimeout is 0. SageMaker, EC2 and STS answer in well under a
// second; the bound is only there so that a silent endpoint cannot hang a run.
const DefaultRequestTimeout = 30 * time.Second

// Load loads the SDK configuration with the options applied.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	timeout := o.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	load := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(o.Retry) }),
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(timeout)),
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
	apiOptions := append([]func(*middleware.Stack) error{ValidateResponses}, o.APIOptions...)
	load = append(load, config.WithAPIOptions(apiOptions))
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
