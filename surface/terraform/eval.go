package terraform

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// maxModuleDepth bounds module nesting (a module calling itself).
const maxModuleDepth = 32

// maxInstances bounds the instances of one count or for_each, so that a
// typo like count = 1e9 is an error rather than an endless scan.
const maxInstances = 10000

// maxRootInstances bounds the resource and module instances of one root
// (module fan-out: counts multiplied through nested module calls).
const maxRootInstances = 25_000

// maxEvaluations bounds the work on one root so that pathological input
// (exponential module fan-out) ends with an error instead of hanging.
const maxEvaluations = 5_000_000

// rootEval evaluates one root module and everything it calls. It is used by
// one goroutine only.
type rootEval struct {
	ctx      context.Context
	l        *loader
	root     string
	opts     surface.Options
	funcs    map[string]function.Function
	funcCtx  *hcl.EvalContext // functions only, for expressions without references
	manifest map[string]string
	set      *model.Set
	net      *networkIndex
	errs     []model.Error
	errSeen  map[string]bool
	evals    int
	stopped  bool
	// budget is the function table's: what the root's evaluation spent.
	budget *budget
	// instances counts the resource and module instances expanded so far.
	instances int
	// outsideSeen are the file function calls already reported as gaps.
	outsideSeen map[string]bool
	// shapes caches the shape of each expression evaluated (an expression
	// is evaluated again for every instance of its block).
	shapes map[hcl.Expression]exprShape
}

type rootResult struct {
	set  *model.Set
	errs []model.Error
	// loaded holds the parse errors of every directory the root loaded.
	loaded map[string][]model.Error
}

// evaluateRoot evaluates one root; a panic inside evaluation becomes an
// error of that root, never a crash of the scan.
func evaluateRoot(ctx context.Context, l *loader, tables *functionTables, root string, opts surface.Options) (res *rootResult) {
	re := &rootEval{ctx: ctx, l: l, root: root, opts: opts, errSeen: map[string]bool{},
		set: &model.Set{Surface: model.SurfaceTerraform}, net: newNetworkIndex()}
	table := tables.get(root, re.outsideRead)
	defer tables.put(table)
	defer func() {
		if r := recover(); r != nil {
			re.addErr(model.Error{File: root, Message: fmt.Sprintf("internal error while evaluating this root module (please report it): %v\n%s", r, debug.Stack())})
			res = &rootResult{set: re.set, errs: re.errs}
		}
	}()
	re.funcs, re.budget = table.funcs, &table.budget
	re.funcCtx = &hcl.EvalContext{Functions: re.funcs}
	manifest, merr := modulesManifest(root, opts.Jail, l.shared.source)
	if merr != nil {
		re.addErr(*merr)
	}
	re.manifest = manifest
	def := l.module(root)
	vars, errs, unreadable := rootVariables(def, root, l.shared.source, opts)
	for _, e := range errs {
		re.addErr(e)
	}
	if len(def.varOrder) > 0 {
		for _, f := range unreadable {
			g := gapOf(model.GapInputUnreadable, filepath.ToSlash(f), hcl.Range{Filename: f},
				fmt.Sprintf("variable file %s could not be read or parsed: every variable it may set is unknown", filepath.ToSlash(f)))
			g.Hint = "fix the file (see errors), or remove it"
			re.addGap(g)
		}
	}
	mi := re.newInstance(def, "", "", vars, nil, 0)
	mi.collect()
	re.net.link(re.set)
	return &rootResult{set: re.set, errs: re.errs}
}

// outsideRead records a file function whose path the jail refused, as one
// outside_scan_root gap per function and path.
func (re *rootEval) outsideRead(fn, arg string, err error) {
	addr := fmt.Sprintf("%s(%q)", fn, arg)
	if re.outsideSeen[addr] {
		return
	}
	if re.outsideSeen == nil {
		re.outsideSeen = map[string]bool{}
	}
	re.outsideSeen[addr] = true
	g := gapOf(model.GapOutsideScanRoot, addr, hcl.Range{Filename: re.root}, fmt.Sprintf("%s was not read: %v", addr, err))
	g.Hint = "scan from a directory that contains it, or allow its directory with --allow-read"
	re.addGap(g)
}

func (re *rootEval) addErr(e model.Error) {
	k := fmt.Sprintf("%s:%d:%s", e.File, e.Line, e.Message)
	if re.errSeen[k] {
		return
	}
	re.errSeen[k] = true
	re.errs = append(re.errs, e)
}

// valueDiagSummaries are the HCL diagnostics that depend on the values an
// expression was given (a function failing on its arguments, a null
// condition, an index out of range), which `terraform validate`, evaluating
// with unknown inputs, never reports. Every other diagnostic (an undeclared
// reference, an unknown function, a wrong number of arguments) is one
// validate reports.
var valueDiagSummaries = map[string]bool{
	"Error in function call":               true,
	"Invalid function argument":            true,
	"Null condition":                       true,
	"Invalid index":                        true,
	"Iteration over null value":            true,
	"Invalid template interpolation value": true,
}

// dependsOnInputs reports whether expr reads something `terraform validate`
// does not know: a variable, a resource, a data source, a module output,
// count or each. An expression of literals and locals only is evaluated by
// validate too, so its errors are validate's.
func dependsOnInputs(expr hcl.Expression) bool {
	for _, t := range expressionVariables(expr) {
		switch t.RootName() {
		case "local", "path", "terraform":
		default:
			return true
		}
	}
	return false
}

