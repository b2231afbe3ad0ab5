package cloudtrail

import (
	"bytes"
	"context"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagefence/sagefence/internal/testutil"
)

// TestReadBucket reads scenario() from moto's S3 under a prefix, with an
// account trail and an organization trail (AWSLogs/o-…/) side by side.
func TestReadBucket(t *testing.T) {
	moto := testutil.StartMoto(t)
	api := s3.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	for key, data := range scenario(t, "audit/") {
		if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("trail-logs"), Key: sdkaws.String(key), Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
	}
	// A digest file and an object outside the layout are not log files.
	for _, key := range []string{"audit/AWSLogs/" + acct + "/CloudTrail-Digest/us-east-1/2026/10/02/x.json.gz", "audit/AWSLogs/readme.txt"} {
		if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("trail-logs"), Key: sdkaws.String(key), Body: strings.NewReader("not a log")}); err != nil {
			t.Fatal(err)
		}
	}
	c := &Collector{From: at(0, 0), To: at(14, 0)}
	if err := c.ReadBucket(ctx, api, "s3://trail-logs/audit", nil); err != nil {
		t.Fatal(err)
	}
	checkScenario(t, c.History())

	c = &Collector{From: at(0, 0), To: at(14, 0)}
	if err := c.ReadBucket(ctx, api, "s3://trail-logs/audit", []string{"eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if h := c.History(); len(h.Resources) != 0 {
		t.Errorf("--region eu-west-1 read us-east-1's logs: %+v", h.Resources)
	}
	c = &Collector{From: at(0, 0), To: at(14, 0)}
	if err := c.ReadBucket(ctx, api, "s3://trail-logs/elsewhere", nil); err == nil || !strings.Contains(err.Error(), "no AWSLogs") {
		t.Errorf("a prefix without logs: %v", err)
	}
}

func TestParseS3URI(t *testing.T) {
	for in, want := range map[string]string{
		"s3://b":            "b|",
		"s3://b/":           "b|",
		"s3://b/p":          "b|p/",
		"s3://b/p/q/":       "b|p/q/",
		"s3://b/p/AWSLogs/": "b|p/",
		"s3://b/AWSLogs":    "b|",
	} {
		b, p, err := ParseS3URI(in)
		if err != nil || b+"|"+p != want {
			t.Errorf("ParseS3URI(%q) = %q %q %v, want %q", in, b, p, err, want)
		}
	}
	for _, bad := range []string{"b/p", "s3://", "https://b"} {
		if _, _, err := ParseS3URI(bad); err == nil {
			t.Errorf("ParseS3URI(%q) accepted", bad)
		}
	}
}
