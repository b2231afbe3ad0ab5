package model

// Field is a model attribute that controls judge and name in findings. Each
// surface spells it its own way (AttributeName): direct_internet_access in
// Terraform, DirectInternetAccess in CloudFormation and the SageMaker API.
type Field string

// The fields controls name in findings.
const (
	FieldDirectInternetAccess Field = "DirectInternetAccess"
	FieldSubnetID             Field = "SubnetId"
	FieldSecurityGroups       Field = "SecurityGroupIds"
	FieldLifecycleConfigName  Field = "LifecycleConfigName"
	FieldAppNetworkAccessType Field = "AppNetworkAccessType"
	FieldPrivateDNSEnabled    Field = "PrivateDnsEnabled"
)

// SurfaceInfo describes one surface for the code that reads the model
// without knowing the surfaces: controls name attributes through it and pick
// remediation text by it. A new surface adds one entry to surfaceInfos.
type SurfaceInfo struct {
	// Name is the surface constant (SurfaceTerraform, ...).
	Name string
	// Base is the surface whose language this surface's resources are
	// written in, whose attribute names and remediation it shares: a plan is
	// Terraform, a CDK assembly is CloudFormation. "" for a language of its own.
	Base string
	// Attributes spells each Field on this surface; a surface with a Base
	// uses the Base's spelling for fields it does not list.
	Attributes map[Field]string
}

var terraformAttributes = map[Field]string{
	FieldDirectInternetAccess: "direct_internet_access",
	FieldSubnetID:             "subnet_id",
	FieldSecurityGroups:       "security_groups",
	FieldLifecycleConfigName:  "lifecycle_config_name",
	FieldAppNetworkAccessType: "app_network_access_type",
	FieldPrivateDNSEnabled:    "private_dns_enabled",
}

// cloudFormationAttributes are also the SageMaker and EC2 API's names, which
// the live surface uses.
var cloudFormationAttributes = map[Field]string{
	FieldDirectInternetAccess: "DirectInternetAccess",
	FieldSubnetID:             "SubnetId",
	FieldSecurityGroups:       "SecurityGroupIds",
	FieldLifecycleConfigName:  "LifecycleConfigName",
	FieldAppNetworkAccessType: "AppNetworkAccessType",
	FieldPrivateDNSEnabled:    "PrivateDnsEnabled",
}

var surfaceInfos = []SurfaceInfo{
	{Name: SurfaceTerraform, Attributes: terraformAttributes},
	{Name: SurfaceTerraformPlan, Base: SurfaceTerraform},
	{Name: SurfaceCloudFormation, Attributes: cloudFormationAttributes},
	{Name: SurfaceCDK, Base: SurfaceCloudFormation},
	{Name: SurfaceAWS, Attributes: cloudFormationAttributes},
}

// Surfaces lists every surface name, in a fixed order.
func Surfaces() []string {
	out := make([]string, 0, len(surfaceInfos))
	for _, s := range surfaceInfos {
		out = append(out, s.Name)
	}
	return out
}

// Surface returns the description of a surface; ok is false for an unknown name.
func Surface(name string) (SurfaceInfo, bool) {
	for _, s := range surfaceInfos {
		if s.Name == name {
			return s, true
		}
	}
	return SurfaceInfo{}, false
}

// BaseLanguage follows a surface's Base to the surface whose language it
// is written in: terraform for a plan, cloudformation for a CDK assembly,
// the surface itself otherwise.
func BaseLanguage(surface string) string {
	for {
		info, ok := Surface(surface)
		if !ok || info.Base == "" {
			return surface
		}
		surface = info.Base
	}
}

// AttributeName spells field f the way surface writes it, following the
// surface's Base; the Field itself (the API's name) when the surface is
// unknown or does not list it.
func AttributeName(surface string, f Field) string {
	for name := surface; name != ""; {
		info, ok := Surface(name)
		if !ok {
			break
		}
		if a, ok := info.Attributes[f]; ok {
			return a
		}
		name = info.Base
	}
	return string(f)
}
