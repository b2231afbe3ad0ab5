package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// walkSyntax calls visit for n and for every node below it, parents before
// children, in the order hclsyntax walks them (a body's attributes in no
// particular order). It visits what hclsyntax.VisitAll visits, except the
// synthetic ChildScope nodes VisitAll wraps a for expression's key, value
// and condition in: they are visited themselves.
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
		if hcl.ExprAsKeyword(e.Wrapped) == "" { // a bare word is the key itself, not an expression
			walk(e.Wrapped)
		}
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
		// hclsyntax walk below it, so that nothing is missed. Its walk is
		// recorded and replayed, so that visit and leave are never stored
		// where the compiler would have to move them (and the closures
		// every caller passes) to the heap.
		var rec fallbackRecorder
		hclsyntax.Walk(n, &rec)
		rec.replay(visit, leave)
	}
	if leave != nil {
		leave(n)
	}
}

// fallbackRecorder records, in order, the entries into and exits from the
// nodes below the one hclsyntax.Walk starts from (which walkSyntaxOut visits
// and leaves itself), without the synthetic ChildScope nodes.
type fallbackRecorder struct {
	events []walkEvent
	depth  int
}

type walkEvent struct {
	n     hclsyntax.Node
	enter bool
}

// replay calls visit and leave (when not nil) as the walk recorded.
func (w *fallbackRecorder) replay(visit, leave func(hclsyntax.Node)) {
	for _, ev := range w.events {
		if ev.enter {
			visit(ev.n)
		} else if leave != nil {
			leave(ev.n)
		}
	}
}

func (w *fallbackRecorder) Enter(n hclsyntax.Node) hcl.Diagnostics {
	w.depth++
	if _, scope := n.(hclsyntax.ChildScope); w.depth > 1 && !scope {
		w.events = append(w.events, walkEvent{n, true})
	}
	return nil
}

func (w *fallbackRecorder) Exit(n hclsyntax.Node) hcl.Diagnostics {
	w.depth--
	if _, scope := n.(hclsyntax.ChildScope); w.depth > 0 && !scope {
		w.events = append(w.events, walkEvent{n, false})
	}
	return nil
}

// expressionVariables is expr.Variables() without an allocation per node:
// the traversals that must be given a value in the root scope, in the order
// hclsyntax.Variables gives them (a for expression's key and value names
// are local to it and left out). Expressions that are not native syntax
// (JSON) answer for themselves.
func expressionVariables(expr hcl.Expression) []hcl.Traversal {
	return shapeOf(expr).vars
}

// exprShape is what evaluation needs to know of an expression before
// evaluating it, found in one walk: its variables (expressionVariables)
// and whether it holds a for expression (whose iterations are estimated
// against the budget first).
type exprShape struct {
	vars   []hcl.Traversal
	hasFor bool
}

func shapeOf(expr hcl.Expression) exprShape {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return exprShape{vars: expr.Variables()}
	}
	var sh exprShape
	var fors []*hclsyntax.ForExpr // the for expressions enclosing the node visited
	walkSyntaxOut(se, func(n hclsyntax.Node) {
		switch e := n.(type) {
		case *hclsyntax.ForExpr:
			fors = append(fors, e)
			sh.hasFor = true
		case *hclsyntax.ScopeTraversalExpr:
			if !forLocal(fors, e) {
				sh.vars = append(sh.vars, e.Traversal)
			}
		}
	}, func(n hclsyntax.Node) {
		if _, ok := n.(*hclsyntax.ForExpr); ok {
			fors = fors[:len(fors)-1]
		}
	})
	return sh
}

// forLocal reports whether e reads a key or value name of an enclosing for
// expression: anywhere in it but in its collection, which is evaluated in
// the scope around it.
func forLocal(fors []*hclsyntax.ForExpr, e *hclsyntax.ScopeTraversalExpr) bool {
	name := e.Traversal.RootName()
	if name == "" {
		return false
	}
	for _, fe := range fors {
		if (name == fe.KeyVar || name == fe.ValVar) && !within(e.SrcRange, fe.CollExpr.Range()) {
			return true
		}
	}
	return false
}

// within reports whether r lies inside outer (same file, byte offsets).
func within(r, outer hcl.Range) bool {
	return r.Filename == outer.Filename && r.Start.Byte >= outer.Start.Byte && r.End.Byte <= outer.End.Byte
}
