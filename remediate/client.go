package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sagefence/sagefence/internal/awsconfig"
)

// SageMakerAPI is the part of the SageMaker API remediation uses;
// *sagemaker.Client implements it. Tests wrap it to inject failures.
type SageMakerAPI interface {
	ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	DescribeNotebookInstance(context.Context, *sagemaker.DescribeNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	DescribeNotebookInstanceLifecycleConfig(context.Context, *sagemaker.DescribeNotebookInstanceLifecycleConfigInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceLifecycleConfigOutput, error)
	ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
	StopNotebookInstance(context.Context, *sagemaker.StopNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	DeleteNotebookInstance(context.Context, *sagemaker.DeleteNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.DeleteNotebookInstanceOutput, error)
	CreateNotebookInstance(context.Context, *sagemaker.CreateNotebookInstanceInput, ...func(*sagemaker.Options)) (*sagemaker.CreateNotebookInstanceOutput, error)
	ListDomains(context.Context, *sagemaker.ListDomainsInput, ...func(*sagemaker.Options)) (*sagemaker.ListDomainsOutput, error)
	DescribeDomain(context.Context, *sagemaker.DescribeDomainInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	ListApps(context.Context, *sagemaker.ListAppsInput, ...func(*sagemaker.Options)) (*sagemaker.ListAppsOutput, error)
	UpdateDomain(context.Context, *sagemaker.UpdateDomainInput, ...func(*sagemaker.Options)) (*sagemaker.UpdateDomainOutput, error)
}

// EC2API is the part of the EC2 API remediation uses (subnet → VPC).
type EC2API interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// ClientOptions say how to reach AWS (--region, --profile, --endpoint-url;
// internal/awsconfig).
type ClientOptions = awsconfig.Options

// Clients are the service clients of one account and region.
type Clients struct {
	SageMaker *sagemaker.Client
	EC2       *ec2.Client
	Region    string
	cfg       aws.Config
}

// Account is the account of the clients' credentials (sts GetCallerIdentity).
func (c *Clients) Account(ctx context.Context) (string, error) {
	out, err := sts.NewFromConfig(c.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("identifying the account of the credentials (sts GetCallerIdentity): %w", err)
	}
	if aws.ToString(out.Account) == "" {
		return "", fmt.Errorf("sts GetCallerIdentity answered no account ID")
	}
	return aws.ToString(out.Account), nil
}

// NewClients loads the SDK's configuration (internal/awsconfig) and builds
// the clients; the region must come from the options or the environment.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	cfg, err := awsconfig.Load(ctx, o)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: give --region or set AWS_REGION")
	}
	return &Clients{Region: cfg.Region, SageMaker: sagemaker.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), cfg: cfg}, nil
}
