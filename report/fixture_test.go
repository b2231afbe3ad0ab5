package report

import (
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

const (
	fixtureAccount = "123456789012"
	fixtureRegion  = "eu-west-1"
)

// fixtureResult is a hand-built result covering every status on IaC and
// live resources, both suppression sources, values from a variable and
// unknown values, text that needs escaping in every format, and input
// errors. Time and version are fixed so goldens are stable.
func fixtureResult() *finding.Result {
	direct := mustControl(control.DirectInternetAccessID)
	inVPC := mustControl(control.InVPCID)
	domain := mustControl(control.DomainVpcOnlyID)
	str := func(s string) *string { return &s }

	tfMeta := model.Meta{
		Surface: model.SurfaceTerraform, Type: "aws_sagemaker_notebook_instance",
		Address: `module.ml.aws_sagemaker_notebook_instance.this["research"]`, Name: "research-nb",
		Range: model.Range{File: "infra/ml/main.tf", StartLine: 12, EndLine: 31},
	}
	var fs []finding.Finding

	f := direct.New(tfMeta, finding.Fail)
	f.Attribute, f.Expected, f.Resolution = "direct_internet_access", "Disabled", model.Default
	f.Observed = str("Enabled")
	f.Message = `direct_internet_access is omitted and defaults to "Enabled" | the notebook has a public path`
	fs = append(fs, f)

	f = inVPC.New(tfMeta, finding.Pass)
	f.Attribute, f.Expected, f.Resolution = "subnet_id", "a subnet ID and at least one security group", model.Explicit
	f.Observed = str("subnet-0abc1234")
	f.Provenance = finding.Provenance(model.Provenance{{Kind: model.StepVariableDefault, Name: "var.subnet_id",
		Range: model.Range{File: "infra/ml/variables.tf", StartLine: 4, EndLine: 4}}})
	f.Message = "subnet_id is set (from " + finding.DescribeProvenance(model.Provenance{{Kind: model.StepVariableDefault,
		Name: "var.subnet_id", Range: model.Range{File: "infra/ml/variables.tf", StartLine: 4}}}) + ")"
	fs = append(fs, f)

	legacy := model.Meta{
		Surface: model.SurfaceTerraform, Type: "aws_sagemaker_notebook_instance",
		Address: "aws_sagemaker_notebook_instance.legacy", Name: "legacy-nb",
		Range: model.Range{File: "infra/legacy.tf", StartLine: 3, EndLine: 9},
	}
	f = direct.New(legacy, finding.Suppressed)
	f.Attribute, f.Expected, f.Resolution = "direct_internet_access", "Disabled", model.Explicit
	f.Observed = str("Enabled")
	f.Message = `direct_internet_access = "Enabled"`
	f.Suppression = &model.Suppression{Source: "checkov", Reason: "vendor notebook, isolated account", Expires: "2027-03-31"}
	fs = append(fs, f)

	cfnMeta := model.Meta{
		Surface: model.SurfaceCloudFormation, Type: "AWS::SageMaker::NotebookInstance",
		Address: "Notebook", Name: "Notebook",
		Range: model.Range{File: "cfn/template.yaml", StartLine: 20, EndLine: 28},
	}
	f = direct.New(cfnMeta, finding.Unknown)
	f.Attribute, f.Expected, f.Resolution = "DirectInternetAccess", "Disabled", model.Unknown
	f.Message = "DirectInternetAccess is Ref Access, a parameter without a default;\npass --parameter Access=..."
	fs = append(fs, f)

	domMeta := model.Meta{
		Surface: model.SurfaceCloudFormation, Type: "AWS::SageMaker::Domain",
		Address: "StudioDomain", Name: "StudioDomain",
		Range: model.Range{File: "cfn/template.yaml", StartLine: 40, EndLine: 55},
	}
	f = domain.New(domMeta, finding.Suppressed)
	f.Attribute, f.Expected, f.Resolution = "AppNetworkAccessType", "VpcOnly", model.Default
	f.Observed = str("PublicInternetOnly")
	f.Message = "AppNetworkAccessType is omitted and defaults to PublicInternetOnly"
	f.Suppression = &model.Suppression{Source: "config", Reason: "sandbox domain <no data>, reviewed by SecOps"}
	fs = append(fs, f)

	arn := "arn:aws:sagemaker:" + fixtureRegion + ":" + fixtureAccount + ":notebook-instance/data-science"
	liveMeta := model.Meta{
		Surface: model.SurfaceAWS, Type: "AWS::SageMaker::NotebookInstance",
		Address: "data-science", Name: "data-science", ARN: arn, Region: fixtureRegion, Account: fixtureAccount,
	}
	f = direct.New(liveMeta, finding.Fail)
	f.Attribute, f.Expected, f.Resolution = "DirectInternetAccess", "Disabled", model.Explicit
	f.Observed = str("Enabled")
	f.Message = "DirectInternetAccess is Enabled"
	f.Evidence = []string{"DescribeNotebookInstance: DirectInternetAccess=Enabled, SubnetId absent"}
	fs = append(fs, f)

	f = inVPC.New(liveMeta, finding.Fail)
	f.Attribute, f.Expected, f.Resolution = "SubnetId", "a subnet ID and at least one security group", model.Default
	f.Message = "SubnetId is not set: the notebook runs in the SageMaker service VPC"
	fs = append(fs, f)

	passMeta := liveMeta
	passMeta.Address, passMeta.Name = "private-nb", "private-nb"
	passMeta.ARN = "arn:aws:sagemaker:" + fixtureRegion + ":" + fixtureAccount + ":notebook-instance/private-nb"
	f = direct.New(passMeta, finding.Pass)
	f.Attribute, f.Expected, f.Resolution = "DirectInternetAccess", "Disabled", model.Explicit
	f.Observed = str("Disabled")
	f.Message = "DirectInternetAccess is Disabled"
	fs = append(fs, f)

	r := &finding.Result{
		FormatVersion: finding.FormatVersion,
		Tool:          finding.Tool{Name: "sagefence", Version: "0.1.0"},
		Scope:         &finding.Scope{Command: "scan", Paths: []string{"infra", "cfn"}, Time: "2026-11-25T12:00:00Z"},
		Findings:      fs,
		Errors: []model.Error{
			{File: "cfn/broken.yaml", Line: 7, Message: "yaml: mapping values are not allowed here"},
			{Account: fixtureAccount, Region: "ap-south-1", Message: "AccessDenied: sagemaker:ListDomains"},
		},
		Gaps: []finding.Gap{
			{Kind: model.GapAccessDenied, Surface: model.SurfaceAWS, Address: "region ap-south-1", Account: fixtureAccount,
				Region: "ap-south-1", Hides: []string{"Studio domain"}, Controls: []string{domain.ID}, Severity: domain.Severity,
				Reason: "account 123456789012 region ap-south-1 could not be audited: AccessDenied: sagemaker:ListDomains"},
			{Kind: model.GapModuleNotDownloaded, Surface: model.SurfaceTerraform, Address: "module.vpc", Root: "infra/ml",
				File: "infra/ml/network.tf", Line: 3, Source: "terraform-aws-modules/vpc/aws", Version: "~> 5.0 <&>",
				Hides: []string{"aws_sagemaker_notebook_instance", "aws_subnet"}, Controls: []string{direct.ID, inVPC.ID},
				Severity: direct.Severity, Reason: `module source "terraform-aws-modules/vpc/aws" is not on disk`,
				Hint: "run `terraform init` in infra/ml, so that sagefence reads the module from .terraform/modules"},
		},
	}
	r.Finalize()
	return r
}

func mustControl(id string) *control.Control {
	c, ok := control.Lookup(id)
	if !ok {
		panic("fixture: no control " + id)
	}
	return c
}
