package control

import (
	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// DomainVpcOnlyID is the control's ID.
const DomainVpcOnlyID = "sagemaker_domain_vpc_only"

var domainVpcOnly = &Control{
	Doc: Doc{
		ID:       DomainVpcOnlyID,
		Title:    "SageMaker Studio domains should use the VpcOnly network access type",
		Severity: finding.High,
		Kind:     "security",
		Rationale: "With AppNetworkAccessType = PublicInternetOnly (the default) Studio apps reach the internet " +
			"through a SageMaker-managed network, outside your VPC's controls. VpcOnly routes all Studio traffic " +
			"through your VPC subnets, where security groups and endpoints decide what is reachable.",
		Checks: "Fails when app_network_access_type (AppNetworkAccessType) is omitted (the default is PublicInternetOnly), " +
			"PublicInternetOnly, or not a valid value (case-sensitive). Passes only on exactly \"VpcOnly\". Unknown when " +
			"the value cannot be resolved or the domain could not be described.",
		ResourceTypes: []string{"aws_sagemaker_domain", "AWS::SageMaker::Domain", "live Studio domain"},
		// No peer scanner checks this control (peers.md); the Conformity rule
		// "Disable Direct Internet Access for Notebook Instances" asks for it.
		Aliases:    []Alias{},
		Frameworks: boundaryFrameworks,
		// AppNetworkAccessType changes in place once no Studio app runs.
		ForcesReplacement: awsfacts.ForcesReplacement("aws_sagemaker_domain", "app_network_access_type"),
		Remediation: Remediation{
			BySurface: map[string]string{
				model.SurfaceTerraform: "Set app_network_access_type = \"VpcOnly\" (updated in place) and make sure the domain's subnets " +
					"have VPC endpoints or a NAT route. The update only succeeds when the domain has no apps InService, Pending or Deleting.",
				model.SurfaceCloudFormation: "Set AppNetworkAccessType: VpcOnly (updatable without replacement) once no Studio apps are running.",
				model.SurfaceAWS: "Delete or stop every app of the domain, then `aws sagemaker update-domain --domain-id ID " +
					"--app-network-access-type VpcOnly` (`sagefence remediate` does this and refuses while apps run).",
			},
		},
		Example: map[string]string{
			"terraform": `resource "aws_sagemaker_domain" "studio" {
  domain_name             = "studio"
  auth_mode               = "IAM"
  vpc_id                  = aws_vpc.main.id
  subnet_ids              = [aws_subnet.private.id]
  app_network_access_type = "VpcOnly"
  default_user_settings {
    execution_role = aws_iam_role.studio.arn
  }
}`,
		},
		HelpURI: "https://docs.aws.amazon.com/sagemaker/latest/dg/studio-notebooks-and-internet-access.html",
	},
	Reads: Reads{Subjects: []model.Kind{model.KindDomain}},
	Check: checkDomainVpcOnly,
}

// appNetworkAccessTypeValues: "VpcOnly" passes; the service default is "PublicInternetOnly".
var appNetworkAccessTypeValues = enumAttribute{
	pass: awsfacts.AppNetworkAccessVpcOnly, fail: awsfacts.AppNetworkAccessPublicInternetOnly, def: awsfacts.DefaultAppNetworkAccessType}

func checkDomainVpcOnly(p *Pass) {
	for d := range p.Domains() {
		var v Verdict
		appNetworkAccessTypeValues.judge(&v, p.Attr(d.Meta, model.FieldAppNetworkAccessType), d.AppNetworkAccessType)
		p.Report(d.Meta, v)
	}
}
