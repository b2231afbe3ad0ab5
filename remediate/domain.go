package remediate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// App is a Studio app that blocks the network change.
type App struct {
	AppType     string `json:"AppType"`
	AppName     string `json:"AppName"`
	UserProfile string `json:"UserProfileName,omitempty"`
	Space       string `json:"SpaceName,omitempty"`
	Status      string `json:"Status"`
}

func (a App) String() string {
	owner := a.UserProfile
	if owner == "" && a.Space != "" {
		owner = "space " + a.Space
	}
	return fmt.Sprintf("%s %s (%s) %s", a.AppType, a.AppName, owner, a.Status)
}

// DomainPlan is the remediation of one Studio domain: UpdateDomain to VpcOnly.
type DomainPlan struct {
	Region               string   `json:"region"`
	DomainID             string   `json:"domain_id"`
	DomainName           string   `json:"domain_name"`
	Status               string   `json:"status"`
	AppNetworkAccessType string   `json:"app_network_access_type"`
	VpcID                string   `json:"vpc_id,omitempty"`
	SubnetIDs            []string `json:"subnet_ids"`
	// BlockingApps are the apps InService, Pending or Deleting.
	BlockingApps []App  `json:"blocking_apps"`
	Refusal      string `json:"refusal,omitempty"`
}

// blockingAppStatuses: UpdateDomain cannot change AppNetworkAccessType while
// any app is in one of them.
var blockingAppStatuses = map[types.AppStatus]bool{
	types.AppStatusInService: true, types.AppStatusPending: true, types.AppStatusDeleting: true,
}

// PlanDomains returns one plan per domain that is not VpcOnly (only the
// given IDs when ids is not empty; a given domain that is VpcOnly is in skipped).
func (p *Planner) PlanDomains(ctx context.Context, ids []string) (plans []*DomainPlan, skipped []string, err error) {
	if len(ids) == 0 {
		pager := sagemaker.NewListDomainsPaginator(p.SageMaker, &sagemaker.ListDomainsInput{MaxResults: aws.Int32(100)})
		for pager.HasMorePages() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, nil, fmt.Errorf("listing domains in %s: %w", p.Region, err)
			}
			for _, d := range page.Domains {
				ids = append(ids, aws.ToString(d.DomainId))
			}
		}
		sort.Strings(ids)
	}
	for _, id := range ids {
		d, err := p.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(id)})
		if err != nil {
			return nil, nil, fmt.Errorf("describing domain %s: %w", id, err)
		}
		plan := &DomainPlan{
			Region: p.Region, DomainID: id, DomainName: aws.ToString(d.DomainName), Status: string(d.Status),
			AppNetworkAccessType: string(d.AppNetworkAccessType), VpcID: aws.ToString(d.VpcId),
			SubnetIDs: nonNil(d.SubnetIds), BlockingApps: []App{},
		}
		if plan.AppNetworkAccessType == "" {
			plan.AppNetworkAccessType = string(types.AppNetworkAccessTypePublicInternetOnly) // the API default
		}
		if plan.AppNetworkAccessType == string(types.AppNetworkAccessTypeVpcOnly) {
			skipped = append(skipped, id)
			continue
		}
		switch {
		case plan.VpcID == "" || len(plan.SubnetIDs) == 0:
			plan.Refusal = fmt.Sprintf("domain %s has no VPC or subnets: VpcOnly needs them (set them with UpdateDomain first)", id)
		case d.Status != types.DomainStatusInService:
			plan.Refusal = fmt.Sprintf("domain %s is %s; UpdateDomain needs it InService", id, d.Status)
		default:
			apps, err := p.blockingApps(ctx, id)
			if err != nil {
				plan.Refusal = fmt.Sprintf("cannot tell whether apps are running in domain %s (%v); refusing to update it", id, err)
				break
			}
			plan.BlockingApps = apps
			if len(apps) > 0 {
				names := make([]string, len(apps))
				for i, a := range apps {
					names[i] = a.String()
				}
				plan.Refusal = fmt.Sprintf("domain %s has %d app(s) that must be deleted first (AppNetworkAccessType can only change "+
					"with no app InService, Pending or Deleting): %s", id, len(apps), strings.Join(names, "; "))
			}
		}
		plans = append(plans, plan)
	}
	return plans, skipped, nil
}

func (p *Planner) blockingApps(ctx context.Context, domainID string) ([]App, error) {
	var apps []App
	pager := sagemaker.NewListAppsPaginator(p.SageMaker, &sagemaker.ListAppsInput{DomainIdEquals: aws.String(domainID), MaxResults: aws.Int32(100)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing apps: %w", err)
		}
		for _, a := range page.Apps {
			if blockingAppStatuses[a.Status] {
				apps = append(apps, App{
					AppType: string(a.AppType), AppName: aws.ToString(a.AppName),
					UserProfile: aws.ToString(a.UserProfileName), Space: aws.ToString(a.SpaceName), Status: string(a.Status),
				})
			}
		}
	}
	return apps, nil
}

// UpdateDomainInput is the call ApplyDomain makes.
func (d *DomainPlan) UpdateDomainInput() *sagemaker.UpdateDomainInput {
	return &sagemaker.UpdateDomainInput{DomainId: aws.String(d.DomainID), AppNetworkAccessType: types.AppNetworkAccessTypeVpcOnly}
}

// ApplyDomain updates the domain to VpcOnly, unless the plan is a refusal.
// An error from UpdateDomain (including an emulator's "not implemented") is
// returned as an error.
func (r *Runner) ApplyDomain(ctx context.Context, d *DomainPlan) error {
	if d.Refusal != "" {
		return fmt.Errorf("refusing domain %s: %s", d.DomainID, d.Refusal)
	}
	if _, err := r.SageMaker.UpdateDomain(ctx, d.UpdateDomainInput()); err != nil {
		return fmt.Errorf("updating domain %s to VpcOnly: %w", d.DomainID, err)
	}
	r.logf("domain %s: UpdateDomain AppNetworkAccessType=VpcOnly requested", d.DomainID)
	return nil
}
