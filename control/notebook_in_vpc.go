package control

import (
	"fmt"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// InVPCID is the control's ID.
const InVPCID = "sagemaker_notebook_instance_in_vpc"

var inVPC = &Control{
	Doc: Doc{
		ID:       InVPCID,
		Title:    "SageMaker notebook instances should be launched in a VPC subnet with security groups",
		Severity: finding.High,
		Kind:     "security",
		Rationale: "A notebook without a subnet runs in a SageMaker-managed network outside your VPC, where none of " +
			"your security groups, NACLs, route tables or VPC endpoint policies apply. Placing it in a private " +
			"subnet with explicit security groups is also what makes DirectInternetAccess = Disabled launchable.",
		Checks: "Fails when subnet_id (SubnetId) is omitted, or when it is set but security_groups (SecurityGroupIds) " +
			"is omitted or empty. Passes when both are set. Unknown when either cannot be resolved before apply.",
		ResourceTypes: []string{"aws_sagemaker_notebook_instance", "AWS::SageMaker::NotebookInstance", "live notebook instance"},
		Aliases: []Alias{
			{"Checkov", "CKV_AWS_306"},
			{"AWS Config", "SAGEMAKER_NOTEBOOK_INSTANCE_INSIDE_VPC"},
			{"AWS Config rule", "sagemaker-notebook-instance-inside-vpc"},
			{"Security Hub", "SageMaker.2"},
			{"Powerpipe", "aws_compliance.control.sagemaker_notebook_instance_in_vpc"},
		},
		Frameworks: boundaryFrameworks,
		Remediation: Remediation{
			BySurface: map[string]string{
				model.SurfaceTerraform: "Set subnet_id to a private subnet and security_groups to groups that allow HTTPS egress. Forces " +
					"replacement: the notebook and its ML storage volume are destroyed and recreated; back up first.",
				model.SurfaceCloudFormation: "Set SubnetId and SecurityGroupIds. Both are create-only: the notebook is replaced and its ML " +
					"storage volume is lost; back up first.",
				model.SurfaceAWS: "Subnet and security groups cannot be changed in place. Back up, then recreate the notebook in a private " +
					"subnet with security groups (`sagefence remediate --subnet-id ... --security-group-id ...`).",
			},
		},
		ForcesReplacement: awsfacts.ForcesReplacement("aws_sagemaker_notebook_instance", "subnet_id"),
		HelpURI:           "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html",
	},
	Reads: Reads{Subjects: []model.Kind{model.KindNotebookInstance}},
	Check: checkInVPC,
}

func checkInVPC(p *Pass) {
	for nb := range p.Notebooks() {
		sub, sgs := nb.SubnetID, nb.SecurityGroups
		subAttr := p.Attr(nb.Meta, model.FieldSubnetID)
		sgAttr := p.Attr(nb.Meta, model.FieldSecurityGroups)
		f := Verdict{Status: finding.Fail, Attribute: subAttr, Expected: "a subnet ID and at least one security group"}
		f.Observe(sub)
		switch {
		case !sub.Known():
			f.Status = finding.Unknown
			f.Message = fmt.Sprintf("%s cannot be resolved: %s", subAttr, sub.Reason)
		case sub.Resolution == model.Default || (sub.V == "" && sub.Ref == ""):
			f.Message = fmt.Sprintf("%s is omitted: the notebook is not in a VPC", subAttr)
		case !sgs.Known():
			f.Status = finding.Unknown
			f.Attribute = sgAttr
			f.Resolution = model.Unknown
			f.Observed = nil
			f.Provenance = nil
			f.Message = fmt.Sprintf("%s is set but %s cannot be resolved: %s", subAttr, sgAttr, sgs.Reason)
		case len(sgs.Items) == 0:
			f.Attribute = sgAttr
			f.Resolution = sgs.Resolution
			f.Provenance = finding.Provenance(sgs.Provenance)
			f.Message = fmt.Sprintf("%s is set but %s is omitted or empty: give the notebook explicit security groups "+
				"(required to launch with direct internet access disabled)", subAttr, sgAttr)
		default:
			f.Status = finding.Pass
			f.Message = fmt.Sprintf("in subnet %s%s with %d security group(s)", sub.Display(), origin(sub), len(sgs.Items))
		}
		p.Report(nb.Meta, f)
	}
}