// splitValueDiags separates the error diagnostics validate reports from
// those that depend on the values (see valueDiagSummaries). The evaluation
// budget's diagnostics are never value diagnostics.
func splitValueDiags(diags hcl.Diagnostics) (static, byValue hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && valueDiagSummaries[d.Summary] && !strings.Contains(d.Detail, budgetPhrase) {
			byValue = append(byValue, d)
			continue
		}
		static = append(static, d)
	}
	return static, byValue
}

func (re *rootEval) diags(diags hcl.Diagnostics) {
	for _, e := range diagErrors(diags) {
		re.addErr(e)
	}
}

// modInst is one instance of a module (the root, or one instance of a call).
type modInst struct {
	re    *rootEval
	def   *moduleDef
	addr  string // "module.a[\"k\"].module.b"; "" for the root
	key   string // modules.json key: "a.b"
	vars  map[string]varValue
	supps []model.Suppression
	depth int

	// calls are the module blocks from the root to this instance (see
	// model.Meta.ModuleCalls).
	calls []model.Range

	// eachProv is the provenance of the for_each being expanded, for
	// values that read each.key / each.value.
	eachProv model.Provenance

	varObj    cty.Value
	locals    map[string]*memo
	outputs   map[string]*memo
	resources map[string]*resState
	modules   map[string]*modState
	pathObj   cty.Value // see path; cty.NilVal until read
}

type memo struct {
	busy, done bool
	v          cty.Value
}

type resInst struct {
	key  cty.Value // cty.NilVal without count/for_each
	addr string
	body *bodyVal
	obj  cty.Value
}

type resState struct {
	busy, done bool
	insts      []*resInst
	keyed      int // 0 none, 1 count, 2 for_each
	gap        string
	val        cty.Value
}

type childInst struct {
	key cty.Value
	mi  *modInst
}

type modState struct {
	busy, done bool
	call       *moduleCall
	insts      []*childInst
	keyed      int
	gap        string
	// gapKind is why gap is set: a source not on disk, else the expansion.
	gapKind model.GapKind
	// child is the called module, when its source was read, so that a
	// gap on its expansion hides only what it can hold.
	child *moduleDef
}

func (re *rootEval) newInstance(def *moduleDef, addr, key string, vars map[string]varValue, supps []model.Suppression, depth int) *modInst {
	mi := &modInst{re: re, def: def, addr: addr, key: key, vars: vars, supps: supps, depth: depth,
		locals: map[string]*memo{}, outputs: map[string]*memo{}, resources: map[string]*resState{}, modules: map[string]*modState{}}
	vals := make(map[string]cty.Value, len(vars))
	for n, v := range vars {
		vals[n] = v.v
		if decl := def.variables[n]; decl != nil && decl.sensitive {
			vals[n] = v.v.Mark(sensitiveMark{})
		}
	}
	mi.varObj = cty.ObjectVal(vals)
	return mi
}

// path is the instance's path object (path.module, path.root, path.cwd),
// made when an expression first reads it.
func (mi *modInst) path() cty.Value {
	if mi.pathObj == cty.NilVal {
		rel, err := filepath.Rel(mi.re.root, mi.def.dir)
		if err != nil {
			rel = mi.def.dir
		}
		cwd, _ := filepath.Abs(mi.re.root)
		mi.pathObj = cty.ObjectVal(map[string]cty.Value{
			"module": cty.StringVal(filepath.ToSlash(rel)),
			"root":   cty.StringVal("."),
			"cwd":    cty.StringVal(filepath.ToSlash(cwd)),
		})
	}
	return mi.pathObj
}

// scope is what an expression may see besides the module's named values.
type scope struct {
	count   cty.Value // object{index}, or cty.NilVal (see countScope)
	each    cty.Value // object{key, value}, or cty.NilVal
	extra   map[string]cty.Value
	noIndex bool
}

var emptyScope = &scope{}

// countScope is the scope of a counted instance: count.index is index.
func countScope(index cty.Value) *scope {
	return &scope{count: cty.ObjectVal(map[string]cty.Value{"index": index})}
}

func (sc *scope) with(name string, v cty.Value) *scope {
	n := *sc
	n.extra = make(map[string]cty.Value, len(sc.extra)+1)
	for k, x := range sc.extra {
		n.extra[k] = x
	}
	n.extra[name] = v
	return &n
}

// eval evaluates an expression in the module instance. Errors are recorded
// and give an unknown value naming where evaluation failed.
func (mi *modInst) eval(expr hcl.Expression, sc *scope) cty.Value {
	re := mi.re
	re.evals++
	if re.evals > maxEvaluations || re.ctx.Err() != nil {
		if !re.stopped {
			re.stopped = true
			msg := "evaluation stopped: the configuration needs too much work to evaluate"
			if re.ctx.Err() != nil {
				msg = "evaluation stopped: " + re.ctx.Err().Error()
			}
			re.addErr(model.Error{File: re.root, Message: msg})
		}
		return unknownBecause(cty.DynamicPseudoType, "evaluation was stopped")
	}
	shape := re.shapeOf(expr)
	ctx := mi.evalContext(shape.vars, sc)
	if shape.hasFor {
		if n := forIterations(expr, ctx); n > maxCollection {
			return mi.overBudget(expr, fmt.Sprintf("its for expressions would run about %.0f iterations, more than the evaluation budget of %d", n, maxCollection))
		}
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		static, byValue := diags, hcl.Diagnostics(nil)
		if dependsOnInputs(expr) {
			static, byValue = splitValueDiags(diags)
		}
		re.diags(static)
		r := expr.Range()
		reason := "evaluation error at " + fileLine(r)
		for _, d := range diags {
			if strings.Contains(d.Detail, budgetPhrase) {
				reason += ": " + d.Detail
				break
			}
		}
		if len(static) == 0 && len(byValue) > 0 {
			reason = fmt.Sprintf("the expression at %s fails with the values sagefence resolved (%s: %s); "+
				"terraform plan would report it, terraform validate does not", fileLine(r), byValue[0].Summary, byValue[0].Detail)
		}
		return unknownBecause(cty.DynamicPseudoType, reason)
	}
	if _, isRef := expr.(*hclsyntax.ScopeTraversalExpr); !isRef { // a reference makes no new value
		if size := valueSize(v, maxValueSize); size > maxValueSize {
			return mi.overBudget(expr, fmt.Sprintf("its value is larger than the evaluation budget of %s per value", safefs.Human(maxValueSize)))
		} else if size > bigValue && !re.budget.spend(size) {
			return mi.overBudget(expr, re.budget.exhaustedError().Error())
		}
	}
	return mi.withTemplateText(expr, ctx, v)
}

