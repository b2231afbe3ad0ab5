package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// walkSyntax calls visit for n and for every node below it, parents before
// children (a body's attributes in no particular order). It visits what
// hclsyntax.VisitAll visits, except that a for expression's key, value and
// condition are visited themselves rather than wrapped in a ChildScope, and
// an object key is always visited with its wrapped expression (VisitAll
// skips the wrapped expression of a bare-word key; a bare word is a
// single-step traversal).
//
// VisitAll and Walk allocate a closure for every node they visit (12% of
// the objects a scan allocated went there); this walk allocates nothing.
func walkSyntax(n hclsyntax.Node, visit func(hclsyntax.Node)) {
	walkSyntaxOut(n, visit, nil)
}

// walkSyntaxOut is walkSyntax that also calls leave (when not nil) for each
// node once everything below it has been visited.
func walkSyntaxOut(n hclsyntax.Node, visit, leave func(hclsyntax.Node)) {
	if n == nil {
		return
	}
	visit(n)
	walk := func(c hclsyntax.Node) { walkSyntaxOut(c, visit, leave) }
	switch e := n.(type) {
	case *hclsyntax.Body:
		for _, a := range e.Attributes {
			walk(a)
		}
		for _, b := range e.Blocks {
			walk(b)
		}
	case *hclsyntax.Attribute:
		walk(e.Expr)
	case *hclsyntax.Block:
		walk(e.Body)
	case *hclsyntax.LiteralValueExpr, *hclsyntax.ScopeTraversalExpr, *hclsyntax.AnonSymbolExpr, *hclsyntax.ExprSyntaxError:
		// leaves
	case *hclsyntax.ParenthesesExpr:
		walk(e.Expression)
	case *hclsyntax.RelativeTraversalExpr:
		walk(e.Source)
	case *hclsyntax.FunctionCallExpr:
		for _, arg := range e.Args {
			walk(arg)
		}
	case *hclsyntax.ConditionalExpr:
		walk(e.Condition)
		walk(e.TrueResult)
		walk(e.FalseResult)
	case *hclsyntax.IndexExpr:
		walk(e.Collection)
		walk(e.Key)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			walk(x)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			walk(item.KeyExpr)
			walk(item.ValueExpr)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		walk(e.Wrapped)
	case *hclsyntax.ForExpr:
		walk(e.CollExpr)
		walk(e.KeyExpr)
		walk(e.ValExpr)
		walk(e.CondExpr)
	case *hclsyntax.SplatExpr:
		walk(e.Source)
		walk(e.Each)
	case *hclsyntax.BinaryOpExpr:
		walk(e.LHS)
		walk(e.RHS)
	case *hclsyntax.UnaryOpExpr:
		walk(e.Val)
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			walk(p)
		}
	case *hclsyntax.TemplateJoinExpr:
		walk(e.Tuple)
	case *hclsyntax.TemplateWrapExpr:
		walk(e.Wrapped)
	default:
		// A node type this walk does not know (a newer hclsyntax): let
		// hclsyntax walk below it, so that nothing is missed.
		hclsyntax.Walk(n, &fallbackWalker{visit: visit, leave: leave})
	}
	if leave != nil {
		leave(n)
	}
}

// fallbackWalker hands the nodes below the one it starts from (which
// walkSyntaxOut visits and leaves itself) to visit and leave, without the
// synthetic ChildScope nodes.
type fallbackWalker struct {
	visit, leave func(hclsyntax.Node)
	depth        int
}

func (w *fallbackWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	if _, scope := n.(hclsyntax.ChildScope); w.depth > 1 && !scope {
		w.visit(n)
	}
	return nil
}

func (w *fallbackWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	if _, scope := n.(hclsyntax.ChildScope); w.depth > 0 && !scope && w.leave != nil {
		w.leave(n)
	}
	return nil
}

// expressionVariables is expr.Variables() without an allocation per node:
// the traversals that must be given a value in the root scope, in the order
// hclsyntax.Variables gives them (a for expression's key and value names
// are local to it and left out). Expressions that are not native syntax
// (JSON) answer for themselves.
func expressionVariables(expr hcl.Expression) []hcl.Traversal {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return expr.Variables()
	}
	v := variableCollector{}
	v.walk(se)
	return v.vars
}

// variableCollector gathers root-scope traversals; locals are the names of
// the enclosing for expressions.
type variableCollector struct {
	vars   []hcl.Traversal
	locals []*hclsyntax.ForExpr
}

func (v *variableCollector) local(name string) bool {
	for _, fe := range v.locals {
		if name != "" && (name == fe.KeyVar || name == fe.ValVar) {
			return true
		}
	}
	return false
}

// walk follows the child order of hclsyntax's own walk, so that the
// traversals come in the same order.
func (v *variableCollector) walk(n hclsyntax.Expression) {
	switch e := n.(type) {
	case nil:
	case *hclsyntax.ScopeTraversalExpr:
		if !v.local(e.Traversal.RootName()) {
			v.vars = append(v.vars, e.Traversal)
		}
	case *hclsyntax.LiteralValueExpr, *hclsyntax.AnonSymbolExpr, *hclsyntax.ExprSyntaxError:
	case *hclsyntax.ParenthesesExpr:
		v.walk(e.Expression)
	case *hclsyntax.RelativeTraversalExpr:
		v.walk(e.Source)
	case *hclsyntax.FunctionCallExpr:
		for _, arg := range e.Args {
			v.walk(arg)
		}
	case *hclsyntax.ConditionalExpr:
		v.walk(e.Condition)
		v.walk(e.TrueResult)
		v.walk(e.FalseResult)
	case *hclsyntax.IndexExpr:
		v.walk(e.Collection)
		v.walk(e.Key)
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			v.walk(x)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			v.walk(item.KeyExpr)
			v.walk(item.ValueExpr)
		}
	case *hclsyntax.ObjectConsKeyExpr:
		if hcl.ExprAsKeyword(e.Wrapped) == "" { // a bare word is the key itself
			v.walk(e.Wrapped)
		}
	case *hclsyntax.ForExpr:
		v.walk(e.CollExpr)
		v.locals = append(v.locals, e)
		v.walk(e.KeyExpr)
		v.walk(e.ValExpr)
		v.walk(e.CondExpr)
		v.locals = v.locals[:len(v.locals)-1]
	case *hclsyntax.SplatExpr:
		v.walk(e.Source)
		v.walk(e.Each)
	case *hclsyntax.BinaryOpExpr:
		v.walk(e.LHS)
		v.walk(e.RHS)
	case *hclsyntax.UnaryOpExpr:
		v.walk(e.Val)
	case *hclsyntax.TemplateExpr:
		for _, p := range e.Parts {
			v.walk(p)
		}
	case *hclsyntax.TemplateJoinExpr:
		v.walk(e.Tuple)
	case *hclsyntax.TemplateWrapExpr:
		v.walk(e.Wrapped)
	default:
		for _, t := range hclsyntax.Variables(e) {
			if !v.local(t.RootName()) {
				v.vars = append(v.vars, t)
			}
		}
	}
}
