package control

import (
	"cmp"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// SecurityGroupHTTPSEgressID is the control's ID.
const SecurityGroupHTTPSEgressID = "sagemaker_notebook_instance_security_group_https_egress"

var securityGroupHTTPSEgress = &Control{
	Doc: Doc{
		ID:       SecurityGroupHTTPSEgressID,
		Title:    "Security groups of SageMaker notebooks without direct internet access should allow outbound HTTPS to the endpoints or NAT",
		Severity: finding.Medium,
		Kind:     "operability",
		Rationale: "Every call a private notebook makes to SageMaker and S3 is HTTPS (TCP 443) through its VPC network " +
			"interface, so the security groups attached to it must allow that traffic out toward the VPC endpoints or " +
			"the NAT gateway. A restrictive egress rule, `egress = []`, or a Terraform-managed group with no egress rule " +
			"(Terraform deletes AWS's default allow-all egress rule) silently breaks kernel start-up and package " +
			"installation. No peer scanner checks this; it has no alias in other tools.",
		Checks: "Applies only to notebooks whose direct internet access is known to be exactly \"Disabled\". The egress " +
			"rules of all attached groups are combined (inline egress blocks, egress = [], aws_security_group_rule with " +
			"type = \"egress\", aws_vpc_security_group_egress_rule, CloudFormation SecurityGroupEgress and " +
			"AWS::EC2::SecurityGroupEgress, live rules). A rule covers HTTPS when its protocol is -1/all, or tcp (6) with " +
			"from_port <= 443 <= to_port. Targets: 0.0.0.0/0 covers every path; any other IPv4 CIDR counts toward " +
			"interface endpoints, assuming it contains the VPC's endpoint subnets (the model holds no VPC or subnet " +
			"CIDRs, and the finding names the CIDR it relied on); a prefix list counts for the S3 gateway endpoint (and " +
			"S3 through NAT); a security-group target counts toward an interface endpoint that carries that group, and " +
			"`self` when the endpoint carries the notebook's own group; a NAT path needs 0.0.0.0/0. Which paths exist " +
			"comes from the same analysis as sagemaker_notebook_instance_private_service_access; services without any " +
			"path are left to that control. Defaults: a Terraform-managed group with no egress declared has no egress " +
			"(fail, saying Terraform removed the default rule); a CloudFormation group without the SecurityGroupEgress " +
			"property keeps AWS's default allow-all rule (rules from separate AWS::EC2::SecurityGroupEgress resources " +
			"are added to it), as does a group not managed by the scanned IaC (pass, saying which case applies). Fails " +
			"when no rule allows TCP 443 toward a path. Unknown when a group is not in the configuration, a rule value " +
			"cannot be resolved, the notebook's security groups are unknown, or none are attached: then SageMaker uses " +
			"the VPC's default security group, whose rules are not declared here (sagemaker_notebook_instance_in_vpc " +
			"fails that case).",
		ResourceTypes: []string{"aws_sagemaker_notebook_instance + aws_security_group, aws_security_group_rule, aws_vpc_security_group_egress_rule",
			"AWS::SageMaker::NotebookInstance + AWS::EC2::SecurityGroup, AWS::EC2::SecurityGroupEgress", "live notebook instance and its security groups"},
		// No peer tool has an equivalent check (peers.md), so there are no aliases.
		Aliases:    []Alias{},
		Frameworks: []finding.Framework{},
		Remediation: Remediation{
			BySurface: map[string]string{
				model.SurfaceTerraform: "Allow HTTPS out from the notebook's security group, e.g. aws_vpc_security_group_egress_rule with " +
					"ip_protocol = \"tcp\", from_port = 443, to_port = 443 and referenced_security_group_id = the endpoints' " +
					"security group (or cidr_ipv4 = the VPC CIDR), plus one with prefix_list_id = " +
					"aws_vpc_endpoint.s3.prefix_list_id for the S3 gateway endpoint; with a NAT path use cidr_ipv4 = \"0.0.0.0/0\". " +
					"Remember that Terraform removes AWS's default allow-all egress rule from every aws_security_group it " +
					"manages, and that `egress = []` removes all egress. Security group rules change in place.",
				model.SurfaceCloudFormation: "Add to the group's SecurityGroupEgress (or an AWS::EC2::SecurityGroupEgress resource): " +
					"IpProtocol: tcp, FromPort: 443, ToPort: 443 with DestinationSecurityGroupId: the endpoints' group or " +
					"CidrIp: the VPC CIDR, and DestinationPrefixListId: the S3 prefix list for the gateway endpoint; " +
					"CidrIp: 0.0.0.0/0 when traffic goes through NAT. Updated in place.",
				model.SurfaceAWS: "aws ec2 authorize-security-group-egress --group-id SG --ip-permissions " +
					"'IpProtocol=tcp,FromPort=443,ToPort=443,UserIdGroupPairs=[{GroupId=ENDPOINT_SG}]' (or IpRanges=[{CidrIp=VPC_CIDR}], " +
					"PrefixListIds=[{PrefixListId=S3_PL}] for S3, or CidrIp=0.0.0.0/0 behind NAT). Takes effect immediately; no restart.",
			},
		},
		Example: map[string]string{
			"terraform": `resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_egress_rule" "notebook_https_endpoints" {
  security_group_id            = aws_security_group.notebook.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
}

resource "aws_vpc_security_group_egress_rule" "notebook_https_s3" {
  security_group_id = aws_security_group.notebook.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
}`,
			"cloudformation": `NotebookSecurityGroup:
  Type: AWS::EC2::SecurityGroup
  Properties:
    GroupDescription: SageMaker notebook
    VpcId: !Ref Vpc
    SecurityGroupEgress:
      - IpProtocol: tcp
        FromPort: 443
        ToPort: 443
        DestinationSecurityGroupId: !Ref EndpointSecurityGroup
      - IpProtocol: tcp
        FromPort: 443
        ToPort: 443
        DestinationPrefixListId: pl-63a5400a # the region's S3 prefix list`,
		},
		HelpURI: "https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html",
	},
	Reads: networkReads(model.KindSecurityGroup, model.KindSubnet, model.KindRouteTable, model.KindNATGateway, model.KindVPCEndpoint),
	Check: checkHTTPSEgress,
}

// targetKind classifies an egress rule destination.
type targetKind int

const (
	targetAnyIPv4 targetKind = iota
	targetCIDR
	targetPrefixList
	targetGroup
	targetSelf
	targetUnknown
)

// egressTarget is one destination of a rule that allows TCP 443.
type egressTarget struct {
	kind  targetKind
	value string // CIDR, prefix list, group key
	group *model.SecurityGroup
	rule  string // description for evidence
}

// groupEgress is what one attached security group allows on TCP 443.
type groupEgress struct {
	group   *model.SecurityGroup
	targets []egressTarget
	// note says which default applied ("no egress: Terraform removed ...").
	note string
	// unknown lists rules that could not be resolved.
	unknown []string
}

func checkHTTPSEgress(p *Pass) {
	for nb := range p.Notebooks() {
		if !accessDisabled(nb) {
			continue
		}
		f := Verdict{Status: finding.Fail, Attribute: p.Attr(nb.Meta, model.FieldSecurityGroups),
			Expected: "outbound TCP 443 toward the VPC endpoints or the NAT gateway"}
		judgeHTTPSEgress(&f, p, nb)
		p.Report(nb.Meta, f)
	}
}

func judgeHTTPSEgress(f *Verdict, p *Pass, nb *model.NotebookInstance) {
	set := p.Set
	sgs := nb.SecurityGroups
	f.Resolution = sgs.Resolution
	unknown := f.Unknown
	var groups []groupEgress
	var outside, unresolved []string
	switch {
	case !sgs.Known():
		unknown(fmt.Sprintf("%s cannot be resolved (%s)", f.Attribute, sgs.Reason))
		return
	case len(sgs.Items) == 0 && nb.SubnetID.Resolution == model.Default:
		f.Resolution = model.Default
		observed := "no subnet, no security groups"
		f.Observed = &observed
		f.Message = fmt.Sprintf("the notebook has neither a subnet nor security groups, so nothing can allow outbound TCP 443; "+
			"with direct internet access disabled it will not launch (see %s)", InVPCID)
		return
	case len(sgs.Items) == 0:
		// AWS attaches the VPC's default group: judge it when declared here.
		def := vpcDefaultGroup(set, nb)
		if def == nil {
			unknown(fmt.Sprintf("%s is omitted or empty, so AWS attaches the default security group of the subnet's VPC, "+
				"whose egress rules are not declared in this configuration; declare it (aws_default_security_group) or "+
				"attach an explicit group, or run `sagefence audit`, which reads the group actually attached", f.Attribute))
			return
		}
		groups = append(groups, httpsEgress(def))
	}
	for _, item := range sgs.Items {
		g := set.SecurityGroupByID(refKey(item))
		switch {
		case g != nil:
			groups = append(groups, httpsEgress(g))
		case item.Known() && item.Display() != "":
			outside = append(outside, item.Display())
		default:
			unresolved = append(unresolved, cmp.Or(item.Reason, "a security group that cannot be resolved"))
		}
	}
	var evidence []string
	var anyRule bool
	var anyUnknown []string
	for _, g := range groups {
		for _, t := range g.targets {
			evidence = append(evidence, g.group.Address+": "+t.rule)
			anyRule = true
		}
		if g.note != "" {
			evidence = append(evidence, g.group.Address+": "+g.note)
		}
		for _, u := range g.unknown {
			anyUnknown = append(anyUnknown, g.group.Address+": "+u)
		}
	}
	f.Evidence = evidence
	summary := egressSummary(groups)
	f.Observed = &summary

	// 0.0.0.0/0 on 443 covers every path.
	for _, g := range groups {
		for _, t := range g.targets {
			if t.kind == targetAnyIPv4 {
				f.Status = finding.Pass
				f.Message = fmt.Sprintf("%s allows outbound TCP 443 to 0.0.0.0/0 (%s), which covers the endpoints and the NAT",
					g.group.Address, t.rule)
				if g.note != "" {
					f.Message += "; " + g.note
				}
				return
			}
		}
	}
	if !anyRule {
		switch {
		case len(anyUnknown) > 0 || len(outside) > 0 || len(unresolved) > 0:
			unknown(fmt.Sprintf("no resolved egress rule allows TCP 443, and %s", undecidedGroups(anyUnknown, outside, unresolved)))
		default:
			f.Message = "no egress rule of the attached security groups allows TCP 443: " + groupNotes(groups) +
				"; calls to SageMaker and S3 will time out"
		}
		return
	}
	// Only narrower targets: judge them against the paths that exist.
	n := p.Network(nb)
	if n.noSubnet || n.outside != "" {
		why := n.outside
		if n.noSubnet {
			why = "the notebook has no subnet"
		}
		unknown(fmt.Sprintf("TCP 443 is allowed only toward %s, and the paths it must reach cannot be determined: %s; %s",
			narrowTargets(groups), why, outsideHint))
		return
	}
	var uncovered, covered []string
	var undecidedBy byReason
	for _, p := range n.services {
		verdict, why := coverage(p, n, groups, nb)
		switch verdict {
		case yes:
			covered = append(covered, p.service+" ("+why+")")
		case no:
			uncovered = append(uncovered, p.service+" ("+why+")")
		default:
			undecidedBy.add(p.service, why)
		}
	}
	undecided := undecidedBy.render()
	if len(anyUnknown) > 0 || len(outside) > 0 || len(unresolved) > 0 {
		undecided = append(undecided, undecidedGroups(anyUnknown, outside, unresolved))
	}
	switch {
	case len(uncovered) > 0:
		f.Message = "outbound TCP 443 does not reach the path of " + strings.Join(uncovered, "; ")
	case len(undecided) > 0:
		unknown("cannot decide whether outbound TCP 443 reaches every path: " + strings.Join(undecided, "; "))
	default:
		f.Status = finding.Pass
		f.Message = "outbound TCP 443 reaches the path of " + strings.Join(covered, "; ")
	}
}

// httpsEgress lists what one group allows on TCP 443, applying the defaults
// for groups whose egress is not declared.
func httpsEgress(g *model.SecurityGroup) groupEgress {
	ge := groupEgress{group: g}
	rules := g.Egress
	switch {
	case !g.EgressDeclared && g.Managed && model.BaseLanguage(g.Surface) == model.SurfaceTerraform:
		ge.note = "no egress declared: Terraform removes AWS's default allow-all egress rule from the groups it manages, so the group has no egress"
		if len(rules) > 0 {
			ge.note = "no inline egress: Terraform removed AWS's default allow-all rule; only the separate rule resources apply"
		}
	case !g.EgressDeclared && g.Managed:
		ge.note = "no SecurityGroupEgress property: AWS keeps its default allow-all egress rule"
		rules = append([]model.SGRule{defaultEgressRule()}, rules...)
	case !g.EgressDeclared:
		ge.note = "created outside the scanned IaC with no egress declared: AWS's default allow-all egress rule applies"
		rules = append([]model.SGRule{defaultEgressRule()}, rules...)
	case len(rules) == 0:
		ge.note = "egress is declared empty (egress = [] or no SecurityGroupEgress rules): the group has no egress"
	}
	if !g.EgressComplete && g.EgressDeclared {
		reason := g.Reason
		if reason == "" {
			reason = "some egress rules cannot be resolved"
		}
		ge.unknown = append(ge.unknown, reason)
	}
	for _, r := range rules {
		allows, why := allows443(r)
		switch allows {
		case no:
			continue
		case maybe:
			ge.unknown = append(ge.unknown, why)
			continue
		}
		targets := ruleTargets(g, r)
		ge.targets = append(ge.targets, targets...)
		for _, t := range targets {
			if t.kind == targetUnknown {
				ge.unknown = append(ge.unknown, "a destination of "+describeRule(r)+" cannot be resolved")
			}
		}
	}
	// unknown targets are not coverage
	kept := ge.targets[:0]
	for _, t := range ge.targets {
		if t.kind != targetUnknown {
			kept = append(kept, t)
		}
	}
	ge.targets = kept
	return ge
}

// defaultEgressRule is AWS's allow-all egress rule of a new VPC security group.
func defaultEgressRule() model.SGRule {
	return model.SGRule{
		Protocol: model.Str{V: "-1", Resolution: model.Default},
		CIDRs:    []model.Str{{V: "0.0.0.0/0", Resolution: model.Default}},
	}
}

// allows443 decides whether a rule's protocol and ports include TCP 443.
func allows443(r model.SGRule) (tri, string) {
	if !r.Protocol.Known() {
		return maybe, "the protocol of " + describeRule(r) + " cannot be resolved"
	}
	switch strings.ToLower(r.Protocol.V) {
	case "-1", "all":
		return yes, ""
	case "tcp", "6":
	default:
		return no, ""
	}
	if !r.FromPort.Known() || !r.ToPort.Known() {
		return maybe, "the ports of " + describeRule(r) + " cannot be resolved"
	}
	if r.FromPort.V <= 443 && 443 <= r.ToPort.V {
		return yes, ""
	}
	return no, ""
}

// ruleTargets lists the IPv4-relevant destinations of a rule allowing 443.
func ruleTargets(g *model.SecurityGroup, r model.SGRule) []egressTarget {
	desc := describeRule(r)
	var out []egressTarget
	for _, c := range r.CIDRs {
		switch {
		case !c.Known():
			out = append(out, egressTarget{kind: targetUnknown, rule: desc})
		case c.V == "0.0.0.0/0":
			out = append(out, egressTarget{kind: targetAnyIPv4, value: c.V, rule: desc + " → 0.0.0.0/0"})
		case strings.Contains(c.V, ":"):
			// IPv6: notebooks use IPv4 (the default IpAddressType).
		default:
			if _, _, err := net.ParseCIDR(c.V); err != nil {
				continue
			}
			out = append(out, egressTarget{kind: targetCIDR, value: c.V, rule: desc + " → " + c.V})
		}
	}
	for _, p := range r.PrefixListIDs {
		if !p.Known() && p.Ref == "" {
			out = append(out, egressTarget{kind: targetPrefixList, value: "a prefix list", rule: desc + " → a prefix list"})
			continue
		}
		out = append(out, egressTarget{kind: targetPrefixList, value: p.Display(), rule: desc + " → prefix list " + p.Display()})
	}
	for _, s := range r.SecurityGroups {
		key := refKey(s)
		if key == "" {
			out = append(out, egressTarget{kind: targetUnknown, rule: desc})
			continue
		}
		if key == g.ID() {
			out = append(out, egressTarget{kind: targetSelf, value: key, group: g, rule: desc + " → its own group"})
			continue
		}
		out = append(out, egressTarget{kind: targetGroup, value: key, rule: desc + " → security group " + s.Display()})
	}
	if r.Self {
		out = append(out, egressTarget{kind: targetSelf, value: g.ID(), group: g, rule: desc + " → self"})
	}
	return out
}

func describeRule(r model.SGRule) string {
	proto := strings.ToLower(r.Protocol.V)
	var s string
	switch {
	case !r.Protocol.Known():
		s = "a rule"
	case (proto == "-1" || proto == "all") && r.Protocol.Resolution == model.Default:
		// A rule nobody wrote: AWS's default egress rule, as the surface or
		// httpsEgress synthesized it.
		return "AWS's default allow-all egress rule"
	case proto == "-1" || proto == "all":
		s = "all traffic"
	default:
		s = proto + " " + strconv.FormatInt(r.FromPort.V, 10)
		if r.FromPort.V != r.ToPort.V {
			s += "-" + strconv.FormatInt(r.ToPort.V, 10)
		}
	}
	if r.Address != "" {
		s += " (" + r.Address + ")"
	}
	return s
}

// coverage decides whether some 443 target reaches a path of service p.
func coverage(p servicePath, n network, groups []groupEgress, nb *model.NotebookInstance) (tri, string) {
	if p.reachable(n.nat) == no {
		return yes, "no path exists; see " + PrivateServiceAccessID
	}
	type option struct {
		name string
		ok   func(t egressTarget) (tri, string)
	}
	var options []option
	if p.endpoint == yes && p.via != nil {
		ep := p.via
		if strings.EqualFold(endpointType(ep), "Interface") {
			options = append(options, option{"interface endpoint " + ep.Address, func(t egressTarget) (tri, string) {
				switch t.kind {
				case targetCIDR:
					return yes, t.rule + ", assumed to contain the endpoint's subnets (the VPC CIDR is not in the model)"
				case targetGroup, targetSelf:
					if !ep.SecurityGroupIDs.Known() {
						return maybe, "the security groups of " + ep.Address + " cannot be resolved"
					}
					for _, s := range ep.SecurityGroupIDs.Items {
						if refersTo(s, t.value) {
							return yes, t.rule + ", the group of " + ep.Address
						}
					}
				}
				return no, ""
			}})
		} else {
			options = append(options, option{"gateway endpoint " + ep.Address, func(t egressTarget) (tri, string) {
				if t.kind == targetPrefixList {
					return yes, t.rule + " (assumed to be the S3 prefix list)"
				}
				return no, ""
			}})
		}
	}
	if n.nat.has == yes {
		options = append(options, option{"NAT gateway " + n.nat.gateway.Address, func(t egressTarget) (tri, string) {
			if t.kind == targetPrefixList && p.service == "s3" {
				return yes, t.rule + " (assumed to be the S3 prefix list)"
			}
			return no, ""
		}})
	}
	if len(options) == 0 {
		switch {
		case len(p.unknowns) > 0:
			return maybe, "its path is not decided: " + strings.Join(p.unknowns, "; ")
		case n.nat.has == maybe && n.nat.why != "":
			return maybe, "its path is not decided: NAT: " + n.nat.why
		}
		return maybe, "its path is not decided"
	}
	var names []string
	sawMaybe := ""
	for _, o := range options {
		names = append(names, o.name)
		for _, g := range groups {
			for _, t := range g.targets {
				v, why := o.ok(t)
				if v == yes {
					return yes, g.group.Address + ": " + why
				}
				if v == maybe {
					sawMaybe = why
				}
			}
		}
	}
	if sawMaybe != "" {
		return maybe, sawMaybe
	}
	need := "0.0.0.0/0"
	if p.endpoint == yes && strings.EqualFold(endpointType(p.via), "Interface") {
		need = "the VPC CIDR or the endpoint's security group"
	} else if p.endpoint == yes {
		need = "the S3 prefix list"
	}
	return no, fmt.Sprintf("reached through %s, which needs TCP 443 to %s; allowed only toward %s",
		strings.Join(names, " or "), need, narrowTargets(groups))
}

func narrowTargets(groups []groupEgress) string {
	var ts []string
	for _, g := range groups {
		for _, t := range g.targets {
			ts = append(ts, t.rule)
		}
	}
	return strings.Join(dedupe(ts), ", ")
}

func egressSummary(groups []groupEgress) string {
	var parts []string
	for _, g := range groups {
		if len(g.targets) == 0 {
			parts = append(parts, g.group.Address+": no TCP 443 egress")
			continue
		}
		var ts []string
		for _, t := range g.targets {
			ts = append(ts, t.rule)
		}
		parts = append(parts, g.group.Address+": "+strings.Join(ts, ", "))
	}
	if len(parts) == 0 {
		return "no security group in this configuration"
	}
	return strings.Join(parts, "; ")
}

func groupNotes(groups []groupEgress) string {
	var parts []string
	for _, g := range groups {
		note := g.note
		if note == "" {
			var rs []string
			for _, r := range g.group.Egress {
				rs = append(rs, describeRule(r))
			}
			note = "egress allows only " + strings.Join(rs, ", ")
		}
		parts = append(parts, g.group.Address+": "+note)
	}
	return strings.Join(parts, "; ")
}

// undecidedGroups says why the attached groups' egress cannot be fully
// read: rules that cannot be resolved, groups (by ID) defined outside the
// configuration, and group IDs that cannot be resolved (by their reason).
func undecidedGroups(unknownRules, outside, unresolved []string) string {
	var parts []string
	if len(unknownRules) > 0 {
		parts = append(parts, "some rules cannot be resolved ("+strings.Join(unknownRules, "; ")+")")
	}
	switch len(outside) {
	case 0:
	case 1:
		parts = append(parts, "security group "+outside[0]+" is not in this configuration ("+outsideHint+")")
	default:
		parts = append(parts, "security groups "+strings.Join(outside, ", ")+" are not in this configuration ("+outsideHint+")")
	}
	if len(unresolved) > 0 {
		parts = append(parts, "an attached security group cannot be identified before apply ("+strings.Join(unresolved, "; ")+")")
	}
	return strings.Join(parts, " and ")
}

// vpcDefaultGroup is the declared default security group of the VPC of the
// notebook's subnet, or nil when the subnet, its VPC or the group is not in
// the set.
func vpcDefaultGroup(set *model.Set, nb *model.NotebookInstance) *model.SecurityGroup {
	sn := set.SubnetByID(refKey(nb.SubnetID))
	if sn == nil {
		return nil
	}
	for _, g := range set.SecurityGroups {
		if g.VPCDefault && sameResource(g.VpcID, sn.VpcID) == yes {
			return g
		}
	}
	return nil
}

// byReason groups services by the reason they share, so that one cause is
// said once: "sagemaker.api, s3 (why)".
type byReason struct {
	reasons  []string
	services map[string][]string
}

func (b *byReason) add(service, why string) {
	if b.services == nil {
		b.services = map[string][]string{}
	}
	if _, seen := b.services[why]; !seen {
		b.reasons = append(b.reasons, why)
	}
	b.services[why] = append(b.services[why], service)
}

func (b *byReason) render() []string {
	out := make([]string, 0, len(b.reasons))
	for _, why := range b.reasons {
		out = append(out, strings.Join(b.services[why], ", ")+" ("+why+")")
	}
	return out
}