// shapeOf is shapeOf for the root's expressions, each walked once.
func (re *rootEval) shapeOf(expr hcl.Expression) exprShape {
	sh, seen := re.shapes[expr]
	if !seen {
		sh = shapeOf(expr)
		if re.shapes == nil {
			re.shapes = map[hcl.Expression]exprShape{}
		}
		re.shapes[expr] = sh
	}
	return sh
}

// overBudget records an expression that was not evaluated (or whose value
// was dropped) because of an evaluation budget, and returns the unknown
// value that stands for it.
func (mi *modInst) overBudget(expr hcl.Expression, why string) cty.Value {
	r := expr.Range()
	msg := fmt.Sprintf("expression not evaluated: %s", why)
	mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: msg})
	return unknownBecause(cty.DynamicPseudoType, fmt.Sprintf("the expression at %s was not evaluated: %s", fileLine(r), why))
}

func (mi *modInst) evalContext(traversals []hcl.Traversal, sc *scope) *hcl.EvalContext {
	if len(traversals) == 0 {
		return mi.re.funcCtx
	}
	vars := make(map[string]cty.Value, 4)
	// Made on first use: most expressions read one or two kinds of name.
	var (
		localObj map[string]cty.Value
		resObjs  map[string]map[string]cty.Value
		dataObjs map[string]map[string]cty.Value
		modWant  map[string]map[string]bool // module name -> outputs wanted (nil: all)
	)
	for _, t := range traversals {
		root := t.RootName()
		if v, ok := sc.extra[root]; ok {
			vars[root] = v
			continue
		}
		switch root {
		case "var":
			vars["var"] = mi.varObj
		case "local":
			if name, ok := attrAt(t, 1); ok {
				if _, declared := mi.def.locals[name]; declared {
					if localObj == nil {
						localObj = map[string]cty.Value{}
					}
					localObj[name] = mi.local(name)
				}
			}
		case "count":
			if sc.count != cty.NilVal {
				vars["count"] = sc.count
			}
		case "each":
			if sc.each != cty.NilVal {
				vars["each"] = sc.each
			}
		case "path":
			vars["path"] = mi.path()
		case "terraform":
			vars["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal(mi.workspace())})
		case "self":
			vars["self"] = unknownBecause(cty.DynamicPseudoType, "self is known only when the resource exists")
		case "module":
			name, ok := attrAt(t, 1)
			if !ok {
				continue
			}
			if _, declared := mi.def.modulesByNm[name]; !declared {
				continue
			}
			want, seen := modWant[name]
			if seen && want == nil {
				continue
			}
			if modWant == nil {
				modWant = map[string]map[string]bool{}
			}
			out, hasOut := outputAttr(t)
			if !hasOut {
				modWant[name] = nil
				continue
			}
			if want == nil {
				want = map[string]bool{}
				modWant[name] = want
			}
			want[out] = true
		case "data":
			typ, ok1 := attrAt(t, 1)
			name, ok2 := attrAt(t, 2)
			if !ok1 || !ok2 {
				continue
			}
			if _, declared := mi.def.data[typ+"."+name]; !declared {
				continue
			}
			if dataObjs == nil {
				dataObjs = map[string]map[string]cty.Value{}
			}
			if dataObjs[typ] == nil {
				dataObjs[typ] = map[string]cty.Value{}
			}
			dataObjs[typ][name] = unknownBecause(cty.DynamicPseudoType,
				fmt.Sprintf("data.%s.%s is read by Terraform during plan, not by a static scan (scan the plan JSON to see its value)", typ, name))
		default:
			name, ok := attrAt(t, 1)
			if !ok {
				continue
			}
			decl, declared := mi.def.resByAddr[root+"."+name]
			if !declared {
				continue
			}
			if resObjs == nil {
				resObjs = map[string]map[string]cty.Value{}
			}
			if resObjs[root] == nil {
				resObjs[root] = map[string]cty.Value{}
			}
			if _, done := resObjs[root][name]; !done {
				resObjs[root][name] = mi.resourceValue(decl)
			}
		}
	}
	if len(localObj) > 0 {
		vars["local"] = cty.ObjectVal(localObj)
	}
	for typ, objs := range resObjs {
		vars[typ] = cty.ObjectVal(objs)
	}
	if len(dataObjs) > 0 {
		d := map[string]cty.Value{}
		for typ, objs := range dataObjs {
			d[typ] = cty.ObjectVal(objs)
		}
		vars["data"] = cty.ObjectVal(d)
	}
	if len(modWant) > 0 {
		m := map[string]cty.Value{}
		for name, want := range modWant {
			m[name] = mi.moduleValue(name, want)
		}
		vars["module"] = cty.ObjectVal(m)
	}
	return &hcl.EvalContext{Variables: vars, Functions: mi.re.funcs}
}

func (mi *modInst) workspace() string {
	if mi.re.opts.Getenv != nil {
		if w := mi.re.opts.Getenv("TF_WORKSPACE"); w != "" {
			return w
		}
	}
	return "default"
}

// attrAt returns the attribute name at step i of a traversal.
func attrAt(t hcl.Traversal, i int) (string, bool) {
	if len(t) <= i {
		return "", false
	}
	switch s := t[i].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseRoot:
		return s.Name, true
	}
	return "", false
}

