package fix

// Fixes for the two network pitfall controls in Terraform, when the network
// is declared in the scanned root module:
//
//   - sagemaker_notebook_instance_security_group_https_egress: the first of
//     the notebook's security groups that is an aws_security_group of the
//     module gets TCP 443 to 0.0.0.0/0 — a separate
//     aws_vpc_security_group_egress_rule "<group>_https", or an inline
//     egress {} block when the group declares its egress inline (Terraform
//     does not allow mixing the two for one group). 0.0.0.0/0 is chosen
//     because it is the one rule that is correct for every path (interface
//     endpoints, the S3 gateway prefix list and a NAT gateway); the group's
//     ingress and the other groups are not touched.
//   - sagemaker_notebook_instance_private_service_access: interface endpoints
//     for sagemaker.api and sagemaker.runtime in the notebook's subnet (with
//     its security groups and private DNS), and the S3 gateway endpoint on
//     the subnet's route table (its aws_route_table_association, else the
//     VPC's declared main route table); an interface endpoint
//     of the VPC with private DNS off gets private_dns_enabled = true.
//
// Whether to fix is decided by the scan's findings (Input): only a notebook
// whose finding fails is edited, so a second run (the control passes)
// changes nothing.
// Security group rules and endpoints change in place: no notebook is
// replaced. Notebooks inside child modules are not handled here.

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/control"
)

const (
	controlHTTPSEgress          = control.SecurityGroupHTTPSEgressID
	controlPrivateServiceAccess = control.PrivateServiceAccessID
	noReplacement               = " (changed in place: no replacement)"
)

// resourceRef returns type and name when expr is <type>.<name>.<attr>.
func resourceRef(expr hclsyntax.Expression, attr string) (typ, name string, ok bool) {
	e, isTr := expr.(*hclsyntax.ScopeTraversalExpr)
	if !isTr || len(e.Traversal) != 3 {
		return "", "", false
	}
	n, ok1 := e.Traversal[1].(hcl.TraverseAttr)
	a, ok2 := e.Traversal[2].(hcl.TraverseAttr)
	if !ok1 || !ok2 || a.Name != attr {
		return "", "", false
	}
	return e.Traversal.RootName(), n.Name, true
}

// exprText is the source text of an attribute's expression.
func exprText(f *tfFile, a *hclsyntax.Attribute) string {
	r := a.Expr.Range()
	return strings.TrimSpace(string(f.src[r.Start.Byte:r.End.Byte]))
}

func (w *workspace) unfixable(b block, addr, controlID, reason string) {
	w.res.Unfixable = append(w.res.Unfixable, Unfixable{File: b.file.path, Line: b.syn.DefRange().Start.Line,
		Resource: addr, Control: controlID, Reason: "cannot fix automatically: " + reason})
}

// appendBlock appends a top-level block to f, separated by a blank line.
func appendBlock(f *tfFile, typ string, labels []string) *hclwrite.Body {
	body := f.wr.Body()
	if !strings.HasSuffix(string(f.wr.Bytes()), "\n\n") {
		body.AppendNewline()
	}
	f.changed = true
	return body.AppendNewBlock(typ, labels).Body()
}

func tokensOf(src string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("t = "+src+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("fix: invalid expression %q", src))
	}
	return f.Body().GetAttribute("t").Expr().BuildTokens(nil)
}

const httpsRuleDescription = "HTTPS to the VPC endpoints or NAT (added by sagefence fix)"

