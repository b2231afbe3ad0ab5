package model

import "testing"

// TestEverySurfaceNamesEveryField: controls name attributes only through
// AttributeName, so every surface must spell every field, itself or through
// its Base.
func TestEverySurfaceNamesEveryField(t *testing.T) {
	fields := []Field{FieldDirectInternetAccess, FieldSubnetID, FieldSecurityGroups, FieldLifecycleConfigName,
		FieldAppNetworkAccessType, FieldPrivateDNSEnabled}
	for _, s := range Surfaces() {
		info, _ := Surface(s)
		for _, f := range fields {
			found := false
			for name := s; name != ""; {
				i, ok := Surface(name)
				if !ok {
					t.Fatalf("surface %s has an unknown base %s", s, name)
				}
				if _, ok := i.Attributes[f]; ok {
					found = true
					break
				}
				name = i.Base
			}
			if !found {
				t.Errorf("surface %s (base %q) does not name %s", s, info.Base, f)
			}
		}
	}
	for surface, want := range map[string]string{
		SurfaceTerraform: "subnet_id", SurfaceTerraformPlan: "subnet_id", SurfaceCloudFormation: "SubnetId",
		SurfaceCDK: "SubnetId", SurfaceAWS: "SubnetId", "unknown-surface": "SubnetId",
	} {
		if got := AttributeName(surface, FieldSubnetID); got != want {
			t.Errorf("AttributeName(%s, subnet) = %q, want %q", surface, got, want)
		}
	}
}