// outputAttr finds the output name in module.NAME[.KEY].OUTPUT.
func outputAttr(t hcl.Traversal) (string, bool) {
	if len(t) < 3 {
		return "", false
	}
	if a, ok := t[2].(hcl.TraverseAttr); ok {
		return a.Name, true
	}
	if len(t) >= 4 {
		if _, isIndex := t[2].(hcl.TraverseIndex); isIndex {
			if a, ok := t[3].(hcl.TraverseAttr); ok {
				return a.Name, true
			}
		}
	}
	return "", false
}

// local evaluates a local value once, on demand (locals may be declared in
// any order).
func (mi *modInst) local(name string) cty.Value {
	return mi.once(mi.locals, name, "local."+name, mi.def.locals[name].Expr)
}

// output evaluates a module output once, on demand.
func (mi *modInst) output(name string) cty.Value {
	return mi.once(mi.outputs, name, "output "+name, mi.def.outputs[name].Expr)
}

// once evaluates expr at most once per name, caching the value in cache; a
// value that refers to itself while being evaluated is unknown, naming what.
func (mi *modInst) once(cache map[string]*memo, name, what string, expr hcl.Expression) cty.Value {
	m := cache[name]
	if m == nil {
		m = &memo{}
		cache[name] = m
	}
	if m.done {
		return m.v
	}
	if m.busy {
		return unknownBecause(cty.DynamicPseudoType, what+" refers to itself")
	}
	m.busy = true
	m.v = mi.eval(expr, emptyScope)
	m.busy, m.done = false, true
	return m.v
}

// absAddr prefixes a resource address with the module path.
func (mi *modInst) absAddr(local string) string {
	if mi.addr == "" {
		return local
	}
	return mi.addr + "." + local
}

// expansion is the result of evaluating count or for_each.
type expansion struct {
	keyed int         // 0 single, 1 count, 2 for_each
	keys  []cty.Value // instance keys
	vals  []cty.Value // each.value per key (for_each)
	gap   string      // non-empty: unknown before apply
}

// expansionGap is the kind of gap an expansion that could not be made is:
// count (keyed 1) or for_each (keyed 2).
func expansionGap(keyed int) model.GapKind {
	if keyed == 2 {
		return model.GapUnknownForEach
	}
	return model.GapUnknownCount
}

// expand evaluates count / for_each of a resource or module call.
func (mi *modInst) expand(what string, count, forEach hcl.Expression) expansion {
	e := mi.expandKeys(what, count, forEach)
	if e.gap != "" {
		return e
	}
	re := mi.re
	if re.instances+len(e.keys) > maxRootInstances {
		msg := fmt.Sprintf("this root module expands to more than %d resource and module instances (count, for_each and module calls multiplied), more than sagefence evaluates", maxRootInstances)
		re.addErr(model.Error{File: re.root, Message: msg})
		return expansion{keyed: e.keyed, gap: fmt.Sprintf("%s was not expanded: %s", what, msg)}
	}
	re.instances += len(e.keys)
	return e
}

// expandKeys is expand without the per-root bound.
func (mi *modInst) expandKeys(what string, count, forEach hcl.Expression) expansion {
	switch {
	case count != nil:
		v := mi.eval(count, emptyScope)
		info := marksOf(v)
		v = unmarked(v)
		if !v.IsKnown() {
			return expansion{keyed: 1, gap: fmt.Sprintf("count of %s (%s) is unknown before apply: %s", what, mi.exprText(count), info.reason("it depends on values known only after apply"))}
		}
		n, err := convert.Convert(v, cty.Number)
		if err != nil || n.IsNull() {
			r := count.Range()
			mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("invalid count for %s: a whole number is required", what)})
			return expansion{keyed: 1, gap: fmt.Sprintf("count of %s is invalid", what)}
		}
		i, acc := n.AsBigFloat().Int64()
		if acc != 0 || i < 0 {
			r := count.Range()
			mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("invalid count for %s: %s is not a whole non-negative number", what, n.AsBigFloat().String())})
			return expansion{keyed: 1, gap: fmt.Sprintf("count of %s is invalid", what)}
		}
		if i > maxInstances {
			r := count.Range()
			mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("count for %s is %d, more than sagefence evaluates (%d)", what, i, maxInstances)})
			return expansion{keyed: 1, gap: fmt.Sprintf("count of %s is %d, too large to evaluate", what, i)}
		}
		e := expansion{keyed: 1}
		for k := int64(0); k < i; k++ {
			e.keys = append(e.keys, cty.NumberIntVal(k))
		}
		return e
	case forEach != nil:
		raw := mi.eval(forEach, emptyScope)
		info := marksOf(raw)
		v, _ := raw.Unmark()
		if !v.IsKnown() {
			return expansion{keyed: 2, gap: fmt.Sprintf("for_each of %s (%s) is unknown before apply: %s", what, mi.exprText(forEach), info.reason("it depends on values known only after apply"))}
		}
		invalid := func(msg string) expansion {
			r := forEach.Range()
			mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("invalid for_each for %s: %s", what, msg)})
			return expansion{keyed: 2, gap: fmt.Sprintf("for_each of %s is invalid: %s", what, msg)}
		}
		if v.IsNull() {
			return invalid("the value is null")
		}
		ty := v.Type()
		e := expansion{keyed: 2}
		switch {
		case ty.IsMapType() || ty.IsObjectType():
			for it := v.ElementIterator(); it.Next(); {
				k, val := it.Element()
				e.keys = append(e.keys, k)
				e.vals = append(e.vals, val)
			}
		case ty.IsSetType():
			if !v.IsWhollyKnown() {
				return expansion{keyed: 2, gap: fmt.Sprintf("for_each of %s (%s) has elements unknown before apply: %s", what, mi.exprText(forEach), info.reason("they are known only after apply"))}
			}
			if !ty.ElementType().Equals(cty.String) && ty.ElementType() != cty.DynamicPseudoType {
				if sv, err := convert.Convert(v, cty.Set(cty.String)); err == nil {
					v = sv
				} else {
					return invalid("a set must hold strings")
				}
			}
			for it := v.ElementIterator(); it.Next(); {
				_, val := it.Element()
				val, _ = val.Unmark()
				if val.IsNull() {
					return invalid("a set must not hold null")
				}
				e.keys = append(e.keys, val)
				e.vals = append(e.vals, val)
			}
		default:
			return invalid(fmt.Sprintf("it must be a map or a set of strings, not %s (use toset() for a list)", ty.FriendlyName()))
		}
		return e
	}
	return expansion{keys: []cty.Value{cty.NilVal}, vals: []cty.Value{cty.NilVal}}
}

