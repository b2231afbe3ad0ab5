package terraform

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// maxPresenceDepth bounds how far neverNull follows locals.
const maxPresenceDepth = 8

// neverNull reports whether expr, written in this module, can never
// evaluate to null, whatever the values it depends on: an attribute so
// written is set even when its value is unknown before apply (model.Str.Present).
//
// It holds for a string template (Terraform rejects a null interpolation), a
// literal other than null, an attribute of a data source (read by Terraform
// during plan; the attributes used as IDs and values are never null), with
// any index or splat, a conditional whose two branches never are,
// coalesce(...) (which fails rather than return null), string functions of
// such values, element() of a data-source list, and a local whose expression
// never is. Everything else (variables, module outputs, try(), one(), ...)
// may be null: an unknown value there stays "not known whether set".
func (mi *modInst) neverNull(expr hcl.Expression, depth int) bool {
	if expr == nil || depth > maxPresenceDepth {
		return false
	}
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		return true
	case *hclsyntax.TemplateWrapExpr:
		return mi.neverNull(e.Wrapped, depth+1)
	case *hclsyntax.ParenthesesExpr:
		return mi.neverNull(e.Expression, depth+1)
	case *hclsyntax.LiteralValueExpr:
		return !e.Val.IsNull()
	case *hclsyntax.ScopeTraversalExpr:
		return mi.traversalNeverNull(e.Traversal, depth)
	case *hclsyntax.RelativeTraversalExpr:
		return isDataSource(e.Source)
	case *hclsyntax.IndexExpr:
		return isDataSource(e.Collection)
	case *hclsyntax.SplatExpr:
		return isDataSource(e.Source)
	case *hclsyntax.ConditionalExpr:
		return mi.neverNull(e.TrueResult, depth+1) && mi.neverNull(e.FalseResult, depth+1)
	case *hclsyntax.FunctionCallExpr:
		switch e.Name {
		case "coalesce", "format", "join", "formatlist":
			return true
		case "lower", "upper", "trimspace", "title", "replace", "trim", "trimprefix", "trimsuffix", "substr":
			return len(e.Args) > 0 && mi.neverNull(e.Args[0], depth+1)
		case "element":
			return len(e.Args) > 0 && isDataSource(e.Args[0])
		}
	}
	return false
}

// traversalNeverNull: data.TYPE.NAME.attr[...], or a local whose expression
// never is null (referenced whole).
func (mi *modInst) traversalNeverNull(t hcl.Traversal, depth int) bool {
	switch t.RootName() {
	case "data":
		return len(t) >= 4 // data.TYPE.NAME.attribute
	case "local":
		name, ok := attrAt(t, 1)
		if !ok || len(t) != 2 {
			return false
		}
		a, declared := mi.def.locals[name]
		return declared && mi.neverNull(a.Expr, depth+1)
	}
	return false
}

// isDataSource reports whether expr is a reference to a data source's
// attribute (data.TYPE.NAME.attribute...).
func isDataSource(expr hcl.Expression) bool {
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	return ok && st.Traversal.RootName() == "data" && len(st.Traversal) >= 4
}

// maybeNull returns why an attribute whose value is unknown may still be
// null: it is written as a conditional with a null branch
// (`var.private ? aws_subnet.a.id : null`) whose condition is unknown before
// apply. Such a value carries the other branch's reference, but whether the
// attribute is set at all is not known. "" otherwise.
func (mi *modInst) maybeNull(a *attrVal) string {
	if a.v.IsKnown() {
		return ""
	}
	c, ok := unwrap(a.expr).(*hclsyntax.ConditionalExpr)
	if !ok || (!isNullLiteral(c.TrueResult) && !isNullLiteral(c.FalseResult)) {
		return ""
	}
	sc := a.sc
	if sc == nil {
		sc = emptyScope
	}
	cond := mi.eval(c.Condition, sc)
	if cond.IsKnown() {
		return ""
	}
	return fmt.Sprintf("it is set or null depending on %s, which is unknown before apply: %s",
		mi.exprText(c.Condition), marksOf(cond).reason("it depends on values known only after apply"))
}

// unwrap removes parentheses and a template that only wraps an expression.
func unwrap(expr hcl.Expression) hcl.Expression {
	for {
		switch e := expr.(type) {
		case *hclsyntax.ParenthesesExpr:
			expr = e.Expression
		case *hclsyntax.TemplateWrapExpr:
			expr = e.Wrapped
		default:
			return expr
		}
	}
}

// isNullLiteral reports whether expr is the literal null.
func isNullLiteral(expr hcl.Expression) bool {
	lit, ok := unwrap(expr).(*hclsyntax.LiteralValueExpr)
	return ok && lit.Val.IsNull()
}
