package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// walkSyntax calls visit for n and for every node below it, parents before
// children (a body's attributes in no particular order). It visits what hclsyntax.VisitAll visits,
// except that a for expression's key, value and condition are visited
// themselves rather than wrapped in a ChildScope, and an object key is
// always visited with its wrapped expression (VisitAll skips the wrapped
// expression of a bare-word key; a bare word is a single-step traversal).
//
// VisitAll allocates a closure for every node it visits (12% of the objects
// a scan allocates went there); this walk allocates nothing. A node type it
// does not know (a newer hclsyntax) is handed to VisitAll, so nothing below
// it is missed.
func walkSyntax(n hclsyntax.Node, visit func(hclsyntax.Node)) {
	if n == nil {
		return
	}
	visit(n)
	switch e := n.(type) {
	case *hclsyntax.Body:
		for _, a := range e.Attributes {
			walkSyntax(a, visit)
		}
		for _, b := range e.Blocks {
			walkSyntax(b, visit)
		}
	case *hclsyntax.Attribute:
		walkSyntax(e.Expr, visit)
	case *hclsyntax.Block:
		walkSyntax(e.Body, visit)
	case *hclsyntax.LiteralValueExpr, *hclsyntax.ScopeTraversalExpr, *hclsyntax.AnonSymbolExpr, *hclsyntax.ExprSyntaxError:
		// leaves
	case *hclsyntax.ParenthesesExpr:
		walkSyntax(e.Expression, visit)
	case *hclsyntax.RelativeTraversalExpr:
		walkSyntax(e.Source, visit)
	case *hclsyntax.FunctionCallExpr:
		for _, arg := range e.Args {
			walkSyntax(arg, visit)
		}
	case *hclsyntax.ConditionalExpr:
		walkSyntax(e.Condition, visit)
		walkSyntax(e.TrueResult, visit)
		walkSyntax(e.FalseResult, visit)
	case *hclsyntax.IndexExpr:
		walkSyntax(e.Collection, visit)
		walkSyntax(e.Key, visit)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			walkSyntax(x, visit)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			walkSyntax(item.KeyExpr, visit)
			walkSyntax(item.ValueExpr, visit)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		walkSyntax(e.Wrapped, visit)
	case *hclsyntax.ForExpr:
		walkSyntax(e.CollExpr, visit)
		walkSyntax(e.KeyExpr, visit)
		walkSyntax(e.ValExpr, visit)
		walkSyntax(e.CondExpr, visit)
	case *hclsyntax.SplatExpr:
		walkSyntax(e.Source, visit)
		walkSyntax(e.Each, visit)
	case *hclsyntax.BinaryOpExpr:
		walkSyntax(e.LHS, visit)
		walkSyntax(e.RHS, visit)
	case *hclsyntax.UnaryOpExpr:
		walkSyntax(e.Val, visit)
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			walkSyntax(p, visit)
		}
	case *hclsyntax.TemplateJoinExpr:
		walkSyntax(e.Tuple, visit)
	case *hclsyntax.TemplateWrapExpr:
		walkSyntax(e.Wrapped, visit)
	default:
		first := true
		_ = hclsyntax.VisitAll(n, func(c hclsyntax.Node) hcl.Diagnostics {
			if first { // n itself, visited above
				first = false
				return nil
			}
			visit(c)
			return nil
		})
	}
}