func (e expansion) scope(i int) *scope {
	switch e.keyed {
	case 1:
		return countScope(e.keys[i])
	case 2:
		return &scope{each: cty.ObjectVal(map[string]cty.Value{"key": e.keys[i], "value": e.vals[i]})}
	}
	return emptyScope
}

// instanceKey renders an instance key the way Terraform prints addresses.
func instanceKey(k cty.Value) string {
	if k == cty.NilVal {
		return ""
	}
	if k.Type() == cty.Number {
		return "[" + k.AsBigFloat().Text('f', -1) + "]"
	}
	return "[" + quoteHCL(k.AsString()) + "]"
}

func quoteHCL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{':
			b.WriteByte(c)
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// exprText returns the source text of an expression, for messages.
func (mi *modInst) exprText(expr hcl.Expression) string {
	r := expr.Range()
	for _, pf := range mi.def.files {
		if pf.path == r.Filename && r.Start.Byte >= 0 && r.End.Byte <= len(pf.bytes) && r.Start.Byte < r.End.Byte {
			txt := strings.Join(strings.Fields(string(pf.bytes[r.Start.Byte:r.End.Byte])), " ")
			const maxLen = 80
			if len(txt) > maxLen {
				txt = txt[:maxLen] + "..."
			}
			return txt
		}
	}
	return fileLine(r)
}

// resourceState evaluates a managed resource's instances once.
func (mi *modInst) resourceState(decl *resourceDecl) *resState {
	st := mi.resources[decl.addr()]
	if st == nil {
		st = &resState{}
		mi.resources[decl.addr()] = st
	}
	if st.done || st.busy {
		return st
	}
	st.busy = true
	defer func() { st.busy, st.done = false, true }()
	abs := mi.absAddr(decl.addr())
	exp := mi.expand(abs, decl.count, decl.forEach)
	st.keyed = exp.keyed
	if exp.gap != "" {
		st.gap = exp.gap
		st.val = unknownBecause(cty.DynamicPseudoType, exp.gap)
		return st
	}
	for i, k := range exp.keys {
		inst := &resInst{key: k, addr: abs + instanceKey(k)}
		inst.body = mi.evalBody(decl.body, exp.scope(i), true)
		for _, ob := range decl.overrides {
			inst.body.override(mi.evalBody(ob, exp.scope(i), true))
		}
		st.insts = append(st.insts, inst)
	}
	return st
}

// resourceValue is what a reference to the resource sees (built on first
// reference: resources only collected into the model never need it).
func (mi *modInst) resourceValue(decl *resourceDecl) cty.Value {
	st := mi.resourceState(decl)
	if st.busy && !st.done {
		return unknownBecause(cty.DynamicPseudoType, fmt.Sprintf("%s refers to itself", mi.absAddr(decl.addr())))
	}
	if st.val != cty.NilVal {
		return st.val
	}
	for _, inst := range st.insts {
		inst.obj = mi.resourceObject(decl, inst)
	}
	switch st.keyed {
	case 0:
		st.val = st.insts[0].obj
	case 1:
		vals := make([]cty.Value, len(st.insts))
		for i, in := range st.insts {
			vals[i] = in.obj
		}
		st.val = cty.TupleVal(vals)
	case 2:
		m := make(map[string]cty.Value, len(st.insts))
		for _, in := range st.insts {
			m[in.key.AsString()] = in.obj
		}
		st.val = cty.ObjectVal(m)
	}
	return st.val
}

// identityAttrs are the attributes that identify a resource: a reference to
// them keeps the resource's key (model.Str.Ref).
var identityAttrs = map[string]bool{"id": true, "arn": true, "name": true}

// resourceObject is the value references see: the written attributes as
// evaluated, and every other attribute the module uses as unknown. An
// attribute written as null is unknown too: null is "not set", and the
// provider computes an optional+computed attribute at apply
// (aws_vpc.ipv6_cidr_block with assign_generated_ipv6_cidr_block), as
// Terraform plans it.
func (mi *modInst) resourceObject(decl *resourceDecl, inst *resInst) cty.Value {
	attrs := inst.body.object()
	ref := refMark{inst.addr}
	expose := func(name string) {
		reason := " is known only after apply"
		if v, written := attrs[name]; written {
			if !v.IsNull() {
				if identityAttrs[name] {
					attrs[name] = attrs[name].Mark(ref)
				}
				return
			}
			reason = " is not set in the configuration: the provider may compute it, known only after apply"
		}
		var who any = ownerMark{inst.addr}
		if identityAttrs[name] {
			who = ref
		}
		// unknownBecause(cty.DynamicPseudoType, reason).Mark(who), marked once.
		attrs[name] = cty.DynamicVal.WithMarks(cty.NewValueMarks(reasonMark{inst.addr + "." + name + reason}, who))
	}
	names := &mi.def.readNames
	for name := range names.attr {
		expose(name)
	}
	for name := range names.byResource[resourceKey{decl.typ, decl.name}] {
		expose(name)
	}
	return cty.ObjectVal(attrs)
}

// moduleState resolves and instantiates a module call once.
func (mi *modInst) moduleState(name string) *modState {
	st := mi.modules[name]
	if st == nil {
		st = &modState{call: mi.def.modulesByNm[name]}
		mi.modules[name] = st
	}
	if st.done || st.busy {
		return st
	}
	st.busy = true
	defer func() { st.busy, st.done = false, true }()
	call := st.call
	abs := mi.absAddr("module." + name)
	key := name
	if mi.key != "" {
		key = mi.key + "." + name
	}
	if mi.depth >= maxModuleDepth {
		st.gap = fmt.Sprintf("%s is nested more than %d modules deep (a module calling itself?)", abs, maxModuleDepth)
		st.gapKind = model.GapInputUnreadable
		mi.re.addErr(model.Error{File: call.rng.Filename, Line: call.rng.Start.Line, Message: st.gap})
		return st
	}
	dir, gap := mi.resolveSource(call, key)
	if gap != "" {
		st.gap, st.gapKind = gap, model.GapModuleNotDownloaded
		return st
	}
	if _, err := mi.re.opts.Jail.Check(dir); errors.Is(err, safefs.ErrOutside) {
		st.gap, st.gapKind = fmt.Sprintf("module source %q was not read: %v", call.source, err), model.GapOutsideScanRoot
		return st
	}
	child := mi.re.l.module(dir)
	if child.missing {
		st.gap, st.gapKind = fmt.Sprintf("module source %q does not exist on disk (%s)", call.source, dir), model.GapInputUnreadable
		mi.re.addErr(model.Error{File: call.rng.Filename, Line: call.rng.Start.Line, Message: fmt.Sprintf("module %q: source directory %s does not exist", name, dir)})
		return st
	}
	if !isUnder(dir, mi.re.root) || strings.Contains(filepath.ToSlash(dir), "/.terraform/") {
		// Directories outside the scanned arguments (downloaded modules) are
		// reported here; the others were reported once by Load.
		for _, e := range child.parseErrs {
			mi.re.addErr(e)
		}
	}
	exp := mi.expand(abs, call.count, call.forEach)
	st.keyed = exp.keyed
	if exp.gap != "" {
		st.gap, st.gapKind, st.child = exp.gap, expansionGap(exp.keyed), child
		return st
	}
	supps := append(append([]model.Suppression(nil), mi.supps...), call.supps...)
	savedEach := mi.eachProv
	mi.eachProv = mi.forEachProvenance(call.forEach)
	defer func() { mi.eachProv = savedEach }()
	for i, k := range exp.keys {
		sc := exp.scope(i)
		addr := abs + instanceKey(k)
		vars := mi.moduleInputs(call, child, sc, addr)
		ci := mi.re.newInstance(child, addr, key, vars, supps, mi.depth+1)
		ci.calls = append(append([]model.Range(nil), mi.calls...), toRange(call.rng))
		st.insts = append(st.insts, &childInst{key: k, mi: ci})
	}
	return st
}

// isUnder reports whether path is inside dir (lexically).
func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolveSource finds a module call's directory: local sources relative to
// the caller, others where terraform init put them, else (scan
// --download-modules) downloaded into the module cache. A non-empty second
// result explains why the module cannot be read.
func (mi *modInst) resolveSource(call *moduleCall, key string) (string, string) {
	if call.source == "" {
		return "", "the module call has no literal source"
	}
	if isLocalSource(call.source) {
		return filepath.Clean(filepath.Join(mi.def.dir, filepath.FromSlash(call.source))), ""
	}
	if dir, ok := mi.re.manifest[key]; ok {
		return dir, ""
	}
	if d := mi.re.opts.Modules; d != nil {
		dir, err := d.Download(mi.re.ctx, call.source, call.version)
		if err != nil {
			return "", fmt.Sprintf("module source %q could not be downloaded: %v", call.source, err)
		}
		return dir, ""
	}
	return "", fmt.Sprintf("module source %q is not on disk", call.source)
}

// moduleInputs evaluates a call's arguments into the child's variables.
func (mi *modInst) moduleInputs(call *moduleCall, child *moduleDef, sc *scope, addr string) map[string]varValue {
	vars := map[string]varValue{}
	names := make([]string, 0, len(call.inputs))
	for n := range call.inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, declared := child.variables[n]; !declared {
			a := call.inputs[n]
			mi.re.addErr(model.Error{File: a.NameRange.Filename, Line: a.NameRange.Start.Line,
				Message: fmt.Sprintf("module %q has no variable %q (unsupported argument)", call.name, n)})
		}
	}
	for _, name := range child.varOrder {
		decl := child.variables[name]
		a, ok := call.inputs[name]
		if !ok {
			vars[name] = defaultValue(decl, addr)
			continue
		}
		v := mi.eval(a.Expr, sc)
		step := &model.Step{Kind: model.StepModuleArgument, Name: "var." + name, Detail: addr,
			Range: toRange(a.Expr.Range()), Inputs: mi.provenance(a.Expr)}
		cv, err := convertVar(decl, v)
		if err != nil {
			r := a.Expr.Range()
			mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: fmt.Sprintf("invalid value for variable %q of %s: %v", name, addr, err)})
			vars[name] = varValue{v: unknownBecause(decl.typ, fmt.Sprintf("var.%s of %s has an invalid value", name, addr)), step: step}
			continue
		}
		if cv.IsNull() && !decl.nullable {
			vars[name] = defaultValue(decl, addr)
			continue
		}
		vars[name] = varValue{v: cv, step: step}
	}
	return vars
}

