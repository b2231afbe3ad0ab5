package aws

import (
	"context"
	"errors"
	"fmt"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// target is one account to audit with the configuration that reaches it.
// err is set when the account is known but cannot be reached.
type target struct {
	account string
	cfg     sdkaws.Config
	err     error
}

// resolveTargets turns the options into the accounts to audit. A failure to
// identify the caller or to list the organization is returned as a failed
// target (reported as an account gap), not as an error: the audit still
// reports what it could not see.
func (a *auditor) resolveTargets(ctx context.Context) ([]target, error) {
	if a.opts.RoleARN != "" {
		parsed, err := arn.Parse(a.opts.RoleARN)
		if err != nil {
			return nil, fmt.Errorf("--role-arn %q: %w", a.opts.RoleARN, err)
		}
		return []target{a.assume(ctx, parsed.AccountID, a.opts.RoleARN)}, nil
	}
	caller, err := callerIdentity(ctx, a.base)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return []target{{err: fmt.Errorf("identifying the caller (sts GetCallerIdentity): %w", err)}}, nil
	}
	if a.opts.Org {
		return a.orgTargets(ctx, caller)
	}
	return []target{{account: caller.account, cfg: a.base}}, nil
}

type identity struct {
	account   string
	partition string
}

func callerIdentity(ctx context.Context, cfg sdkaws.Config) (identity, error) {
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = homeRegion(cfg) }).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return identity{}, err
	}
	id := identity{account: sdkaws.ToString(out.Account), partition: "aws"}
	if id.account == "" {
		return identity{}, errors.New("sts GetCallerIdentity answered no account ID")
	}
	if p, err := arn.Parse(sdkaws.ToString(out.Arn)); err == nil {
		id.partition = p.Partition
	}
	return id, nil
}

// assume builds the configuration of a role in account and checks that it
// works (AssumeRole, then GetCallerIdentity with the role's credentials).
func (a *auditor) assume(ctx context.Context, account, roleARN string) target {
	stsClient := sts.NewFromConfig(a.base, func(o *sts.Options) { o.Region = homeRegion(a.base) })
	provider := stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "sagefence-audit"
		if a.opts.ExternalID != "" {
			o.ExternalID = sdkaws.String(a.opts.ExternalID)
		}
	})
	cfg := a.base.Copy()
	cfg.Credentials = sdkaws.NewCredentialsCache(provider)
	id, err := callerIdentity(ctx, cfg)
	if err != nil {
		return target{account: account, err: fmt.Errorf("assuming %s: %w", roleARN, err)}
	}
	if id.account != account {
		return target{account: account, err: fmt.Errorf("assuming %s gave credentials of account %s", roleARN, id.account)}
	}
	return target{account: account, cfg: cfg}
}

// orgTargets lists the organization's ACTIVE accounts; the caller's own
// account uses the caller's credentials, every other account the org role.
func (a *auditor) orgTargets(ctx context.Context, caller identity) ([]target, error) {
	client := organizations.NewFromConfig(a.base, func(o *organizations.Options) { o.Region = homeRegion(a.base) })
	var accounts []string
	pages := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return []target{{account: caller.account, err: fmt.Errorf("listing the organization's accounts: %w", err)}}, nil
		}
		for _, acc := range page.Accounts {
			if acc.Status == orgtypes.AccountStatusActive || (acc.Status == "" && acc.State == orgtypes.AccountStateActive) {
				accounts = append(accounts, sdkaws.ToString(acc.Id))
			}
		}
	}
	if len(accounts) == 0 {
		return nil, errors.New("--org: the organization has no active account (is the caller in an organization's management account?)")
	}
	targets := make([]target, len(accounts))
	forEach(ctx, len(accounts), a.opts.Parallelism, func(i int) {
		acc := accounts[i]
		if acc == caller.account {
			targets[i] = target{account: acc, cfg: a.base}
			return
		}
		role := fmt.Sprintf("arn:%s:iam::%s:role/%s", caller.partition, acc, a.opts.OrgRole)
		targets[i] = a.assume(ctx, acc, role)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return targets, nil
}

// auditAccount resolves the account's regions and audits each concurrently.
func (a *auditor) auditAccount(ctx context.Context, t target) {
	regions := a.opts.Regions
	if len(regions) == 0 {
		var err error
		regions, err = enabledRegions(ctx, t.cfg)
		if err != nil {
			if ctx.Err() == nil {
				a.accountFailed(t.account, "", fmt.Errorf("listing enabled regions (ec2 DescribeRegions): %w", err))
			}
			return
		}
	}
	a.regionsTotal.Add(int64(len(regions)))
	var wg sync.WaitGroup
	for _, region := range regions {
		wg.Add(1)
		go func(region string) {
			defer wg.Done()
			select {
			case a.regionSlots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-a.regionSlots }()
			a.auditRegion(ctx, t, region)
			a.regionsDone.Add(1)
			a.progress()
		}(region)
	}
	wg.Wait()
}

// enabledRegions lists the regions enabled for the account; an answer with
// no region, or a region without a name, is an error.
func enabledRegions(ctx context.Context, cfg sdkaws.Config) ([]string, error) {
	out, err := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.Region = homeRegion(cfg) }).
		DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, err
	}
	regions := make([]string, 0, len(out.Regions))
	for _, r := range out.Regions {
		name := sdkaws.ToString(r.RegionName)
		if name == "" {
			return nil, errors.New("the answer lists a region without a name")
		}
		regions = append(regions, name)
	}
	if len(regions) == 0 {
		// Every account has at least its default regions enabled: an empty
		// list is a broken answer, not an account without regions.
		return nil, errors.New("the answer lists no region")
	}
	return regions, nil
}
