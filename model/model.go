// Package model is the normalized view of SageMaker notebooks, Studio domains and
// the network around them that every surface (Terraform source, Terraform plan
// JSON, CloudFormation, CDK, live AWS) fills and every control reads.
//
// Contract:
//   - A Set is one evaluation unit: a Terraform root module, one CloudFormation
//     template, one account+region of a live audit. References between resources
//     (a notebook's subnet, a route table's NAT gateway) only resolve inside the
//     Set that holds them; keys from different Sets never meet.
//   - Every attribute a control reads is a Str, List, Bool, Int or Script that
//     says how it was resolved (explicit, default, unknown with the reason),
//     where it was written (Range) and, when it was not written as a literal
//     there, the steps it came through (Provenance: variables, tfvars, module
//     arguments, parameters, mappings; see provenance.go). Surfaces fill it as
//     data; only the finding layer renders it as prose.
//   - A resource removed by count = 0, an empty for_each or a false
//     CloudFormation Condition is not in the Set at all.
//   - Surfaces never decide pass or fail; controls never parse files.
package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/awsfacts"
)

// Resolution says how a value was obtained.
type Resolution string

const (
	// Explicit: written in the source (directly or through variables, locals,
	// parameters) or set in the live account.
	Explicit Resolution = "explicit"
	// Default: omitted; the provider/service default applies.
	Default Resolution = "default"
	// Unknown: cannot be known before apply, or could not be read; Reason says why.
	Unknown Resolution = "unknown"
)

// Surface names, as they appear in findings (OUTPUT.md).
const (
	SurfaceTerraform      = "terraform"
	SurfaceTerraformPlan  = "terraform-plan"
	SurfaceCloudFormation = "cloudformation"
	SurfaceCDK            = "cdk"
	SurfaceAWS            = "aws"
)