// moduleValue is what `module.NAME` evaluates to: an object of outputs per
// instance (a tuple for count, an object for for_each). want limits the
// outputs evaluated; nil means all.
func (mi *modInst) moduleValue(name string, want map[string]bool) cty.Value {
	st := mi.moduleState(name)
	if st.busy && !st.done {
		return unknownBecause(cty.DynamicPseudoType, fmt.Sprintf("module.%s refers to itself", name))
	}
	if st.gap != "" {
		return unknownBecause(cty.DynamicPseudoType, st.gap)
	}
	obj := func(c *modInst) cty.Value {
		m := map[string]cty.Value{}
		for out := range c.def.outputs {
			if want == nil || want[out] {
				m[out] = c.output(out)
			}
		}
		return cty.ObjectVal(m)
	}
	switch st.keyed {
	case 1:
		vals := make([]cty.Value, len(st.insts))
		for i, c := range st.insts {
			vals[i] = obj(c.mi)
		}
		return cty.TupleVal(vals)
	case 2:
		m := map[string]cty.Value{}
		for _, c := range st.insts {
			m[c.key.AsString()] = obj(c.mi)
		}
		return cty.ObjectVal(m)
	}
	if len(st.insts) == 0 {
		return cty.DynamicVal
	}
	return obj(st.insts[0].mi)
}

