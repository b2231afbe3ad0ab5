// Package securityhub sends sagefence findings to AWS Security Hub in the
// AWS Security Finding Format (report.ASFF builds them).
//
// Contract:
//   - Import calls BatchImportFindings in batches of at most 100 findings
//     (the API's limit) against one client, i.e. one account and region.
//     Every batch is sent even when an earlier one had rejections; the
//     Summary counts what was imported and lists each rejected finding with
//     Security Hub's error code and message, and the returned error (a
//     *RejectedError, or the API error of a failed call) says so.
//   - ImportByRegion groups findings by their Region (Security Hub accepts
//     a finding only in the region of its ProductArn) and imports each group
//     through the client clientFor returns for that region.
//   - ImportResultByAccount also groups by AwsAccountId: a finding is
//     accepted only in the account of its ProductArn, so each account's
//     findings go through clients holding that account's credentials.
//   - Ids are stable (report.ASFF), so importing the same scan again updates
//     the findings in place rather than duplicating them.
//
// `sagefence audit --security-hub` calls ImportResultByAccount with the SDK
// configuration the audit used for each account (internal/cli/audit.go),
// reports the summary on standard error, and treats a rejected finding as
// an input error (exit 2 when nothing failed).
package securityhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssh "github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/report"
)

// BatchSize is BatchImportFindings' limit of findings per call.
const BatchSize = 100

// API is the part of the Security Hub client Import uses.
type API interface {
	BatchImportFindings(ctx context.Context, in *awssh.BatchImportFindingsInput, optFns ...func(*awssh.Options)) (*awssh.BatchImportFindingsOutput, error)
}

// Rejection is a finding Security Hub refused.
type Rejection struct {
	ID      string
	Code    string
	Message string
}

// Summary is the outcome of an import.
type Summary struct {
	Imported int
	Batches  int
	Rejected []Rejection
}

// RejectedError reports findings that Security Hub refused.
type RejectedError struct{ Rejected []Rejection }

func (e *RejectedError) Error() string {
	r := e.Rejected[0]
	return fmt.Sprintf("Security Hub rejected %d finding(s); first: %s: %s: %s", len(e.Rejected), r.ID, r.Code, r.Message)
}

// FromResult converts a result into Security Hub's SDK types through the
// ASFF JSON form, so the file format and the import never diverge.
func FromResult(res *finding.Result, a report.ASFF) ([]types.AwsSecurityFinding, error) {
	raw, err := json.Marshal(a.Findings(res))
	if err != nil {
		return nil, fmt.Errorf("encoding ASFF: %w", err)
	}
	var out []types.AwsSecurityFinding
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("converting ASFF to Security Hub findings: %w", err)
	}
	return out, nil
}

// ImportResult converts a result (FromResult) and imports it region by
// region (ImportByRegion): the one call `audit --security-hub` needs.
func ImportResult(ctx context.Context, res *finding.Result, a report.ASFF, clientFor func(region string) (API, error)) (Summary, error) {
	fs, err := FromResult(res, a)
	if err != nil {
		return Summary{}, err
	}
	return ImportByRegion(ctx, clientFor, fs)
}

// ImportResultByAccount converts a result and imports each account's
// findings region by region through the clients clientFor returns for that
// account; accounts are imported in sorted order.
func ImportResultByAccount(ctx context.Context, res *finding.Result, a report.ASFF, clientFor func(account, region string) (API, error)) (Summary, error) {
	fs, err := FromResult(res, a)
	if err != nil {
		return Summary{}, err
	}
	byAccount := groupBy(fs, func(f types.AwsSecurityFinding) string { return aws.ToString(f.AwsAccountId) })
	var total Summary
	var errs []error
	for _, account := range sortedKeys(byAccount) {
		sum, err := ImportByRegion(ctx, func(region string) (API, error) { return clientFor(account, region) }, byAccount[account])
		total.add(sum)
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", account, err))
		}
	}
	return total, errors.Join(errs...)
}

// Import sends findings to one Security Hub (one account and region).
func Import(ctx context.Context, client API, findings []types.AwsSecurityFinding) (Summary, error) {
	var sum Summary
	var callErrs []error
	for start := 0; start < len(findings); start += BatchSize {
		end := min(start+BatchSize, len(findings))
		out, err := client.BatchImportFindings(ctx, &awssh.BatchImportFindingsInput{Findings: findings[start:end]})
		sum.Batches++
		if err != nil {
			callErrs = append(callErrs, fmt.Errorf("BatchImportFindings (findings %d-%d): %w", start+1, end, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		sum.Imported += int(aws.ToInt32(out.SuccessCount))
		for _, f := range out.FailedFindings {
			sum.Rejected = append(sum.Rejected, Rejection{ID: aws.ToString(f.Id), Code: aws.ToString(f.ErrorCode), Message: aws.ToString(f.ErrorMessage)})
		}
	}
	if len(sum.Rejected) > 0 {
		callErrs = append(callErrs, &RejectedError{Rejected: sum.Rejected})
	}
	return sum, errors.Join(callErrs...)
}

// ImportByRegion imports each region's findings through its own client.
func ImportByRegion(ctx context.Context, clientFor func(region string) (API, error), findings []types.AwsSecurityFinding) (Summary, error) {
	byRegion := groupBy(findings, func(f types.AwsSecurityFinding) string { return aws.ToString(f.Region) })
	var total Summary
	var errs []error
	for _, region := range sortedKeys(byRegion) {
		client, err := clientFor(region)
		if err != nil {
			errs = append(errs, fmt.Errorf("Security Hub client for %s: %w", region, err))
			continue
		}
		sum, err := Import(ctx, client, byRegion[region])
		total.add(sum)
		if err != nil {
			errs = append(errs, fmt.Errorf("region %s: %w", region, err))
		}
	}
	return total, errors.Join(errs...)
}

// add accumulates another import's counts and rejections.
func (s *Summary) add(o Summary) {
	s.Imported += o.Imported
	s.Batches += o.Batches
	s.Rejected = append(s.Rejected, o.Rejected...)
}

// groupBy splits findings by a key, keeping their order within a group.
func groupBy(fs []types.AwsSecurityFinding, key func(types.AwsSecurityFinding) string) map[string][]types.AwsSecurityFinding {
	groups := map[string][]types.AwsSecurityFinding{}
	for _, f := range fs {
		groups[key(f)] = append(groups[key(f)], f)
	}
	return groups
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
