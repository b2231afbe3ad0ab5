package terraform

import (
	"strings"
	"testing"

	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// A network resource whose count is unknown leaves the picture it belongs
// to incomplete (or, for resources the model cannot represent, a Gap for
// the network-dependent controls) instead of being left out.
func TestUncountedNetworkResources(t *testing.T) {
	const base = `
variable "n" { type = number }
resource "aws_route_table" "rt" { vpc_id = "vpc-1" }
resource "aws_route_table" "other" { vpc_id = "vpc-1" }
resource "aws_security_group" "sg" { vpc_id = "vpc-1" }
resource "aws_vpc_endpoint" "s3" {
  vpc_id          = "vpc-1"
  service_name    = "com.amazonaws.eu-west-1.s3"
  route_table_ids = []
}
`
	tests := []struct {
		name  string
		extra string
		check func(t *testing.T, set *model.Set)
	}{
		{"route marks its table", `
resource "aws_route" "nat" {
  count                  = var.n
  route_table_id         = aws_route_table.rt.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = "nat-1"
}`, func(t *testing.T, set *model.Set) {
			for _, rt := range set.RouteTables {
				wantComplete := rt.Address == "aws_route_table.other"
				if rt.Complete != wantComplete || len(rt.Routes) != 0 {
					t.Errorf("%s: complete %v routes %d", rt.Address, rt.Complete, len(rt.Routes))
				}
				if !wantComplete && !strings.Contains(rt.Reason, "aws_route.nat may or may not exist") {
					t.Errorf("%s: reason %q", rt.Address, rt.Reason)
				}
			}
		}},
		{"association marks every table", `
resource "aws_route_table_association" "a" {
  count          = var.n
  subnet_id      = "subnet-1"
  route_table_id = aws_route_table.rt.id
}`, func(t *testing.T, set *model.Set) {
			for _, rt := range set.RouteTables {
				if rt.Complete {
					t.Errorf("%s is complete", rt.Address)
				}
			}
		}},
		{"endpoint association adds an unknown route table", `
resource "aws_vpc_endpoint_route_table_association" "a" {
  for_each        = toset(var.n > 0 ? ["x"] : [])
  vpc_endpoint_id = aws_vpc_endpoint.s3.id
  route_table_id  = aws_route_table.rt.id
}`, func(t *testing.T, set *model.Set) {
			ids := set.VPCEndpoints[0].RouteTableIDs
			if len(ids.Items) != 1 || ids.Items[0].Known() {
				t.Errorf("route table ids %+v", ids)
			}
		}},
		{"egress rule marks its group", `
resource "aws_vpc_security_group_egress_rule" "https" {
  count             = var.n
  security_group_id = aws_security_group.sg.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}`, func(t *testing.T, set *model.Set) {
			sg := set.SecurityGroups[0]
			if sg.EgressComplete || !sg.EgressDeclared || len(sg.Egress) != 0 {
				t.Errorf("group: complete %v declared %v egress %d", sg.EgressComplete, sg.EgressDeclared, len(sg.Egress))
			}
		}},
		{"ingress rule changes nothing", `
resource "aws_security_group_rule" "in" {
  count             = var.n
  type              = "ingress"
  security_group_id = aws_security_group.sg.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
}`, func(t *testing.T, set *model.Set) {
			if sg := set.SecurityGroups[0]; !sg.EgressComplete || len(set.Gaps) != 0 {
				t.Errorf("group complete %v, gaps %d", sg.EgressComplete, len(set.Gaps))
			}
		}},
		{"endpoint with unknown existence", `
resource "aws_vpc_endpoint" "api" {
  count             = var.n
  vpc_id            = "vpc-1"
  service_name      = "com.amazonaws.eu-west-1.sagemaker.api"
  vpc_endpoint_type = "Interface"
}`, func(t *testing.T, set *model.Set) {
			if len(set.VPCEndpoints) != 2 {
				t.Fatalf("%d endpoints", len(set.VPCEndpoints))
			}
			ep := set.VPCEndpoints[1]
			if ep.Address != "aws_vpc_endpoint.api" || ep.ServiceName.Known() || ep.ServiceName.V != "" ||
				!strings.Contains(ep.ServiceName.Reason, "may or may not exist") || len(set.Gaps) != 0 {
				t.Errorf("endpoint %s service %+v, gaps %d", ep.Address, ep.ServiceName, len(set.Gaps))
			}
		}},
		{"security group gets an unknown_count gap hiding a security group", `
resource "aws_security_group" "more" {
  count  = var.n
  vpc_id = "vpc-1"
}`, func(t *testing.T, set *model.Set) {
			if len(set.Gaps) != 1 {
				t.Fatalf("%d gaps", len(set.Gaps))
			}
			g := set.Gaps[0]
			if g.Address != "aws_security_group.more" || g.Kind != model.GapUnknownCount ||
				len(g.Hides) != 1 || g.Hides[0] != model.KindSecurityGroup || g.Root == "" {
				t.Errorf("gap %s kind %s hides %v root %q", g.Address, g.Kind, g.Hides, g.Root)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{"main.tf": base + tc.extra})
			set, errs := loadRoot(t, dir, surface.Options{})
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			tc.check(t, set)
		})
	}
}
