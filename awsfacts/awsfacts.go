// Package awsfacts is what sagefence knows about AWS itself, written once:
// what a route target is, which values the services default to when an
// attribute is omitted, which attributes cannot change without replacing the
// resource, and the names of the VPC endpoint services a private notebook
// needs. Every surface (Terraform source, plan JSON, CloudFormation, live),
// every control and `fix` read these facts from here, so that the surfaces
// agree by construction.
//
// The package imports nothing of sagefence's: it speaks in resource types,
// attribute names and identifiers, not in model values.
package awsfacts

import (
	"regexp"
	"sort"
	"strings"
)

// RouteTarget is the kind of resource a route sends traffic to.
type RouteTarget string

// Route target kinds. TargetUnknown means the target could not be resolved
// (a value known only after apply, an unresolved parameter).
const (
	TargetUnknown RouteTarget = ""
	// TargetNAT is a NAT gateway (nat-…).
	TargetNAT RouteTarget = "nat"
	// TargetInternetGateway is an internet gateway (igw-…): a direct path to
	// the internet for interfaces with a public IP.
	TargetInternetGateway RouteTarget = "igw"
	// TargetEgressOnlyInternetGateway is an egress-only internet gateway
	// (eigw-…): outbound IPv6 only, it never carries IPv4 traffic.
	TargetEgressOnlyInternetGateway RouteTarget = "eigw"
	// TargetVPCEndpoint is a gateway or Gateway Load Balancer endpoint (vpce-…).
	TargetVPCEndpoint RouteTarget = "vpce"
	// TargetVirtualPrivateGateway is a VPN gateway (vgw-…): traffic goes to
	// the customer network, not to an internet gateway.
	TargetVirtualPrivateGateway RouteTarget = "vgw"
	// TargetTransitGateway is a transit gateway (tgw-…).
	TargetTransitGateway RouteTarget = "tgw"
	// TargetPeering is a VPC peering connection (pcx-…).
	TargetPeering RouteTarget = "pcx"
	// TargetNetworkInterface is an elastic network interface (eni-…), e.g. a firewall appliance.
	TargetNetworkInterface RouteTarget = "eni"
	// TargetInstance is an EC2 instance (i-…), e.g. a NAT instance.
	TargetInstance RouteTarget = "instance"
	// TargetCarrierGateway is a Wavelength carrier gateway (cagw-…).
	TargetCarrierGateway RouteTarget = "cagw"
	// TargetLocalGateway is an Outposts local gateway (lgw-…).
	TargetLocalGateway RouteTarget = "lgw"
	// TargetLocal is the VPC's own CIDR ("local").
	TargetLocal RouteTarget = "local"
	// TargetCoreNetwork is a Cloud WAN core network (an ARN).
	TargetCoreNetwork RouteTarget = "core-network"
	// TargetOther is a resolved target of no kind above (an unrecognised
	// identifier, a reference to an unrelated resource type).
	TargetOther RouteTarget = "other"
	// targetByValue marks gateway_id / GatewayId, which names internet
	// gateways, virtual private gateways and gateway endpoints alike: the
	// identifier or the linked resource decides.
	targetByValue RouteTarget = "?"
)

// IsInternetGateway reports whether the target is an internet gateway (the
// only target that sends IPv4 traffic straight to the internet).
func (k RouteTarget) IsInternetGateway() bool { return k == TargetInternetGateway }

// RouteTargetAttribute is one attribute of a route that names its target,
// with its spelling on each surface.
type RouteTargetAttribute struct {
	// Terraform is the attribute of aws_route and of route blocks.
	Terraform string
	// CloudFormation is the property of AWS::EC2::Route.
	CloudFormation string
	// Live is the field of the EC2 API's Route (DescribeRouteTables); ""
	// when the API reports the target in another field (gateway endpoints
	// appear in GatewayId).
	Live string
	kind RouteTarget
}

// ByValue reports whether the attribute names several kinds of target
// (gateway_id), so that the kind comes from the value.
func (a RouteTargetAttribute) ByValue() bool { return a.kind == targetByValue }

// Kind returns the kind of target the attribute names; for gateway_id use
// ClassifyRouteTarget.
func (a RouteTargetAttribute) Kind() RouteTarget { return a.kind }

// RouteTargetAttributes lists every route target attribute, in the order the
// surfaces look for them (a route has exactly one target).
var RouteTargetAttributes = []RouteTargetAttribute{
	{"nat_gateway_id", "NatGatewayId", "NatGatewayId", TargetNAT},
	{"gateway_id", "GatewayId", "GatewayId", targetByValue},
	{"vpc_endpoint_id", "VpcEndpointId", "", TargetVPCEndpoint},
	{"egress_only_gateway_id", "EgressOnlyInternetGatewayId", "EgressOnlyInternetGatewayId", TargetEgressOnlyInternetGateway},
	{"transit_gateway_id", "TransitGatewayId", "TransitGatewayId", TargetTransitGateway},
	{"vpc_peering_connection_id", "VpcPeeringConnectionId", "VpcPeeringConnectionId", TargetPeering},
	{"network_interface_id", "NetworkInterfaceId", "NetworkInterfaceId", TargetNetworkInterface},
	{"instance_id", "InstanceId", "InstanceId", TargetInstance},
	{"carrier_gateway_id", "CarrierGatewayId", "CarrierGatewayId", TargetCarrierGateway},
	{"local_gateway_id", "LocalGatewayId", "LocalGatewayId", TargetLocalGateway},
	{"core_network_arn", "CoreNetworkArn", "CoreNetworkArn", TargetCoreNetwork},
}

