package control

import (
	"fmt"
	"strings"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// PrivateServiceAccessID is the control's ID.
const PrivateServiceAccessID = "sagemaker_notebook_instance_private_service_access"

var privateServiceAccess = &Control{
	Doc: Doc{
		ID:       PrivateServiceAccessID,
		Title:    "SageMaker notebooks without direct internet access should have a private path to the SageMaker API, runtime and S3",
		Severity: finding.Medium,
		Kind:     "operability",
		Rationale: "With direct internet access disabled, the notebook reaches AWS only through its VPC subnet. Unless the " +
			"VPC has interface endpoints for com.amazonaws.<region>.sagemaker.api and com.amazonaws.<region>.sagemaker.runtime " +
			"and an S3 endpoint, or the subnet routes 0.0.0.0/0 through a NAT gateway, the instance appears healthy but " +
			"cannot call SageMaker or read S3: kernels fail, training and hosting calls time out. Teams then re-enable " +
			"internet access to make it work, undoing the headline control. No peer scanner checks this; it has no " +
			"alias in other tools.",
		Checks: "Applies only to notebooks whose direct internet access is known to be exactly \"Disabled\" (others get no " +
			"finding from this control; the headline control reports them). Follows the notebook's subnet to its VPC and " +
			"route table (the explicit association, else the VPC's main route table). Each of sagemaker.api, " +
			"sagemaker.runtime and s3 needs: an Interface endpoint com.amazonaws.<region>.<service> in the notebook's VPC " +
			"with private DNS enabled (also for S3: without private DNS only clients configured with the endpoint-specific " +
			"DNS name use it, and the SDK defaults do not), or for S3 a Gateway endpoint associated with the subnet's " +
			"route table; a 0.0.0.0/0 route to a NAT gateway in the same VPC covers all three. An endpoint whose region " +
			"part is not known before apply (${data.aws_region.current.name}, ${AWS::Region}) is matched by its service " +
			"suffix, and the finding says so. Fails naming each service without a path and why (no endpoint, endpoint in " +
			"another VPC, private DNS off, gateway not associated with the subnet's route table, default route to an " +
			"internet gateway). Fails when the notebook has no subnet. Unknown when the subnet is a literal ID or comes " +
			"from outside the configuration, a route table or endpoint value cannot be resolved, or the default route " +
			"goes to a transit gateway, peering connection or firewall that cannot be followed: `sagefence audit` " +
			"decides those from the live account. Not checked: the NAT gateway's own route to an internet gateway, and " +
			"the endpoints' security groups (see the HTTPS egress control for the notebook's side).",
		ResourceTypes: []string{"aws_sagemaker_notebook_instance + aws_subnet, aws_route_table, aws_nat_gateway, aws_vpc_endpoint",
			"AWS::SageMaker::NotebookInstance + AWS::EC2::Subnet, RouteTable, NatGateway, VPCEndpoint", "live notebook instance and its VPC"},
		// No peer tool has an equivalent check (peers.md), so there are no aliases.
		Aliases: []Alias{},
		// An operability control: it keeps the boundary controls workable but
		// is not itself a requirement of the frameworks the sources cite.
		Frameworks: []finding.Framework{},
		Remediation: Remediation{
			BySurface: map[string]string{
				model.SurfaceTerraform: "Add to the notebook's VPC: aws_vpc_endpoint resources with vpc_endpoint_type = \"Interface\", " +
					"private_dns_enabled = true, subnet_ids = the private subnets and security_group_ids = a group allowing " +
					"inbound TCP 443 from the notebook, for service_name \"com.amazonaws.${data.aws_region.current.name}.sagemaker.api\" " +
					"and \".sagemaker.runtime\"; and an S3 endpoint with vpc_endpoint_type = \"Gateway\" and route_table_ids = " +
					"[the notebook subnet's route table] (or aws_vpc_endpoint_route_table_association). Alternatively route " +
					"0.0.0.0/0 to an aws_nat_gateway in a public subnet of the same VPC from the notebook subnet's route table. " +
					"Endpoints and routes are added in place; the notebook is not replaced. The VPC needs enable_dns_support " +
					"and enable_dns_hostnames for private DNS.",
				model.SurfaceCloudFormation: "Add AWS::EC2::VPCEndpoint resources in the notebook's VPC: VpcEndpointType: Interface, " +
					"PrivateDnsEnabled: true, SubnetIds and SecurityGroupIds, ServiceName: !Sub com.amazonaws.${AWS::Region}.sagemaker.api " +
					"and .sagemaker.runtime; and ServiceName: !Sub com.amazonaws.${AWS::Region}.s3 with VpcEndpointType: Gateway and " +
					"RouteTableIds: [the subnet's route table]. Or add an AWS::EC2::Route with DestinationCidrBlock 0.0.0.0/0 and " +
					"NatGatewayId in the subnet's route table. No replacement of the notebook.",
				model.SurfaceAWS: "aws ec2 create-vpc-endpoint --vpc-id VPC --vpc-endpoint-type Interface --service-name " +
					"com.amazonaws.REGION.sagemaker.api --subnet-ids SUBNETS --security-group-ids SG --private-dns-enabled " +
					"(repeat for sagemaker.runtime); aws ec2 create-vpc-endpoint --vpc-id VPC --service-name com.amazonaws.REGION.s3 " +
					"--route-table-ids RTB (Gateway is the default type); or aws ec2 create-route --route-table-id RTB " +
					"--destination-cidr-block 0.0.0.0/0 --nat-gateway-id NAT. Also consider aws.sagemaker.REGION.notebook for " +
					"private access to the notebook UI.",
			},
		},
		Example: map[string]string{
			"terraform": `data "aws_region" "current" {}

resource "aws_vpc_endpoint" "sagemaker" {
  for_each            = toset(["sagemaker.api", "sagemaker.runtime"])
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [aws_subnet.private.id]
  security_group_ids  = [aws_security_group.endpoints.id]
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}`,
			"cloudformation": `SageMakerApiEndpoint:
  Type: AWS::EC2::VPCEndpoint
  Properties:
    VpcId: !Ref Vpc
    ServiceName: !Sub com.amazonaws.${AWS::Region}.sagemaker.api
    VpcEndpointType: Interface
    PrivateDnsEnabled: true
    SubnetIds: [!Ref PrivateSubnet]
    SecurityGroupIds: [!Ref EndpointSecurityGroup]
# ... the same for sagemaker.runtime ...
S3Endpoint:
  Type: AWS::EC2::VPCEndpoint
  Properties:
    VpcId: !Ref Vpc
    ServiceName: !Sub com.amazonaws.${AWS::Region}.s3
    VpcEndpointType: Gateway
    RouteTableIds: [!Ref PrivateRouteTable]`,
		},
		HelpURI: "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html",
	},
	Reads: networkReads(model.KindSubnet, model.KindRouteTable, model.KindNATGateway, model.KindVPCEndpoint),
	Check: checkPrivateServiceAccess,
}

// accessDisabled reports whether the control family applies: direct internet
// access known to be exactly "Disabled".
func accessDisabled(nb *model.NotebookInstance) bool {
	return nb.DirectInternetAccess.Known() && nb.DirectInternetAccess.V == awsfacts.DirectInternetAccessDisabled
}

// networkReads is what a control of a notebook's network paths reads:
// notebooks, and around those with access disabled the given context.
func networkReads(context ...model.Kind) Reads {
	return Reads{Subjects: []model.Kind{model.KindNotebookInstance}, Context: context, ContextNeeded: anyAccessDisabled}
}

// anyAccessDisabled reports whether a notebook of the set has direct
// internet access disabled, the only notebooks whose network is judged.
func anyAccessDisabled(set *model.Set) bool {
	for _, nb := range set.Notebooks {
		if accessDisabled(nb) {
			return true
		}
	}
	return false
}

func checkPrivateServiceAccess(p *Pass) {
	for nb := range p.Notebooks() {
		if !accessDisabled(nb) {
			continue
		}
		f := Verdict{Status: finding.Fail, Attribute: p.Attr(nb.Meta, model.FieldSubnetID),
			Expected: "a path to sagemaker.api, sagemaker.runtime and s3: VPC endpoints, or 0.0.0.0/0 to a NAT gateway"}
		judgeServiceAccess(&f, nb, p.Network(nb))
		p.Report(nb.Meta, f)
	}
}

// judgeServiceAccess fills status, observed and message from the network analysis.
func judgeServiceAccess(f *Verdict, nb *model.NotebookInstance, n network) {
	f.Resolution = nb.SubnetID.Resolution
	switch {
	case n.noSubnet:
		observed := "no subnet"
		f.Observed = &observed
		f.Message = fmt.Sprintf("direct internet access is disabled but %s is omitted: the notebook has no network path "+
			"to SageMaker or S3 (it will not launch; see %s)", f.Attribute, InVPCID)
		return
	case n.outside != "":
		f.Status = finding.Unknown
		f.Resolution = model.Unknown
		f.Message = n.outside + "; " + outsideHint
		return
	}
	var missing, undecided, unknownWhy []string
	// A line per service, then the NAT route's and those of suffix-matched endpoints.
	evidence := make([]string, 0, len(n.services)+1+len(n.services))
	natWhy := "NAT: " + n.nat.why
	for _, p := range n.services {
		switch p.reachable(n.nat) {
		case yes:
			if p.endpoint == yes {
				evidence = append(evidence, fmt.Sprintf("%s: %s endpoint %s", p.service, endpointType(p.via), p.via.Address))
			} else {
				evidence = append(evidence, fmt.Sprintf("%s: NAT gateway %s", p.service, n.nat.gateway.Address))
			}
		case no:
			why := p.problems
			if len(why) == 0 {
				why = []string{"no endpoint for " + n.serviceName(p.service) + " in the notebook's VPC"}
			}
			missing = append(missing, fmt.Sprintf("%s (%s)", p.service, strings.Join(why, "; ")))
			evidence = append(evidence, p.service+": no path")
		default:
			undecided = append(undecided, p.service)
			unknownWhy = append(unknownWhy, p.unknowns...)
			if p.endpoint == no && len(p.problems) > 0 {
				unknownWhy = append(unknownWhy, p.problems...)
			}
			if n.nat.has == maybe {
				unknownWhy = append(unknownWhy, natWhy)
			}
			evidence = append(evidence, p.service+": undecided")
		}
	}
	if n.nat.why != "" {
		evidence = append(evidence, natWhy)
	}
	evidence = append(evidence, suffixMatched(n)...)
	f.Evidence = evidence
	switch {
	case len(missing) > 0:
		observed := "no path to " + strings.Join(servicesOf(missing), ", ")
		f.Observed = &observed
		msg := fmt.Sprintf("with direct internet access disabled the notebook cannot reach %s: %s; %s",
			strings.Join(servicesOf(missing), ", "), strings.Join(missing, "; "), natSentence(n.nat))
		if len(undecided) > 0 {
			msg += fmt.Sprintf("; also undecided: %s (%s)", strings.Join(undecided, ", "), strings.Join(dedupe(unknownWhy), "; "))
		}
		f.Message = msg
	case len(undecided) > 0:
		f.Status = finding.Unknown
		f.Resolution = model.Unknown
		f.Message = fmt.Sprintf("cannot decide a path to %s: %s; `sagefence audit` can decide it from the live account",
			strings.Join(undecided, ", "), strings.Join(dedupe(unknownWhy), "; "))
	default:
		f.Status = finding.Pass
		var observed string
		if n.nat.has == yes {
			observed = "0.0.0.0/0 via NAT gateway " + n.nat.gateway.Address
			f.Message = fmt.Sprintf("%s, which covers sagemaker.api, sagemaker.runtime and s3", n.nat.why)
		} else {
			observed = "VPC endpoints for sagemaker.api, sagemaker.runtime and s3"
			f.Message = "every required service has a private path: " + strings.Join(evidence[:len(n.services)], "; ")
		}
		if sm := suffixMatched(n); len(sm) > 0 && n.nat.has != yes {
			f.Message += "; " + strings.Join(sm, "; ")
		}
		f.Observed = &observed
	}
}

func natSentence(nat natPath) string {
	if nat.has == no {
		return "no NAT route: " + nat.why
	}
	return "NAT route undecided: " + nat.why
}

func endpointType(ep *model.VPCEndpoint) string {
	if ep.Type.Resolution == model.Default || ep.Type.V == "" {
		return "Gateway"
	}
	return ep.Type.V
}

// servicesOf returns the leading service names of "svc (reason)" entries.
func servicesOf(entries []string) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		name, _, _ := strings.Cut(e, " (")
		out = append(out, name)
	}
	return out
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
