// Command sagefence-config-rule is the AWS Lambda function (custom runtime
// provided.al2023, binary name bootstrap, arm64 or x86_64) behind
// sagefence's AWS Config custom rules: each rule names one control in its
// input parameter {"sagefence_control": "<control ID>"}; see package
// configrule and docs/aws-config.md.
//
// Build: GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./cmd/sagefence-config-rule
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sagefence/sagefence/configrule"
)

func main() {
	h, err := configrule.FromEnvironment(context.Background(), os.Getenv("AWS_REGION"))
	if err != nil {
		log.Fatalf("sagefence-config-rule: %v", err)
	}
	lambda.Start(h.Handle)
}
