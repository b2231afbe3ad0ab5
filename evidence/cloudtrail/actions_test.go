package cloudtrail

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/sagefence/sagefence/internal/testutil"
	awssurface "github.com/sagefence/sagefence/surface/aws"
)

// TestCloudTrailActionsAreTheCallsMade: the operations Lookup and ReadBucket
// call, as IAM actions, plus sts:GetCallerIdentity (the command's look-up of
// the caller's account for LookupEvents), are exactly
// surface/aws.CloudTrailActions, the statement the documented policy shows.
func TestCloudTrailActionsAreTheCallsMade(t *testing.T) {
	iam := map[string]string{"CloudTrail:LookupEvents": "cloudtrail:LookupEvents", "S3:ListObjectsV2": "s3:ListBucket", "S3:GetObject": "s3:GetObject"}
	var mu sync.Mutex
	seen := map[string]bool{"sts:GetCallerIdentity": true}
	record := func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op := awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx)
				mu.Lock()
				if a, ok := iam[op]; ok {
					seen[a] = true
				} else {
					seen["unmapped "+op] = true
				}
				mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
	moto := testutil.StartMoto(t)
	ctx := context.Background()
	s3api := s3.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(moto.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	key := logKeyFor("", "", "us-east-1", at(1, 0), "X")
	if _, err := s3api.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("trail-bucket"), Key: sdkaws.String(key),
		Body: bytes.NewReader(logFile(t, otherRecord("x", at(1, 0))))}); err != nil {
		t.Fatal(err)
	}
	recorded := s3.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(moto.URL), APIOptions: []func(*middleware.Stack) error{record},
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}, func(o *s3.Options) { o.UsePathStyle = true })
	c := &Collector{From: at(0, 0), To: at(2, 0), LookupInterval: -1}
	if err := c.ReadBucket(ctx, recorded, "s3://trail-bucket", nil); err != nil {
		t.Fatal(err)
	}
	fake := startLookupFake(t)
	ct := cloudtrail.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(fake.url), APIOptions: []func(*middleware.Stack) error{record},
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	c.Now = at(3, 0)
	if err := c.Lookup(ctx, ct, acct, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for a := range seen {
		got = append(got, a)
	}
	sort.Strings(got)
	want := append([]string(nil), awssurface.CloudTrailActions...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("calls %v, surface/aws.CloudTrailActions %v", got, want)
	}
}
