package awsconfig

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

func TestLoad(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "eu-west-1")
	cases := []struct {
		name         string
		opts         Options
		region, base string
		attempts     int
	}{
		{"defaults", Options{}, "eu-west-1", "", retry.DefaultMaxAttempts},
		{"flags", Options{Region: "us-east-1", EndpointURL: "http://127.0.0.1:5000", Retry: RetryOptions{MaxAttempts: 1}}, "us-east-1", "http://127.0.0.1:5000", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(context.Background(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != c.region || aws.ToString(cfg.BaseEndpoint) != c.base {
				t.Errorf("region %q endpoint %q, want %q %q", cfg.Region, aws.ToString(cfg.BaseEndpoint), c.region, c.base)
			}
			r := cfg.Retryer()
			if _, adaptive := r.(*retry.AdaptiveMode); !adaptive || r.MaxAttempts() != c.attempts {
				t.Errorf("retryer %T with %d attempts, want adaptive with %d", r, r.MaxAttempts(), c.attempts)
			}
		})
	}
	if _, err := Load(context.Background(), Options{Profile: "no-such-profile"}); err == nil {
		t.Error("a missing profile loaded")
	}
}
