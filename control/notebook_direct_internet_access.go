package control

import (
	"fmt"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// DirectInternetAccessID is the headline control's ID.
const DirectInternetAccessID = "sagemaker_notebook_instance_direct_internet_access_disabled"

var directInternetAccess = &Control{
	Doc: Doc{
		ID:       DirectInternetAccessID,
		Title:    "SageMaker notebook instances should not have direct internet access",
		Severity: finding.High,
		Kind:     "security",
		Rationale: "A notebook instance gets direct internet access by default (DirectInternetAccess = Enabled). " +
			"That is an unrestricted outbound path for training data, model artifacts and credentials, and it " +
			"bypasses the VPC's security groups, NACLs and endpoint policies. With access Disabled the notebook " +
			"reaches the network only through its VPC subnet, where egress is controlled.",
		Checks: "Fails when direct_internet_access (DirectInternetAccess) is omitted (the default is Enabled), " +
			"Enabled, or any value other than exactly \"Disabled\" (the value is case-sensitive: \"disabled\" is " +
			"invalid and fails). Passes only on exactly \"Disabled\". Unknown when the value cannot be resolved " +
			"before apply (a variable or parameter without a value, a module that was not downloaded, a computed " +
			"value) or a live region could not be read. Disabled without a subnet passes here but will not launch: " +
			"that is reported by sagemaker_notebook_instance_in_vpc.",
		ResourceTypes: []string{"aws_sagemaker_notebook_instance", "AWS::SageMaker::NotebookInstance", "live notebook instance"},
		Aliases: []Alias{
			{"compliance.tf", "sagemaker_notebook_instance_direct_internet_access_disabled"},
			{"AWS Config", "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET_ACCESS"},
			{"AWS Config rule", "sagemaker-notebook-no-direct-internet-access"},
			{"Checkov", "CKV_AWS_122"},
			{"Powerpipe", "aws_compliance.control.sagemaker_notebook_instance_direct_internet_access_disabled"},
			{"Prowler", "sagemaker_notebook_instance_without_direct_internet_access_configured"},
			{"Security Hub", "SageMaker.1"},
			{"cdk-nag", "AwsSolutions-SM3"},
			{"Trend Micro Conformity", "Disable Direct Internet Access for Notebook Instances"},
		},
		// The Conformity rule also names GDPR, APRA and NIST CSF without
		// requirement IDs; only the mappings with IDs are listed.
		Frameworks: boundaryFrameworks,
		Remediation: Remediation{
			BySurface: map[string]string{
				model.SurfaceTerraform: "Set direct_internet_access = \"Disabled\" with subnet_id and security_groups. Forces replacement: " +
					"the notebook and its ML storage volume are destroyed and recreated; back up /home/ec2-user/SageMaker first " +
					"(or create a new notebook under a new name and move the data, blue/green). Give the VPC a path to " +
					"SageMaker and S3 (VPC endpoints or NAT) or the notebook cannot work.",
				model.SurfaceCloudFormation: "Set DirectInternetAccess: Disabled with SubnetId and SecurityGroupIds. DirectInternetAccess is " +
					"create-only: the stack update replaces the notebook and its ML storage volume is lost; back up first " +
					"or deploy a new notebook beside it (blue/green).",
				model.SurfaceAWS: "The setting cannot be changed in place (UpdateNotebookInstance has no such field). Back up the " +
					"notebook's data, then stop, delete and recreate it in a VPC subnet with security groups and " +
					"DirectInternetAccess=Disabled (`sagefence remediate` plans this), or create a new private notebook beside it.",
			},
		},
		ForcesReplacement: awsfacts.ForcesReplacement("aws_sagemaker_notebook_instance", "direct_internet_access"),
		Example: map[string]string{
			"terraform": `resource "aws_sagemaker_notebook_instance" "this" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = aws_iam_role.notebook.arn
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}`,
			"cloudformation": `Notebook:
  Type: AWS::SageMaker::NotebookInstance
  Properties:
    InstanceType: ml.t3.medium
    RoleArn: !GetAtt NotebookRole.Arn
    SubnetId: !Ref PrivateSubnet
    SecurityGroupIds: [!Ref NotebookSecurityGroup]
    DirectInternetAccess: Disabled`,
		},
		HelpURI: "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html",
	},
	Reads: Reads{Subjects: []model.Kind{model.KindNotebookInstance}},
	Check: checkDirectInternetAccess,
}

// directInternetAccessValues: "Disabled" passes; the service default is "Enabled".
var directInternetAccessValues = enumAttribute{
	pass: awsfacts.DirectInternetAccessDisabled, fail: awsfacts.DirectInternetAccessEnabled, def: awsfacts.DefaultDirectInternetAccess}

func checkDirectInternetAccess(p *Pass) {
	for nb := range p.Notebooks() {
		var v Verdict
		directInternetAccessValues.judge(&v, p.Attr(nb.Meta, model.FieldDirectInternetAccess), nb.DirectInternetAccess)
		if v.Status == finding.Pass && nb.SubnetID.Resolution == model.Default {
			v.Message += fmt.Sprintf("; error: without %s the notebook will not launch (Disabled requires a subnet)",
				p.Attr(nb.Meta, model.FieldSubnetID))
		}
		p.Report(nb.Meta, v)
	}
}