// fixHTTPSEgress allows TCP 443 to 0.0.0.0/0 from one of the notebook's groups.
func (w *workspace) fixHTTPSEgress(mod *tfModule, nb block, addr string) {
	var items []hclsyntax.Expression
	if sgs := nb.attr("security_groups"); sgs != nil {
		if t, isTuple := sgs.Expr.(*hclsyntax.TupleConsExpr); isTuple {
			items = t.Exprs
		}
	}
	for _, item := range items {
		typ, name, ok := resourceRef(item, "id")
		if !ok || typ != "aws_security_group" {
			continue
		}
		groups := mod.blocks("resource", "aws_security_group", name)
		if len(groups) == 0 {
			continue
		}
		g := groups[0]
		groupAddr := "aws_security_group." + name
		if g.attr("egress") != nil {
			w.unfixable(nb, addr, controlHTTPSEgress, fmt.Sprintf("%s sets egress as an attribute (egress = [...]); add a TCP 443 rule to it by hand", groupAddr))
			return
		}
		if hasNestedBlock(g, "egress") {
			eg := g.wr.Body().AppendNewBlock("egress", nil).Body()
			eg.SetAttributeValue("description", cty.StringVal(httpsRuleDescription))
			eg.SetAttributeValue("protocol", cty.StringVal("tcp"))
			eg.SetAttributeValue("from_port", cty.NumberIntVal(443))
			eg.SetAttributeValue("to_port", cty.NumberIntVal(443))
			eg.SetAttributeValue("cidr_blocks", cty.ListVal([]cty.Value{cty.StringVal("0.0.0.0/0")}))
			g.file.changed = true
			w.res.Changes = append(w.res.Changes, Change{File: g.file.path, Line: g.syn.DefRange().Start.Line, Resource: addr, Control: controlHTTPSEgress,
				Message: fmt.Sprintf("added an inline egress block to %s allowing TCP 443 to 0.0.0.0/0 (the group declares its egress inline, "+
					"so a separate rule resource cannot be mixed in)%s", groupAddr, noReplacement)})
			return
		}
		ruleName := name + "_https"
		if len(mod.blocks("resource", "aws_vpc_security_group_egress_rule", ruleName)) > 0 {
			w.unfixable(nb, addr, controlHTTPSEgress, fmt.Sprintf("aws_vpc_security_group_egress_rule.%s already exists but does not allow TCP 443 toward every path; fix it by hand", ruleName))
			return
		}
		rb := appendBlock(g.file, "resource", []string{"aws_vpc_security_group_egress_rule", ruleName})
		rb.SetAttributeRaw("security_group_id", tokensOf(groupAddr+".id"))
		rb.SetAttributeValue("ip_protocol", cty.StringVal("tcp"))
		rb.SetAttributeValue("from_port", cty.NumberIntVal(443))
		rb.SetAttributeValue("to_port", cty.NumberIntVal(443))
		rb.SetAttributeValue("cidr_ipv4", cty.StringVal("0.0.0.0/0"))
		rb.SetAttributeValue("description", cty.StringVal(httpsRuleDescription))
		w.res.Changes = append(w.res.Changes, Change{File: g.file.path, Line: g.syn.DefRange().Start.Line, Resource: addr, Control: controlHTTPSEgress,
			Message: fmt.Sprintf("added resource aws_vpc_security_group_egress_rule.%s allowing TCP 443 from %s to 0.0.0.0/0%s", ruleName, groupAddr, noReplacement)})
		return
	}
	w.unfixable(nb, addr, controlHTTPSEgress, "none of the notebook's security_groups is an aws_security_group declared in this configuration")
}

func hasNestedBlock(b block, typ string) bool {
	for _, nb := range b.syn.Body.Blocks {
		if nb.Type == typ {
			return true
		}
	}
	return false
}

