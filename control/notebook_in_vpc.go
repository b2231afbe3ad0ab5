package control

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// InVPCID is the control's ID.
const InVPCID = "sagemaker_notebook_instance_in_vpc"

var inVPC = &Control{
	Doc: Doc{
		ID:       InVPCID,
		Title:    "SageMaker notebook instances should be launched in a VPC subnet",
		Severity: finding.High,
		Kind:     "security",
		Rationale: "A notebook without a subnet runs in a SageMaker-managed network outside your VPC, where none of " +
			"your security groups, NACLs, route tables or VPC endpoint policies apply. Placing it in a private " +
			"subnet is also what makes DirectInternetAccess = Disabled launchable.",
		Checks: "Fails when subnet_id (SubnetId) is omitted or null. Passes when it is set: a literal, a resource or " +
			"data-source attribute, Fn::ImportValue, Fn::GetAtt, a dynamic reference, even when the value itself is known " +
			"only at plan or deploy time. Unknown only when it cannot be known whether it is set (a variable without a " +
			"value that may be null). Security groups are not part of this control: without them AWS attaches the " +
			"VPC's default security group and the notebook is still in the VPC (AWS Config, Security Hub SageMaker.2 " +
			"and Checkov CKV_AWS_306 agree); whether that group allows HTTPS out is " + SecurityGroupHTTPSEgressID + "'s question.",
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
		sub := nb.SubnetID
		subAttr := p.Attr(nb.Meta, model.FieldSubnetID)
		f := Verdict{Status: finding.Fail, Attribute: subAttr, Expected: "a subnet ID"}
		f.Observe(sub)
		switch {
		case sub.Resolution == model.Default || (sub.Known() && sub.V == "" && sub.Ref == ""):
			f.Message = fmt.Sprintf("%s is omitted: the notebook runs in the SageMaker service network, outside your VPC", subAttr)
		case !sub.Known() && sub.Present:
			// Set, value known only at plan or deploy: in the VPC either way.
			f.Status = finding.Pass
			f.Resolution = model.Explicit
			with, note := "", securityGroupsNote(p, nb)
			if strings.HasPrefix(note, " with ") {
				with, note = note, ""
			}
			f.Message = fmt.Sprintf("%s is set%s, to a value known only at plan or deploy time: %s%s", subAttr, with, sub.Reason, note)
		case !sub.Known():
			f.Status = finding.Unknown
			f.Message = fmt.Sprintf("whether %s is set cannot be known before apply: %s", subAttr, sub.Reason)
		default:
			f.Status = finding.Pass
			f.Message = "in subnet " + sub.Display() + origin(sub) + securityGroupsNote(p, nb)
		}
		p.Report(nb.Meta, f)
	}
}

// securityGroupsNote tells what a notebook in a subnet is attached to: its
// groups, or, without any, the VPC's default group that AWS attaches (whose
// egress is the HTTPS egress control's question, not this one's).
func securityGroupsNote(p *Pass, nb *model.NotebookInstance) string {
	sgs := nb.SecurityGroups
	switch {
	case !sgs.Known():
		return ""
	case len(sgs.Items) > 0:
		return " with " + strconv.Itoa(len(sgs.Items)) + " security group(s)"
	}
	return fmt.Sprintf("; %s is omitted or empty, so AWS attaches the VPC's default security group (its egress is judged by %s)",
		p.Attr(nb.Meta, model.FieldSecurityGroups), SecurityGroupHTTPSEgressID)
}