// forEachProvenance is the provenance of a for_each expression: the values
// it reads, else its text.
func (mi *modInst) forEachProvenance(expr hcl.Expression) model.Provenance {
	if expr == nil {
		return nil
	}
	saved := mi.eachProv
	mi.eachProv = nil
	defer func() { mi.eachProv = saved }()
	if p := mi.provenance(expr); len(p) > 0 {
		return p
	}
	return model.Provenance{{Kind: model.StepExpression, Name: mi.exprText(expr), Range: toRange(expr.Range())}}
}

// provenance is where a non-literal expression's value comes from: one step
// for a plain reference (var.x, local.y, module.m.out, each.value), else an
// expression step holding a step per value it reads. Resource references
// are not steps: the value shows them itself. Nil when the expression reads
// nothing that is a step.
func (mi *modInst) provenance(expr hcl.Expression) model.Provenance {
	var steps []model.Step
	for _, t := range expressionVariables(expr) {
		step, ok := mi.referenceStep(t)
		if ok && !slices.ContainsFunc(steps, step.Equal) {
			steps = append(steps, step)
		}
	}
	if len(steps) == 0 {
		return nil
	}
	if len(steps) == 1 && isPlainReference(expr, steps[0]) {
		return model.Provenance{steps[0]}
	}
	return model.Provenance{{Kind: model.StepExpression, Name: mi.exprText(expr), Detail: expressionKind(expr),
		Range: toRange(expr.Range()), Inputs: steps}}
}

// expressionKind names the kind of a computed expression for the Detail of
// its step ("conditional", "function call", ...); "" when it has no name.
func expressionKind(expr hcl.Expression) string {
	switch e := expr.(type) {
	case *hclsyntax.ConditionalExpr:
		return "conditional"
	case *hclsyntax.FunctionCallExpr:
		return "function call " + e.Name
	case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
		return "template"
	case *hclsyntax.IndexExpr, *hclsyntax.RelativeTraversalExpr, *hclsyntax.ScopeTraversalExpr:
		return "index"
	case *hclsyntax.ForExpr:
		return "for expression"
	case *hclsyntax.BinaryOpExpr, *hclsyntax.UnaryOpExpr:
		return "operator"
	case *hclsyntax.TupleConsExpr, *hclsyntax.ObjectConsExpr:
		return "collection"
	}
	return ""
}

// referenceStep is the provenance step of one reference; false for
// references that are not steps (resources).
func (mi *modInst) referenceStep(t hcl.Traversal) (model.Step, bool) {
	switch t.RootName() {
	case "var":
		name, ok := attrAt(t, 1)
		if !ok {
			return model.Step{}, false
		}
		if v, ok := mi.vars[name]; ok && v.step != nil {
			return *v.step, true
		}
		return model.Step{Kind: model.StepVariable, Name: "var." + name}, true
	case "local":
		name, _ := attrAt(t, 1)
		step := model.Step{Kind: model.StepLocal, Name: "local." + name}
		if a, ok := mi.def.locals[name]; ok {
			step.Range = toRange(a.Expr.Range())
		}
		return step, true
	case "module":
		name, _ := attrAt(t, 1)
		s := "module." + name
		if out, ok := outputAttr(t); ok {
			s += "." + out
		}
		return model.Step{Kind: model.StepModuleOutput, Name: s}, true
	case "each", "count", "path", "terraform", "self":
		s := t.RootName()
		if a, ok := attrAt(t, 1); ok {
			s += "." + a
		}
		switch t.RootName() {
		case "each":
			return model.Step{Kind: model.StepEach, Name: s, Inputs: mi.eachProv}, true
		case "count":
			return model.Step{Kind: model.StepCount, Name: s}, true
		}
		return model.Step{Kind: model.StepReference, Name: s}, true
	case "data":
		typ, _ := attrAt(t, 1)
		name, _ := attrAt(t, 2)
		return model.Step{Kind: model.StepDataSource, Name: "data." + typ + "." + name}, true
	}
	return model.Step{}, false // a resource reference is shown as the value itself
}