// fixEndpoints adds the VPC endpoints the notebook's VPC lacks.
func (w *workspace) fixEndpoints(mod *tfModule, nb block, addr string) {
	sub := nb.attr("subnet_id")
	if sub == nil {
		w.unfixable(nb, addr, controlPrivateServiceAccess, "the notebook has no subnet_id")
		return
	}
	typ, subName, ok := resourceRef(sub.Expr, "id")
	subnets := mod.blocks("resource", "aws_subnet", subName)
	if !ok || typ != "aws_subnet" || len(subnets) == 0 {
		w.unfixable(nb, addr, controlPrivateServiceAccess, "the notebook's subnet is not an aws_subnet declared in this configuration")
		return
	}
	vpcAttr := subnets[0].attr("vpc_id")
	if vpcAttr == nil {
		w.unfixable(nb, addr, controlPrivateServiceAccess, "the VPC of aws_subnet."+subName+" is not set")
		return
	}
	vpc := exprText(subnets[0].file, vpcAttr)
	subnetRef := exprText(nb.file, sub)
	present := map[string]bool{}
	for _, ep := range mod.blocks("resource", "aws_vpc_endpoint") {
		svcAttr, epVPC := ep.attr("service_name"), ep.attr("vpc_id")
		if svcAttr == nil || epVPC == nil || exprText(ep.file, epVPC) != vpc {
			continue
		}
		svc := strings.Trim(exprText(ep.file, svcAttr), `"`)
		for _, s := range awsfacts.NotebookServices {
			if !strings.HasSuffix(svc, "."+s.Suffix) {
				continue
			}
			present[s.Suffix] = true
			if s.Type != awsfacts.EndpointTypeInterface || isLiteralTrue(ep.attr("private_dns_enabled")) {
				continue
			}
			ep.wr.Body().SetAttributeValue("private_dns_enabled", cty.True)
			ep.file.changed = true
			w.res.Changes = append(w.res.Changes, Change{File: ep.file.path, Line: ep.syn.DefRange().Start.Line, Resource: addr, Control: controlPrivateServiceAccess,
				Message: fmt.Sprintf("set private_dns_enabled = true on aws_vpc_endpoint.%s (%s)%s", ep.syn.Labels[1], s.Suffix, noReplacement)})
		}
	}
	region := ""
	for _, s := range awsfacts.NotebookServices {
		if present[s.Suffix] {
			continue
		}
		name := nb.syn.Labels[1] + "_" + strings.ReplaceAll(s.Suffix, ".", "_")
		if len(mod.blocks("resource", "aws_vpc_endpoint", name)) > 0 {
			w.unfixable(nb, addr, controlPrivateServiceAccess, fmt.Sprintf("aws_vpc_endpoint.%s exists but does not serve the notebook; fix it by hand", name))
			continue
		}
		var routeTable string
		if s.Type == awsfacts.EndpointTypeGateway {
			if routeTable = w.routeTableOf(mod, subnetRef, vpc); routeTable == "" {
				w.unfixable(nb, addr, controlPrivateServiceAccess, "the S3 gateway endpoint needs the subnet's route table, and the subnet's route table is not declared here "+
					"(no aws_route_table_association for "+subnetRef+", no main route table of "+vpc+")")
				continue
			}
		}
		if region == "" {
			region = w.ensureRegionData(mod, nb.file)
		}
		eb := appendBlock(nb.file, "resource", []string{"aws_vpc_endpoint", name})
		eb.SetAttributeRaw("vpc_id", tokensOf(vpc))
		eb.SetAttributeRaw("service_name", tokensOf(`"`+awsfacts.ServiceName("${"+region+"}", s.Suffix)+`"`))
		kind := s.Type
		if kind == awsfacts.EndpointTypeGateway {
			eb.SetAttributeValue("vpc_endpoint_type", cty.StringVal(kind))
			eb.SetAttributeRaw("route_table_ids", tokensOf("["+routeTable+"]"))
		} else {
			eb.SetAttributeValue("vpc_endpoint_type", cty.StringVal(kind))
			eb.SetAttributeRaw("subnet_ids", tokensOf("["+subnetRef+"]"))
			if sgs := nb.attr("security_groups"); sgs != nil {
				eb.SetAttributeRaw("security_group_ids", tokensOf(exprText(nb.file, sgs)))
			}
			eb.SetAttributeValue("private_dns_enabled", cty.True)
		}
		w.res.Changes = append(w.res.Changes, Change{File: nb.file.path, Line: nb.syn.DefRange().Start.Line, Resource: addr, Control: controlPrivateServiceAccess,
			Message: fmt.Sprintf("added resource aws_vpc_endpoint.%s (%s endpoint for %s)%s", name, kind, s.Suffix, noReplacement)})
	}
}

func isLiteralTrue(a *hclsyntax.Attribute) bool {
	if a == nil || len(a.Expr.Variables()) > 0 {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.Bool && v.IsKnown() && !v.IsNull() && v.True()
}

// routeTableOf is the reference to the subnet's route table: the
// route_table_id of its aws_route_table_association, else the VPC's main
// table (aws_main_route_table_association, aws_default_route_table); "" when
// none is declared. subnetRef and vpcRef are reference texts
// (aws_subnet.x.id, aws_vpc.y.id).
func (w *workspace) routeTableOf(mod *tfModule, subnetRef, vpcRef string) string {
	for _, a := range mod.blocks("resource", "aws_route_table_association") {
		s, rt := a.attr("subnet_id"), a.attr("route_table_id")
		if s != nil && rt != nil && exprText(a.file, s) == subnetRef {
			return exprText(a.file, rt)
		}
	}
	for _, a := range mod.blocks("resource", "aws_main_route_table_association") {
		v, rt := a.attr("vpc_id"), a.attr("route_table_id")
		if v != nil && rt != nil && exprText(a.file, v) == vpcRef {
			return exprText(a.file, rt)
		}
	}
	if vpcResource, ok := strings.CutSuffix(vpcRef, ".id"); ok {
		for _, d := range mod.blocks("resource", "aws_default_route_table") {
			if id := d.attr("default_route_table_id"); id != nil && exprText(d.file, id) == vpcResource+".default_route_table_id" {
				return "aws_default_route_table." + d.syn.Labels[1] + ".id"
			}
		}
	}
	return ""
}

// ensureRegionData returns the expression of the current region, adding
// data "aws_region" "current" {} to file when the module has none.
func (w *workspace) ensureRegionData(mod *tfModule, file *tfFile) string {
	if ds := mod.blocks("data", "aws_region"); len(ds) > 0 {
		return "data.aws_region." + ds[0].syn.Labels[1] + ".name"
	}
	key := mod.dir + "\x00data.aws_region"
	if !w.declared[key] {
		appendBlock(file, "data", []string{"aws_region", "current"})
		w.declared[key] = true
	}
	return "data.aws_region.current.name"
}
