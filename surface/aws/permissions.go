package aws

import (
	"encoding/json"
	"sort"
)

// RequiredActions are the IAM actions an audit calls: exactly the API
// operations the code uses (a test records the operations of a fully seeded
// audit and compares). docs/audit.md prints PolicyJSON.
//
// sts:GetCallerIdentity is always allowed by AWS; it is listed because the
// audit calls it (to learn the caller's account and to check assumed roles).
var RequiredActions = []string{
	"ec2:DescribeNatGateways",
	"ec2:DescribeRegions",
	"ec2:DescribeRouteTables",
	"ec2:DescribeSecurityGroups",
	"ec2:DescribeSubnets",
	"ec2:DescribeVpcEndpoints",
	"organizations:ListAccounts",
	"sagemaker:DescribeDomain",
	"sagemaker:DescribeNotebookInstance",
	"sagemaker:DescribeNotebookInstanceLifecycleConfig",
	"sagemaker:ListDomains",
	"sagemaker:ListNotebookInstances",
	"sts:AssumeRole",
	"sts:GetCallerIdentity",
}

// WitnessActions are the IAM actions `audit --witnesses` adds (package
// witness; its test records the operations it calls and compares):
// AWS Config rules and results, the aggregator form only with
// --config-aggregator, and Security Hub findings.
var WitnessActions = []string{
	"config:DescribeConfigRules",
	"config:GetAggregateComplianceDetailsByConfigRule",
	"config:GetComplianceDetailsByConfigRule",
	"securityhub:GetFindings",
	"securityhub:ListStandardsControlAssociations",
}

// CloudTrailActions are the IAM actions `evidence cloudtrail` needs:
// LookupEvents (and the caller's account), or the trail bucket's listing and
// objects (s3:ListBucket is the action of ListObjectsV2). The
// evidence/cloudtrail test records the operations it calls and compares.
var CloudTrailActions = []string{
	"cloudtrail:LookupEvents",
	"s3:GetObject",
	"s3:ListBucket",
	"sts:GetCallerIdentity",
}

// PolicyJSON is the minimal identity-based IAM policy for `sagefence audit`,
// indented, with the actions sorted: one statement for the audit itself, one
// for --witnesses and one for `evidence cloudtrail`. organizations:ListAccounts is needed only with
// --org, sts:AssumeRole only with --role-arn or --org.
func PolicyJSON() string {
	type statement struct {
		Sid      string
		Effect   string
		Action   []string
		Resource string
	}
	allow := func(sid string, actions []string) statement {
		sorted := append([]string(nil), actions...)
		sort.Strings(sorted)
		return statement{Sid: sid, Effect: "Allow", Action: sorted, Resource: "*"}
	}
	policy := struct {
		Version   string
		Statement []statement
	}{"2012-10-17", []statement{allow("SagefenceAuditReadOnly", RequiredActions), allow("SagefenceAuditWitnesses", WitnessActions),
		allow("SagefenceEvidenceCloudTrail", CloudTrailActions)}}
	out, err := json.MarshalIndent(policy, "", "  ")
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return string(out)
}
