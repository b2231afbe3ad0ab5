package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
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

// ClientOptions say how to reach AWS.
type ClientOptions struct {
	Region  string
	Profile string
	// EndpointURL overrides the service endpoints (moto, LocalStack).
	EndpointURL string
	// RetryMaxAttempts overrides the SDK's retry attempts when > 0.
	RetryMaxAttempts int
}

// Clients are the service clients of one account and region.
type Clients struct {
	SageMaker *sagemaker.Client
	EC2       *ec2.Client
	Region    string
}

// NewClients loads the SDK's default configuration (environment, shared
// files, SSO, instance roles) with the options applied.
func NewClients(ctx context.Context, o ClientOptions) (*Clients, error) {
	var loaders []func(*config.LoadOptions) error
	if o.Region != "" {
		loaders = append(loaders, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loaders = append(loaders, config.WithSharedConfigProfile(o.Profile))
	}
	if o.RetryMaxAttempts > 0 {
		loaders = append(loaders, config.WithRetryMaxAttempts(o.RetryMaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: give --region or set AWS_REGION")
	}
	c := &Clients{Region: cfg.Region}
	c.SageMaker = sagemaker.NewFromConfig(cfg, func(so *sagemaker.Options) {
		if o.EndpointURL != "" {
			so.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	c.EC2 = ec2.NewFromConfig(cfg, func(eo *ec2.Options) {
		if o.EndpointURL != "" {
			eo.BaseEndpoint = aws.String(o.EndpointURL)
		}
	})
	return c, nil
}
