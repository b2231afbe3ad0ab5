package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		body, service, operation string
		want                     string // "" acceptable, else a fragment of the reason
	}{
		{`{"NotebookInstances":[]}`, "SageMaker", "ListNotebookInstances", ""},
		{`{}`, "SageMaker", "ListNotebookInstances", "without its NotebookInstances list"},
		{`{"NextToken":"x"}`, "SageMaker", "ListDomains", "without its Domains list"},
		{`{}`, "SageMaker", "DescribeNotebookInstance", ""}, // well-formed: the caller checks the content
		{``, "SageMaker", "DescribeNotebookInstance", "empty body"},
		{"  \n", "SageMaker", "ListDomains", "empty body"},
		{``, "SageMaker", "StopNotebookInstance", ""},
		{`<!DOCTYPE html><html><body>Sign in</body></html>`, "SageMaker", "ListDomains", "HTML"},
		{`<html><head></head><body>x</body></html>`, "EC2", "DescribeRegions", "HTML"},
		{`{"NotebookInstances":[{"NotebookInstanceName":"a"`, "SageMaker", "ListNotebookInstances", "truncated or malformed JSON"},
		{`[1,2]`, "SageMaker", "ListNotebookInstances", "not a JSON object"},
		{`<DescribeRegionsResponse><regionInfo><item><regionName>us-east-1</regionName></item></regionInfo></DescribeRegionsResponse>`, "EC2", "DescribeRegions", ""},
		{`<DescribeRegionsResponse><regionInfo><item><regionName>us-east-1</regionName>`, "EC2", "DescribeRegions", "truncated"},
		{`<DescribeSubnetsResponse></DescribeSubnetsResponse>`, "EC2", "DescribeRegions", "root is <DescribeSubnetsResponse>"},
		{`{}`, "EC2", "DescribeRegions", "not XML"},
		{``, "EC2", "DescribeRegions", "empty body"},
		{`<html><body>an S3 object may be anything</body></html>`, "S3", "GetObject", ""},
		{`<GetCallerIdentityResponse><GetCallerIdentityResult><Account>1</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`, "STS", "GetCallerIdentity", ""},
	} {
		got := malformed([]byte(c.body), c.service, c.operation)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("malformed(%q, %s %s) = %q, want %q", c.body, c.service, c.operation, got, c.want)
		}
	}
}

// TestLoadedClientsRejectBadAnswers: clients built by Load turn an HTML 200
// into a MalformedResponseError naming the call, and an endpoint that never
// answers into a timeout error within the attempts' timeouts.
func TestLoadedClientsRejectBadAnswers(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	hang := make(chan struct{})
	var attempts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts++
		if r.URL.Path == "/hang" {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>proxy login</body></html>")
	}))
	defer srv.Close()
	defer close(hang) // before Close, which waits for the held handlers
	load := func(endpoint string) *sts.Client {
		cfg, err := Load(context.Background(), Options{Region: "us-east-1", EndpointURL: endpoint,
			RequestTimeout: 200 * time.Millisecond, Retry: RetryOptions{MaxAttempts: 2, MaxBackoff: time.Millisecond},
			LoadOptions: []func(*config.LoadOptions) error{config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("a", "b", ""))}})
		if err != nil {
			t.Fatal(err)
		}
		return sts.NewFromConfig(cfg)
	}

	_, err := load(srv.URL).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	var mr *MalformedResponseError
	var api smithy.APIError
	if !errors.As(err, &mr) || mr.Operation != "GetCallerIdentity" || !strings.Contains(err.Error(), "HTML") ||
		!errors.As(err, &api) || api.ErrorCode() != "MalformedResponse" {
		t.Fatalf("HTML answer: %v, want a MalformedResponseError for GetCallerIdentity", err)
	}
	if attempts != 2 {
		t.Errorf("%d attempts for a malformed answer, want 2 (retried)", attempts)
	}

	start := time.Now()
	_, err = load(srv.URL+"/hang").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	var netErr net.Error
	if err == nil || !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("silent endpoint: %v, want a timeout error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("silent endpoint took %s with a 200ms request timeout", d)
	}
}
