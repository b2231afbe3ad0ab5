package witness

import (
	"context"
	"fmt"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// SecurityHubAPI is the part of the Security Hub client witnesses use.
type SecurityHubAPI interface {
	GetFindings(context.Context, *securityhub.GetFindingsInput, ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
	ListStandardsControlAssociations(context.Context, *securityhub.ListStandardsControlAssociationsInput, ...func(*securityhub.Options)) (*securityhub.ListStandardsControlAssociationsOutput, error)
}

// hubFilters select one control's findings of one scope's resources. They
// are sent, and checked again on every answer (matchesHub): an endpoint may
// ignore them.
func hubFilters(s scope, b Binding) *shtypes.AwsSecurityFindingFilters {
	eq := func(v string) []shtypes.StringFilter {
		return []shtypes.StringFilter{{Value: sdkaws.String(v), Comparison: shtypes.StringFilterComparisonEquals}}
	}
	return &shtypes.AwsSecurityFindingFilters{
		ComplianceSecurityControlId: eq(b.SecurityHubControl),
		AwsAccountId:                eq(s.account),
		Region:                      eq(s.region),
		ResourceType:                eq(b.SecurityHubType),
	}
}

// readHubControl reads every finding of one control in the scope and keeps,
// per resource ARN, the newest ACTIVE finding (an ARCHIVED one only when no
// ACTIVE one exists). Security Hub not enabled there (InvalidAccessException)
// is notEnabled, not an error.
func readHubControl(ctx context.Context, api SecurityHubAPI, s scope, b Binding) *hubControl {
	hc := &hubControl{byResource: map[string]hubFinding{}}
	var token *string
	for page := 0; ; page++ {
		if page == maxPages {
			hc.err = fmt.Errorf("GetFindings: more than %d pages", maxPages)
			return hc
		}
		out, err := api.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: hubFilters(s, b), MaxResults: sdkaws.Int32(100), NextToken: token})
		if err != nil {
			if errorCode(err) == "InvalidAccessException" {
				hc.notEnabled = true
				return hc
			}
			hc.err = err
			return hc
		}
		for _, f := range out.Findings {
			if !matchesHub(f, s, b) {
				continue
			}
			cand := hubFinding{workflow: "", record: string(f.RecordState), updated: hubTime(f)}
			if f.Compliance != nil {
				cand.compliance = string(f.Compliance.Status)
			}
			if cand.compliance == "" {
				cand.compliance = "NOT_AVAILABLE"
			}
			if f.Workflow != nil {
				cand.workflow = string(f.Workflow.Status)
			}
			for _, r := range f.Resources {
				if sdkaws.ToString(r.Type) != b.SecurityHubType {
					continue
				}
				id := strings.ToLower(sdkaws.ToString(r.Id))
				if prev, ok := hc.byResource[id]; !ok || better(cand, prev) {
					hc.byResource[id] = cand
				}
			}
		}
		token = out.NextToken
		if sdkaws.ToString(token) == "" {
			hc.enabled, hc.enabledErr = controlEnabled(ctx, api, b.SecurityHubControl)
			return hc
		}
	}
}

// controlEnabled reports whether the control is enabled in at least one
// enabled standard (ListStandardsControlAssociations): a control disabled
// everywhere, or no standard enabled, explains a missing finding as an
// evidence gap rather than a resource the control does not know.
func controlEnabled(ctx context.Context, api SecurityHubAPI, id string) (bool, error) {
	var token *string
	for page := 0; page < maxPages; page++ {
		out, err := api.ListStandardsControlAssociations(ctx, &securityhub.ListStandardsControlAssociationsInput{
			SecurityControlId: sdkaws.String(id), NextToken: token})
		if err != nil {
			return false, err
		}
		for _, a := range out.StandardsControlAssociationSummaries {
			if sdkaws.ToString(a.SecurityControlId) == id && a.AssociationStatus == shtypes.AssociationStatusEnabled {
				return true, nil
			}
		}
		token = out.NextToken
		if sdkaws.ToString(token) == "" {
			return false, nil
		}
	}
	return false, fmt.Errorf("ListStandardsControlAssociations: more than %d pages", maxPages)
}

// matchesHub checks the filters on one finding: Security Hub's own product
// (ProductArn …::product/aws/securityhub, so that findings other products
// import, sagefence's --security-hub included, never witness), the control
// (by Compliance.SecurityControlId, or a GeneratorId of either form ending
// in "/<control>"), the account and the region.
func matchesHub(f shtypes.AwsSecurityFinding, s scope, b Binding) bool {
	if !strings.HasSuffix(sdkaws.ToString(f.ProductArn), "::product/aws/securityhub") {
		return false
	}
	control := ""
	if f.Compliance != nil {
		control = sdkaws.ToString(f.Compliance.SecurityControlId)
	}
	if control == "" {
		gen := sdkaws.ToString(f.GeneratorId)
		if strings.HasPrefix(gen, "security-control/") || strings.HasPrefix(gen, "aws-foundational-security-best-practices/") {
			control = gen[strings.LastIndex(gen, "/")+1:]
		}
	}
	if control != b.SecurityHubControl || sdkaws.ToString(f.AwsAccountId) != s.account {
		return false
	}
	return f.Region == nil || *f.Region == s.region
}

// better: ACTIVE beats ARCHIVED, then the newer finding wins.
func better(a, b hubFinding) bool {
	if (a.record == "ARCHIVED") != (b.record == "ARCHIVED") {
		return b.record == "ARCHIVED"
	}
	return a.updated.After(b.updated)
}

// hubTime is when the control last looked at the resource: LastObservedAt,
// else UpdatedAt (ISO 8601 strings).
func hubTime(f shtypes.AwsSecurityFinding) time.Time {
	for _, s := range []*string{f.LastObservedAt, f.UpdatedAt} {
		if t, err := time.Parse(time.RFC3339Nano, sdkaws.ToString(s)); err == nil {
			return t
		}
	}
	return time.Time{}
}
