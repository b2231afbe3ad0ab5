package terraform

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/sagefence/sagefence/internal/bounds"
	"github.com/sagefence/sagefence/internal/safefs"
)

// Evaluation budgets. A tiny hostile file can ask for gigabytes: a chain of
// locals that each double a string, range(1e9), setproduct of large lists,
// format("%999999999d", 1), for expressions nested over the same list. Each
// bound ends the expression in an unknown value naming the budget (and a
// model.Error naming the file and line), never in an out-of-memory crash.
const (
	// maxValueSize bounds one value: string bytes plus 16 per element,
	// nested collections included.
	maxValueSize = 4 << 20
	// maxCollection bounds the elements one function may produce (range,
	// setproduct, chunklist, ...) and the iterations one expression's for
	// expressions may run, nested ones multiplied.
	maxCollection = 1_000_000
	// maxRootWork bounds what one root module may produce in total: the
	// sizes of function results and of evaluated values larger than
	// bigValue, added up.
	maxRootWork = 256 << 20
	// bigValue is the size from which an evaluated value counts against
	// maxRootWork (small values are bounded by maxEvaluations).
	bigValue = 16 << 10
	// maxFormatWidth bounds a width or precision in format() verbs.
	maxFormatWidth = 100_000
)

// budgetPhrase is in every budget error, so that the unknown value an
// expression ends in can name the budget (see modInst.eval).
const budgetPhrase = "evaluation budget"

// budget is one root's running total (see maxRootWork).
type budget struct {
	work      int64
	exhausted bool
}

// spend adds n to the total and reports whether the budget still holds.
func (b *budget) spend(n int64) bool {
	b.work += n
	if b.work > maxRootWork {
		b.exhausted = true
	}
	return !b.exhausted
}

func (b *budget) exhaustedError() error {
	return fmt.Errorf("the evaluation budget of this root module (%s of values) is exhausted: not evaluated", safefs.Human(maxRootWork))
}

// valueSize measures v (see maxValueSize), stopping once it passes limit.
func valueSize(v cty.Value, limit int64) int64 {
	var n int64
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		if n > limit {
			return
		}
		v, _ = v.Unmark()
		if !v.IsKnown() || v.IsNull() {
			n += 8
			return
		}
		ty := v.Type()
		switch {
		case ty == cty.String:
			n += int64(len(v.AsString()))
		case ty.IsPrimitiveType():
			n += 8
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next() && n <= limit; {
				k, e := it.Element()
				n += 16
				if ty.IsMapType() || ty.IsObjectType() {
					walk(k)
				}
				walk(e)
			}
		default:
			n += 8
		}
	}
	walk(v)
	return n
}

// formatWidth finds widths and precisions in format verbs ("%999999d", "%.99999f").
var formatWidth = regexp.MustCompile(`%[-+# 0]*([0-9]*)(?:\.([0-9]*))?`)

// precheck refuses calls whose result would blow the budget before the
// function allocates it; nil when the call may go ahead.
func precheck(name string, args []cty.Value) error {
	known := func(i int) (cty.Value, bool) {
		if i >= len(args) {
			return cty.NilVal, false
		}
		v, _ := args[i].Unmark()
		return v, v.IsKnown() && !v.IsNull()
	}
	num := func(v cty.Value) float64 {
		if v.Type() != cty.Number {
			return 0
		}
		f, _ := v.AsBigFloat().Float64()
		return f
	}
	tooMany := func(n float64) error {
		if n > maxCollection {
			return fmt.Errorf("%s() would produce about %.0f elements, more than the evaluation budget of %d: not evaluated", name, n, maxCollection)
		}
		return nil
	}
	switch name {
	case "range":
		var start, limit, step float64 = 0, 0, 1
		vals := make([]float64, 0, 3)
		for i := range args {
			v, ok := known(i)
			if !ok {
				return nil
			}
			vals = append(vals, num(v))
		}
		switch len(vals) {
		case 1:
			limit = vals[0]
		case 2:
			start, limit = vals[0], vals[1]
		case 3:
			start, limit, step = vals[0], vals[1], vals[2]
		}
		if step == 0 {
			return nil
		}
		return tooMany((limit - start) / step)
	case "setproduct":
		n := 1.0
		for i := range args {
			v, ok := known(i)
			if !ok || !v.CanIterateElements() {
				return nil
			}
			n *= float64(v.LengthInt())
		}
		return tooMany(n)
	case "format", "formatlist":
		if v, ok := known(0); ok && v.Type() == cty.String {
			for _, m := range formatWidth.FindAllStringSubmatch(v.AsString(), -1) {
				for _, d := range m[1:] {
					if w, err := strconv.Atoi(d); (err == nil && w > maxFormatWidth) || len(d) > 9 {
						return fmt.Errorf("%s(): a width or precision of %s is more than the evaluation budget allows (%d): not evaluated", name, d, maxFormatWidth)
					}
				}
			}
		}
	case "indent":
		if n, ok := known(0); ok {
			if s, ok := known(1); ok && s.Type() == cty.String {
				lines := 1.0
				for _, c := range s.AsString() {
					if c == '\n' {
						lines++
					}
				}
				if num(n)*lines > maxValueSize {
					return fmt.Errorf("indent() would produce more than %s: not evaluated", safefs.Human(maxValueSize))
				}
			}
		}
	case "jsondecode", "yamldecode":
		if v, ok := known(0); ok && v.Type() == cty.String {
			if err := bounds.CheckDepth([]byte(v.AsString()), bounds.JSON); err != nil {
				return fmt.Errorf("%s(): %w (evaluation budget)", name, err)
			}
		}
	case "replace", "join", "strrev", "chunklist", "flatten", "concat", "merge", "formatdate":
		// Bounded by their arguments, which are bounded; the result is checked.
	}
	return nil
}