// idPrefixes classify identifiers by their prefix.
var idPrefixes = []struct {
	prefix string
	kind   RouteTarget
}{
	{"nat-", TargetNAT},
	{"igw-", TargetInternetGateway},
	{"eigw-", TargetEgressOnlyInternetGateway},
	{"vpce-", TargetVPCEndpoint},
	{"vgw-", TargetVirtualPrivateGateway},
	{"tgw-", TargetTransitGateway},
	{"pcx-", TargetPeering},
	{"eni-", TargetNetworkInterface},
	{"i-", TargetInstance},
	{"cagw-", TargetCarrierGateway},
	{"lgw-", TargetLocalGateway},
}

// RouteTargetOfID classifies a literal target identifier: igw-… is an
// internet gateway, vgw-… a virtual private gateway, "local" the VPC itself,
// a Cloud WAN ARN a core network. An empty ID is TargetUnknown; an
// unrecognised one is TargetOther.
func RouteTargetOfID(id string) RouteTarget {
	switch {
	case id == "":
		return TargetUnknown
	case id == "local":
		return TargetLocal
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":core-network/"):
		return TargetCoreNetwork
	}
	for _, p := range idPrefixes {
		if strings.HasPrefix(id, p.prefix) {
			return p.kind
		}
	}
	return TargetOther
}

// resourceTargets maps resource types (Terraform and CloudFormation) that a
// route can name to the kind of target they are.
var resourceTargets = map[string]RouteTarget{
	"aws_nat_gateway":                     TargetNAT,
	"AWS::EC2::NatGateway":                TargetNAT,
	"aws_internet_gateway":                TargetInternetGateway,
	"AWS::EC2::InternetGateway":           TargetInternetGateway,
	"aws_egress_only_internet_gateway":    TargetEgressOnlyInternetGateway,
	"AWS::EC2::EgressOnlyInternetGateway": TargetEgressOnlyInternetGateway,
	"aws_vpc_endpoint":                    TargetVPCEndpoint,
	"AWS::EC2::VPCEndpoint":               TargetVPCEndpoint,
	"aws_vpn_gateway":                     TargetVirtualPrivateGateway,
	"AWS::EC2::VPNGateway":                TargetVirtualPrivateGateway,
	"aws_ec2_transit_gateway":             TargetTransitGateway,
	"AWS::EC2::TransitGateway":            TargetTransitGateway,
	"aws_vpc_peering_connection":          TargetPeering,
	"AWS::EC2::VPCPeeringConnection":      TargetPeering,
	"aws_network_interface":               TargetNetworkInterface,
	"AWS::EC2::NetworkInterface":          TargetNetworkInterface,
	"aws_instance":                        TargetInstance,
	"AWS::EC2::Instance":                  TargetInstance,
	"aws_ec2_carrier_gateway":             TargetCarrierGateway,
	"AWS::EC2::CarrierGateway":            TargetCarrierGateway,
}

// RouteTargetOfResourceType classifies the resource a route target refers
// to by its type; a type that is no route target is TargetOther.
func RouteTargetOfResourceType(resourceType string) RouteTarget {
	if k, ok := resourceTargets[resourceType]; ok {
		return k
	}
	return TargetOther
}

// gatewayIDTargets are the kinds gateway_id / GatewayId can name.
var gatewayIDTargets = []RouteTarget{TargetInternetGateway, TargetVirtualPrivateGateway, TargetVPCEndpoint}