// Range is a 1-based, inclusive line range in a file. File is the path as
// reached from the scanned argument. A zero Range means "no source location"
// (live resources).
type Range struct {
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// IsZero reports whether the range carries no location.
func (r Range) IsZero() bool { return r.File == "" }

// String renders file:line, or "" for a zero range.
func (r Range) String() string {
	if r.IsZero() {
		return ""
	}
	if r.StartLine == 0 {
		return r.File
	}
	return r.File + ":" + strconv.Itoa(r.StartLine)
}

// Str is a resolved string attribute.
//
// When Resolution is Unknown, V is meaningless and Reason names exactly what is
// missing ("var.subnet has no value", "aws_subnet.a.id is known only after apply").
// Ref, when set, is the key (see Meta.Key) of the resource in the same Set whose
// identifier this value is: `subnet_id = aws_subnet.a.id` gives Ref "aws_subnet.a"
// with Resolution Explicit even though the ID itself is not known before apply.
// Live values set Ref to the literal ID so that look-ups work the same way.
type Str struct {
	V          string
	Ref        string
	Resolution Resolution
	// Reason explains an Unknown value.
	Reason string
	// Present, for an Unknown value, says the attribute is certainly set
	// (never omitted or null) although its value is known only at plan or
	// deploy time: a data-source attribute, Fn::ImportValue, Fn::GetAtt, a
	// dynamic reference. False: it is not known whether it is set. Controls
	// that need only presence (a subnet is set) decide from it; Reason still
	// says where the value comes from.
	Present bool
	// Provenance is where a non-literal value came from (var.internet_access's
	// default in variables.tf:4), as data; formatters render it. Empty for
	// literals and omitted values.
	Provenance Provenance
	// Range is where the attribute is written; zero when omitted.
	Range Range
}

// Known reports whether the value was resolved (explicitly or by default).
func (s Str) Known() bool { return s.Resolution != Unknown && s.Resolution != "" }

// Set reports whether the attribute was written (explicit), as opposed to omitted or unknown.
func (s Str) IsSet() bool { return s.Resolution == Explicit }

// Display renders the value for "observed": the literal, else the reference.
func (s Str) Display() string {
	if s.V != "" || s.Ref == "" {
		return s.V
	}
	return s.Ref + ".id"
}

// List is a resolved list/set attribute (security groups, subnet IDs).
// Resolution applies to the list as a whole: Unknown when its length is not
// known. Individual items may still be Unknown.
type List struct {
	Items      []Str
	Resolution Resolution
	Reason     string
	Provenance Provenance
	Range      Range
}

// Known reports whether the list itself was resolved.
func (l List) Known() bool { return l.Resolution != Unknown && l.Resolution != "" }

// Bool is a resolved boolean attribute (private_dns_enabled).
type Bool struct {
	V          bool
	Resolution Resolution
	Reason     string
	Provenance Provenance
	Range      Range
}

// Known reports whether the value was resolved.
func (b Bool) Known() bool { return b.Resolution != Unknown && b.Resolution != "" }

// Int is a resolved integer attribute (ports).
type Int struct {
	V          int64
	Resolution Resolution
	Reason     string
	Provenance Provenance
	Range      Range
}

// Known reports whether the value was resolved.
func (i Int) Known() bool { return i.Resolution != Unknown && i.Resolution != "" }

// Suppression waives fails of the listed controls on one resource.
type Suppression struct {
	// Source names the syntax: "checkov", "trivy", "tfsec", "sagefence",
	// "cfn_nag", "cfn-guard", "config".
	Source string `json:"source"`
	// IDs are control IDs or aliases as written (CKV_AWS_122, SageMaker.1, ...).
	// The engine resolves them against the control catalog.
	IDs    []string `json:"-"`
	Reason string   `json:"reason"`
	// Expires is YYYY-MM-DD or empty; an expired suppression does not apply.
	Expires string `json:"expires,omitempty"`
	Range   Range  `json:"-"`
}

// Meta is what every resource carries.
type Meta struct {
	Surface string
	// Type is the resource type as the surface names it:
	// aws_sagemaker_notebook_instance, AWS::SageMaker::NotebookInstance, ...
	Type string
	// Address: Terraform address with module path and instance key; CFN logical
	// ID; live resource name or ID.
	Address string
	// Key identifies the resource inside its Set for references (Str.Ref). For
	// Terraform it is the address; for CloudFormation the logical ID; live, the
	// resource ID (subnet-..., sg-...). Defaults to Address when empty.
	Key string
	// Name is the resource's own name (notebook instance name) when known.
	Name    string
	ARN     string
	Region  string
	Account string
	// Path is the CDK construct path (aws:cdk:path).
	Path string
	// Stack is the CloudFormation/CDK stack name when known.
	Stack string
	// Root is the Terraform root module's directory as reached from the
	// scanned argument ("." for the argument itself); empty on other surfaces.
	Root         string
	Range        Range
	Suppressions []Suppression
	// Notes are surface-specific facts controls may add to their message, e.g.
	// a plan that replaces the resource.
	Notes []string
	// ModuleCalls are the Terraform module blocks through which the resource
	// was reached, outermost first (each Range is a module block, in its
	// caller's file); empty in a root module and on other surfaces. fix
	// passes new inputs up through them.
	ModuleCalls []Range
	// Managed is true when the resource is managed by the IaC that declared it
	// (Terraform, CloudFormation). It changes defaults: a Terraform-managed
	// security group with no egress has none.
	Managed bool
}

// ID returns Key, falling back to Address.
func (m Meta) ID() string {
	if m.Key != "" {
		return m.Key
	}
	return m.Address
}

// NotebookInstance is aws_sagemaker_notebook_instance / AWS::SageMaker::NotebookInstance.
type NotebookInstance struct {
	Meta
	DirectInternetAccess Str
	SubnetID             Str
	SecurityGroups       List
	// LifecycleConfigName refers (Ref) to a LifecycleConfig in the Set when possible.
	LifecycleConfigName Str
	// Replaced is true when a Terraform plan replaces this notebook.
	Replaced bool
	// Status is the live NotebookInstanceStatus.
	Status string
	// Live holds the full live description for remediation; nil for IaC.
	Live map[string]any
}

// Domain is aws_sagemaker_domain / AWS::SageMaker::Domain.
type Domain struct {
	Meta
	AppNetworkAccessType Str
	VpcID                Str
	SubnetIDs            List
	Status               string
}

// Script is one decoded lifecycle hook.
type Script struct {
	// Hook is "on_create" or "on_start".
	Hook string
	// Content is the decoded shell script; valid when Resolution is not Unknown.
	Content    string
	Resolution Resolution
	Reason     string
	// File is the script file the content was read from (file(), filebase64(),
	// templatefile()), when known; lines in findings are relative to Content.
	File string
	// Provenance is where a non-literal script came from (a variable, a
	// parameter), as for Str.
	Provenance Provenance
	Range      Range
}

// LifecycleConfig is a notebook lifecycle configuration.
type LifecycleConfig struct {
	Meta
	Scripts []Script
}

// Subnet is aws_subnet / AWS::EC2::Subnet / a live subnet.
type Subnet struct {
	Meta
	VpcID Str
}

// Route is one route of a route table.
type Route struct {
	Destination Str // CIDR, e.g. 0.0.0.0/0
	// TargetKind is what the route sends traffic to, classified by
	// awsfacts.ClassifyRouteTarget on every surface; awsfacts.TargetUnknown
	// when it cannot be resolved.
	TargetKind awsfacts.RouteTarget
	Target     Str // Ref to the NAT gateway etc. when in the Set
	Range      Range
}

// RouteTable is aws_route_table (+ aws_route, associations) / AWS::EC2::RouteTable.
type RouteTable struct {
	Meta
	VpcID Str
	// Main is true for the VPC's main route table (aws_default_route_table,
	// aws_main_route_table_association, live association.main).
	Main bool
	// Subnets are the explicitly associated subnets.
	Subnets []Str
	Routes  []Route
	// Complete is false when some routes or associations could not be resolved.
	Complete bool
	Reason   string
}

// NATGateway is aws_nat_gateway / AWS::EC2::NatGateway.
type NATGateway struct {
	Meta
	SubnetID Str
	// State is the live state ("available"); empty for IaC.
	State string
}

// VPCEndpoint is aws_vpc_endpoint / AWS::EC2::VPCEndpoint.
type VPCEndpoint struct {
	Meta
	VpcID Str
	// ServiceName is com.amazonaws.<region>.<service>. When only the region
	// part is unknown (${data.aws_region.current.name}, ${AWS::Region} without
	// --region), a surface may leave it Unknown with the template text in V:
	// controls then match it by its service suffix.
	ServiceName Str
	// Type: Interface | Gateway | ... ; default Gateway.
	Type              Str
	PrivateDNSEnabled Bool
	RouteTableIDs     List
	SubnetIDs         List
	SecurityGroupIDs  List
	State             string
}

// SGRule is one egress (or ingress) permission.
type SGRule struct {
	// Protocol: "-1" for all, "tcp", "udp", "icmp", or a number; normalized lower-case.
	Protocol Str
	FromPort Int
	ToPort   Int
	CIDRs    []Str // IPv4 and IPv6
	// PrefixListIDs and SecurityGroups are the other target kinds.
	PrefixListIDs  []Str
	SecurityGroups []Str
	Self           bool
	Range          Range
	// Address of the separate rule resource, when the rule is not inline.
	Address string
}

// SecurityGroup is aws_security_group (+ rule resources) / AWS::EC2::SecurityGroup.
type SecurityGroup struct {
	Meta
	VpcID Str
	// EgressDeclared: the configuration states the group's egress (inline
	// blocks, egress = [], or rule resources). When false and Managed is true
	// (Terraform), the group has no egress; live groups always declare theirs.
	// CloudFormation differs: AWS removes its default allow-all egress rule
	// only when the SecurityGroupEgress property lists rules, so a CFN surface
	// sets EgressDeclared only for that property; rules of separate
	// AWS::EC2::SecurityGroupEgress resources go in Egress either way and add
	// to the default rule when EgressDeclared is false.
	EgressDeclared bool
	Egress         []SGRule
	// DefaultEgress is true when Egress holds AWS's default allow-all rule
	// because the IaC that created the group does not replace it: a
	// CloudFormation group without inline SecurityGroupEgress keeps it (rules
	// from separate SecurityGroupEgress resources are added beside it). Such
	// a surface sets EgressDeclared, since Egress is then the group's real egress.
	DefaultEgress bool
	// EgressComplete is false when some rule could not be resolved.
	EgressComplete bool
	// VPCDefault is true for the VPC's default security group
	// (aws_default_security_group, a live group named "default"), which AWS
	// attaches to a notebook that has a subnet and no security groups.
	VPCDefault bool
	Reason     string
}

// Kind names a kind of resource of the model: what a control reads and what a
// Gap may hide.
type Kind string

// The model's resource kinds, one per resource list of a Set.
const (
	KindNotebookInstance Kind = "notebook_instance"
	KindDomain           Kind = "domain"
	KindLifecycleConfig  Kind = "lifecycle_config"
	KindSubnet           Kind = "subnet"
	KindRouteTable       Kind = "route_table"
	KindNATGateway       Kind = "nat_gateway"
	KindVPCEndpoint      Kind = "vpc_endpoint"
	KindSecurityGroup    Kind = "security_group"
)

// AllKinds lists every Kind, in the order of the Set's fields.
func AllKinds() []Kind {
	return []Kind{KindNotebookInstance, KindDomain, KindLifecycleConfig, KindSubnet, KindRouteTable,
		KindNATGateway, KindVPCEndpoint, KindSecurityGroup}
}

// kindTypes names each kind the way each surface family writes it.
var kindTypes = map[Kind][3]string{ // terraform, cloudformation, live
	KindNotebookInstance: {"aws_sagemaker_notebook_instance", "AWS::SageMaker::NotebookInstance", "notebook instance"},
	KindDomain:           {"aws_sagemaker_domain", "AWS::SageMaker::Domain", "Studio domain"},
	KindLifecycleConfig: {"aws_sagemaker_notebook_instance_lifecycle_configuration",
		"AWS::SageMaker::NotebookInstanceLifecycleConfig", "notebook lifecycle configuration"},
	KindSubnet:        {"aws_subnet", "AWS::EC2::Subnet", "subnet"},
	KindRouteTable:    {"aws_route_table", "AWS::EC2::RouteTable", "route table"},
	KindNATGateway:    {"aws_nat_gateway", "AWS::EC2::NatGateway", "NAT gateway"},
	KindVPCEndpoint:   {"aws_vpc_endpoint", "AWS::EC2::VPCEndpoint", "VPC endpoint"},
	KindSecurityGroup: {"aws_security_group", "AWS::EC2::SecurityGroup", "security group"},
}

// TypeName is the kind's resource type on a surface (aws_subnet,
// AWS::EC2::Subnet, "subnet" for live resources); the kind itself when unknown.
func (k Kind) TypeName(surface string) string {
	t, ok := kindTypes[k]
	if !ok {
		return string(k)
	}
	switch BaseLanguage(surface) {
	case SurfaceTerraform:
		return t[0]
	case SurfaceCloudFormation:
		return t[1]
	}
	return t[2]
}

// GapKind says why a scope could not be seen (OUTPUT.md, format 1.2).
type GapKind string

const (
	// GapModuleNotDownloaded: a Terraform module call whose source is not on disk.
	GapModuleNotDownloaded GapKind = "module_not_downloaded"
	// GapUnknownCount: a count that is unknown before apply (or invalid).
	GapUnknownCount GapKind = "unknown_count"
	// GapUnknownForEach: a for_each (Terraform or Fn::ForEach) that cannot be expanded.
	GapUnknownForEach GapKind = "unknown_for_each"
	// GapInputUnreadable: a tfvars, var file, parameter file or override that could not be read or parsed.
	GapInputUnreadable GapKind = "input_unreadable"
	// GapOutsideScanRoot: a file function or template path that was not followed.
	GapOutsideScanRoot GapKind = "outside_scan_root"
	// GapRegionUnreachable: a live account or region (or one of its APIs) that could not be read.
	GapRegionUnreachable GapKind = "region_unreachable"
	// GapAccessDenied: a live account or region (or one of its APIs) that refused the caller.
	GapAccessDenied GapKind = "access_denied"
)

// Gap is a scope the scan could not see: a module that was not downloaded, a
// count unknown before apply, a region that answered AccessDenied. A Gap is one
// cause, reported once (not one unknown per control). Meta locates it (Address
// is the module call, resource or region; Range where it is written). Hides
// lists the kinds of resource the scope may hold; the engine reports the gap
// only when a selected control reads one of them (see control.Reads), so a
// gap that can hide nothing any control looks at is dropped.
type Gap struct {
	Meta
	Kind GapKind
	// Hides are the kinds of resource the unseen scope may hold; empty means all.
	Hides []Kind
	// Reason says what could not be seen and why, in one sentence.
	Reason string
	// Hint is what the user can do about it ("run terraform init in infra/").
	Hint string
	// Source and Version are a module call's source and version constraint.
	Source  string
	Version string
}

// HidesKind reports whether the gap may hide a resource of kind k.
func (g *Gap) HidesKind(k Kind) bool {
	if len(g.Hides) == 0 {
		return true
	}
	for _, h := range g.Hides {
		if h == k {
			return true
		}
	}
	return false
}

// Set is one evaluation unit (see the package contract).
type Set struct {
	Surface          string
	Notebooks        []*NotebookInstance
	Domains          []*Domain
	LifecycleConfigs []*LifecycleConfig
	Subnets          []*Subnet
	RouteTables      []*RouteTable
	NATGateways      []*NATGateway
	VPCEndpoints     []*VPCEndpoint
	SecurityGroups   []*SecurityGroup
	Gaps             []*Gap
	// Sensitive are values the configuration declares sensitive (Terraform
	// sensitive = true variables and sensitive(), CloudFormation NoEcho
	// parameters) that reached this set's resources, as strings (a
	// multi-line value also line by line). Findings that quote them are
	// redacted before any output (package redact).
	Sensitive []string
}

// Error is an input that could not be read, parsed or reached. The rest of the
// scan goes on; the CLI exits 2 when there is no fail.
type Error struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
	Message string `json:"message"`
}

// Error implements error: "file:line: message" or "account/region: message".
func (e Error) Error() string {
	var where []string
	switch {
	case e.File != "" && e.Line > 0:
		where = append(where, fmt.Sprintf("%s:%d", e.File, e.Line))
	case e.File != "":
		where = append(where, e.File)
	}
	if e.Account != "" {
		where = append(where, "account "+e.Account)
	}
	if e.Region != "" {
		where = append(where, "region "+e.Region)
	}
	if len(where) == 0 {
		return e.Message
	}
	return strings.Join(where, " ") + ": " + e.Message
}