// withBudget wraps every function of table in place (so that templatefile,
// which evaluates with the same table, is wrapped too): a call is refused
// before it runs when precheck says its result would be too large, or when
// the root's budget is exhausted, and its result is measured and counted.
func withBudget(table map[string]function.Function, b *budget) {
	for name, fn := range table {
		name, fn := name, fn
		spec := &function.Spec{
			Params:   fn.Params(),
			VarParam: fn.VarParam(),
			Type: func(args []cty.Value) (cty.Type, error) {
				return fn.ReturnTypeForValues(args)
			},
			Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
				if b.exhausted {
					return cty.UnknownVal(retType), b.exhaustedError()
				}
				if err := precheck(name, args); err != nil {
					return cty.UnknownVal(retType), err
				}
				v, err := fn.Call(args)
				if err != nil {
					return v, err
				}
				size := valueSize(v, maxValueSize)
				if size > maxValueSize {
					return cty.UnknownVal(retType), fmt.Errorf("the result of %s() is larger than the evaluation budget of %s per value: not evaluated", name, safefs.Human(maxValueSize))
				}
				if !b.spend(size) {
					return cty.UnknownVal(retType), b.exhaustedError()
				}
				return v, nil
			},
		}
		table[name] = function.New(spec)
	}
}

// forIterations estimates the iterations of the for expressions in expr,
// nested ones multiplied, from the sizes of the collections they range over
// (measured in ctx). An iterator of an enclosing for is estimated by the
// size of the collection it ranges over.
func forIterations(expr hcl.Expression, ctx *hcl.EvalContext) float64 {
	se, ok := expr.(hclsyntax.Expression)
	if !ok {
		return 0
	}
	w := &forWalker{ctx: ctx, iters: map[string]float64{}}
	walkSyntaxOut(se, w.enter, w.leave)
	return w.total
}

type forWalker struct {
	ctx   *hcl.EvalContext
	stack []float64 // multipliers of the enclosing for expressions
	iters map[string]float64
	total float64
}

func (w *forWalker) mult() float64 {
	m := 1.0
	for _, f := range w.stack {
		m *= f
	}
	return m
}

func (w *forWalker) enter(n hclsyntax.Node) {
	fe, ok := n.(*hclsyntax.ForExpr)
	if !ok {
		return
	}
	size, deep := w.collSize(fe.CollExpr)
	w.total += w.mult() * size
	w.stack = append(w.stack, size)
	for _, name := range []string{fe.KeyVar, fe.ValVar} {
		if name != "" {
			w.iters[name] = deep
		}
	}
}

func (w *forWalker) leave(n hclsyntax.Node) {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.stack = w.stack[:len(w.stack)-1]
	}
}

// collSize estimates the iterations over a for expression's collection:
// the length of the largest collection the expression references, or, for
// the iterator of an enclosing for, the elements (nested ones included) of
// the collection that for ranges over; an expression without references
// (a literal, range(n)) is evaluated with the (budgeted) functions only.
func (w *forWalker) collSize(e hclsyntax.Expression) (length, deep float64) {
	length, deep = 1, 1
	consider := func(v cty.Value) {
		length = max(length, float64(elemCount(v, false)))
		deep = max(deep, float64(elemCount(v, true)))
	}
	vars := expressionVariables(e)
	for _, t := range vars {
		root := t.RootName()
		if n, ok := w.iters[root]; ok {
			length, deep = max(length, n), max(deep, n)
			continue
		}
		if w.ctx == nil {
			continue
		}
		v, ok := w.ctx.Variables[root]
		if !ok {
			continue
		}
		if tv, diags := t.TraverseAbs(w.ctx); !diags.HasErrors() {
			v = tv
		}
		consider(v)
	}
	if len(vars) == 0 && w.ctx != nil {
		if v, diags := e.Value(&hcl.EvalContext{Functions: w.ctx.Functions}); !diags.HasErrors() {
			consider(v)
		}
	}
	return length, deep
}

// elemCount counts v's elements: its length, or with deep every element of
// every nested collection; it stops past maxCollection.
func elemCount(v cty.Value, deep bool) int64 {
	var n int64
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		v, _ = v.Unmark()
		if n > maxCollection || !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
			return
		}
		if !deep {
			n += int64(v.LengthInt())
			return
		}
		for it := v.ElementIterator(); it.Next() && n <= maxCollection; {
			_, e := it.Element()
			n++
			walk(e)
		}
	}
	walk(v)
	return n
}