// ResourceTypes lists the resource types (Terraform and CloudFormation,
// sorted) that attribute a can refer to: for gateway_id internet gateways,
// virtual private gateways and VPC endpoints.
func (a RouteTargetAttribute) ResourceTypes() []string {
	kinds := []RouteTarget{a.kind}
	if a.ByValue() {
		kinds = gatewayIDTargets
	}
	var out []string
	for typ, k := range resourceTargets {
		for _, want := range kinds {
			if k == want {
				out = append(out, typ)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ClassifyRouteTarget decides the kind of a route's target written in
// attribute a. linkedType is the type of the resource the value refers to
// ("" when it is not a reference to a known resource), id the literal
// identifier ("" when not literal), resolved whether the value is known.
// An attribute that names one kind of target decides alone, even when its
// value is not known yet; gateway_id is decided by the linked type, else the
// identifier, else it is unknown.
func ClassifyRouteTarget(a RouteTargetAttribute, linkedType, id string, resolved bool) RouteTarget {
	switch {
	case !a.ByValue():
		return a.kind
	case linkedType != "":
		return RouteTargetOfResourceType(linkedType)
	case id != "":
		return RouteTargetOfID(id)
	case !resolved:
		return TargetUnknown
	}
	return TargetOther
}

// Service values and defaults. An omitted attribute takes the service
// default; every surface fills it and every control judges against it.
const (
	// DirectInternetAccess of a notebook instance.
	DirectInternetAccessEnabled  = "Enabled"
	DirectInternetAccessDisabled = "Disabled"
	// DefaultDirectInternetAccess applies when DirectInternetAccess is omitted.
	DefaultDirectInternetAccess = DirectInternetAccessEnabled

	// AppNetworkAccessType of a Studio domain.
	AppNetworkAccessPublicInternetOnly = "PublicInternetOnly"
	AppNetworkAccessVpcOnly            = "VpcOnly"
	// DefaultAppNetworkAccessType applies when AppNetworkAccessType is omitted.
	DefaultAppNetworkAccessType = AppNetworkAccessPublicInternetOnly

	// VPC endpoint types.
	EndpointTypeGateway   = "Gateway"
	EndpointTypeInterface = "Interface"
	// DefaultEndpointType applies when VpcEndpointType is omitted.
	DefaultEndpointType = EndpointTypeGateway
	// DefaultPrivateDNSEnabled applies when PrivateDnsEnabled is omitted
	// (Terraform and CloudFormation; the console turns it on).
	DefaultPrivateDNSEnabled = false

	// NATGatewayAvailable and EndpointAvailable are the live states in which
	// the resource carries traffic.
	NATGatewayAvailable = "available"
	EndpointAvailable   = "available"

	// AnyIPv4 is the default IPv4 route's destination.
	AnyIPv4 = "0.0.0.0/0"
)

// EndpointService is a VPC endpoint service a notebook without direct
// internet access needs.
type EndpointService struct {
	// Suffix follows com.amazonaws.<region>.: "sagemaker.api".
	Suffix string
	// Type is the endpoint type that serves it from a private subnet.
	Type string
}

// NotebookServices are the services a notebook with direct internet access
// disabled must reach (through endpoints or a NAT gateway): the SageMaker
// API, the SageMaker runtime and S3.
var NotebookServices = []EndpointService{
	{"sagemaker.api", EndpointTypeInterface},
	{"sagemaker.runtime", EndpointTypeInterface},
	{"s3", EndpointTypeGateway},
}

// ServiceName renders com.amazonaws.<region>.<suffix>; an empty region
// renders as <region>.
func ServiceName(region, suffix string) string {
	if region == "" {
		region = "<region>"
	}
	return "com.amazonaws." + region + "." + suffix
}

// regionRe matches an AWS region name (us-east-1, us-gov-west-1, cn-north-1).
var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// IsRegion reports whether s is shaped like an AWS region name.
func IsRegion(s string) bool { return regionRe.MatchString(s) }

// ParseServiceName splits an endpoint service name (com.amazonaws.<region>.<service>,
// cn.com.amazonaws.… in China) when its service is one of NotebookServices:
// it returns the suffix and the region ("" when the region part is not a
// literal region, e.g. a ${AWS::Region} left in a template). ok is false for
// any other service.
func ParseServiceName(name string) (suffix, region string, ok bool) {
	rest := name
	for _, p := range []string{"cn.com.amazonaws.", "com.amazonaws."} {
		if strings.HasPrefix(rest, p) {
			rest = strings.TrimPrefix(rest, p)
			break
		}
	}
	for _, svc := range NotebookServices {
		if strings.HasSuffix(rest, "."+svc.Suffix) {
			region = strings.TrimSuffix(rest, "."+svc.Suffix)
			if !IsRegion(region) {
				region = ""
			}
			return svc.Suffix, region, true
		}
	}
	return "", "", false
}

// Replacement facts: attributes a provider cannot change in place
// (Terraform ForceNew, CloudFormation createOnlyProperties). Changing one
// destroys and recreates the resource.
var replacementAttributes = map[string][]string{
	"aws_sagemaker_notebook_instance":  {"direct_internet_access", "subnet_id", "security_groups", "kms_key_id", "name"},
	"AWS::SageMaker::NotebookInstance": {"DirectInternetAccess", "SubnetId", "SecurityGroupIds", "KmsKeyId", "NotebookInstanceName"},
	"aws_sagemaker_domain":             {"domain_name", "auth_mode", "vpc_id", "kms_key_id"},
	"AWS::SageMaker::Domain":           {"DomainName", "AuthMode", "VpcId", "KmsKeyId"},
}

// ForcesReplacement reports whether changing attribute of resourceType
// replaces the resource (Terraform ForceNew, CloudFormation createOnly).
// AppNetworkAccessType is not one of them: it changes in place once no
// Studio app runs.
func ForcesReplacement(resourceType, attribute string) bool {
	for _, a := range replacementAttributes[resourceType] {
		if a == attribute {
			return true
		}
	}
	return false
}