// isPlainReference reports whether expr is exactly the reference step names
// (var.x, "${var.x}"), so that the value is the step's value unchanged.
func isPlainReference(expr hcl.Expression, step model.Step) bool {
	if w, ok := expr.(*hclsyntax.TemplateWrapExpr); ok {
		expr = w.Wrapped
	}
	st, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok {
		return false
	}
	parts := []string{st.Traversal.RootName()}
	for _, tr := range st.Traversal[1:] {
		a, ok := tr.(hcl.TraverseAttr)
		if !ok {
			return false
		}
		parts = append(parts, a.Name)
	}
	return strings.Join(parts, ".") == step.Name
}

// collect evaluates every resource and module call of the instance into the Set.
func (mi *modInst) collect() {
	if len(mi.def.brokenOverride) > 0 {
		mi.collectBrokenOverride()
		return
	}
	for _, decl := range mi.def.resources {
		kind, inModel := modelKinds[decl.typ]
		if !inModel || decl.literalIngress {
			continue // evaluated only when something refers to it
		}
		st := mi.resourceState(decl)
		if st.gap != "" {
			if !networkTypes[decl.typ] || !mi.markUncounted(decl, st) {
				g := gapOf(expansionGap(st.keyed), mi.absAddr(decl.addr()), decl.rng, st.gap, kind)
				g.Type = decl.typ
				mi.re.addGap(g)
			}
			continue
		}
		mi.eachProv = mi.forEachProvenance(decl.forEach)
		for _, inst := range st.insts {
			mi.mapResource(decl, inst)
		}
		mi.eachProv = nil
	}
	for _, call := range mi.def.moduleCalls {
		st := mi.moduleState(call.name)
		if st.gap != "" {
			var hides []model.Kind
			if st.child != nil {
				var all bool
				if hides, all = mi.re.moduleKinds(st.child, mi.depth+1); !all && len(hides) == 0 {
					continue // the module holds nothing the model reads
				} else if all {
					hides = nil
				}
			}
			g := gapOf(st.gapKind, mi.absAddr("module."+call.name), call.rng, st.gap, hides...)
			g.Type, g.Source, g.Version = "module", call.source, call.version
			if st.gapKind == model.GapModuleNotDownloaded {
				if mi.re.opts.Modules != nil {
					g.Hint = fmt.Sprintf("fix the source or its access, or run `terraform init` in %s, so that sagefence reads the module from .terraform/modules", mi.re.root)
				} else {
					g.Hint = fmt.Sprintf("run `terraform init` in %s, so that sagefence reads the module from .terraform/modules (or scan with --download-modules)", mi.re.root)
				}
			}
			mi.re.addGap(g)
			continue
		}
		for _, c := range st.insts {
			c.mi.collect()
		}
	}
}

// collectBrokenOverride reports a module whose override file could not be
// read or parsed as one input_unreadable gap: the override may set any value
// of its resources and module calls, so none is evaluated without it. The
// gap hides the kinds of the module's resources, and every kind when it
// calls modules.
func (mi *modInst) collectBrokenOverride() {
	files := make([]string, len(mi.def.brokenOverride))
	for i, f := range mi.def.brokenOverride {
		files[i] = filepath.ToSlash(f)
	}
	var hides []model.Kind
	for _, decl := range mi.def.resources {
		if kind, ok := modelKinds[decl.typ]; ok && !decl.literalIngress && !slices.Contains(hides, kind) {
			hides = append(hides, kind)
		}
	}
	if len(hides) == 0 && len(mi.def.moduleCalls) == 0 {
		return // nothing any control reads
	}
	if len(mi.def.moduleCalls) > 0 {
		hides = nil
	}
	where := "the root module"
	if mi.addr != "" {
		where = mi.addr
	}
	g := gapOf(model.GapInputUnreadable, where, hcl.Range{Filename: mi.def.brokenOverride[0]},
		fmt.Sprintf("override file %s could not be read or parsed and may change any block of %s: none of its resources was evaluated", strings.Join(files, ", "), where), hides...)
	g.Type = "override"
	mi.re.addGap(g)
}

// moduleKinds lists, without evaluating anything, the kinds of model
// resource a module and the local modules it calls can declare; all is true
// when it calls a module that is not on disk as a local directory (or nests
// too deep), which may hold anything.
func (re *rootEval) moduleKinds(def *moduleDef, depth int) (kinds []model.Kind, all bool) {
	if depth > maxModuleDepth {
		return nil, true
	}
	for _, decl := range def.resources {
		if k, ok := modelKinds[decl.typ]; ok && !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	for _, call := range def.moduleCalls {
		if !isLocalSource(call.source) {
			return nil, true
		}
		child := re.l.module(filepath.Clean(filepath.Join(def.dir, filepath.FromSlash(call.source))))
		if child.missing {
			return nil, true
		}
		sub, subAll := re.moduleKinds(child, depth+1)
		if subAll {
			return nil, true
		}
		for _, k := range sub {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	return kinds, false
}

// isLiteralIngressRule reports whether decl is an aws_security_group_rule
// written with type = "ingress": no control reads ingress rules, so its
// instances are not evaluated unless something refers to them.
func isLiteralIngressRule(decl *resourceDecl) bool {
	if decl.typ != "aws_security_group_rule" || len(decl.overrides) > 0 {
		return false
	}
	body, ok := decl.body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	a, ok := body.Attributes["type"]
	if !ok {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String && v.AsString() == "ingress"
}
