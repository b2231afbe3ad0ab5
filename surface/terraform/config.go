package terraform

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/model"
)

// moduleDef is one directory's configuration, decoded once and read-only
// afterwards (shared by every root and module instance that uses it).
type moduleDef struct {
	dir       string
	missing   bool
	files     []*parsedFile
	parseErrs []model.Error // parse and decode errors, reported once
	// brokenOverride names override files (override.tf, *_override.tf) that
	// could not be read or parsed. They may change any block of the module,
	// so its resources and module calls are gaps, never evaluated without them.
	brokenOverride []string
	variables      map[string]*varDecl
	varOrder       []string
	locals         map[string]*hcl.Attribute
	outputs        map[string]*hcl.Attribute
	// outputNames are the declared outputs, with or without a value, to
	// report duplicates.
	outputNames map[string]bool
	moduleCalls []*moduleCall
	modulesByNm map[string]*moduleCall
	resources   []*resourceDecl // managed resources in declaration order
	resByAddr   map[string]*resourceDecl
	data        map[string]*resourceDecl
	// readNames holds the attribute names read from values, collected from
	// each file as it is parsed.
	readNames readNames
}

// readNames are the attribute names a module reads from values: attr for
// every resource, byResource per resource address (see addFile).
type readNames struct {
	attr       map[string]bool
	byResource map[resourceKey]map[string]bool
}

func newModuleDef(dir string) *moduleDef {
	return &moduleDef{
		dir: dir, variables: map[string]*varDecl{}, locals: map[string]*hcl.Attribute{},
		outputs: map[string]*hcl.Attribute{}, outputNames: map[string]bool{}, modulesByNm: map[string]*moduleCall{},
		resByAddr: map[string]*resourceDecl{}, data: map[string]*resourceDecl{},
	}
}

type varDecl struct {
	name     string
	typ      cty.Type
	defaults *typeexpr.Defaults
	def      cty.Value // cty.NilVal when there is no default
	nullable bool
	// sensitive: declared sensitive = true; the value is marked sensitiveMark.
	sensitive bool
	rng       hcl.Range
	parseHCL  bool // --var / TF_VAR values are HCL expressions (non-primitive type)
	// defaultRng is where the default is written (in an override file when
	// one replaces it); zero when there is no default.
	defaultRng model.Range

	// The default converted to the type, made once (defaultValue): the
	// module is shared by all its instances, in every root.
	convertOnce sync.Once
	converted   cty.Value
	convertErr  error
}

type moduleCall struct {
	name    string
	source  string
	version string // the version constraint, as written (literal only)
	count   hcl.Expression
	forEach hcl.Expression
	inputs  map[string]*hcl.Attribute
	rng     hcl.Range
	file    *parsedFile
	supps   []model.Suppression
}

type resourceDecl struct {
	// overrides are bodies from override files, merged over body in order.
	overrides []hcl.Body
	mode      string // "managed" or "data"
	typ       string
	name      string
	count     hcl.Expression
	forEach   hcl.Expression
	body      hcl.Body
	rng       hcl.Range
	file      *parsedFile
	supps     []model.Suppression
	address   string // typ.name, made once (see addr)
	// literalIngress is isLiteralIngressRule, decided once the module's
	// override files are merged.
	literalIngress bool
}

// addr is the resource's address in its module, "type.name".
func (r *resourceDecl) addr() string { return r.address }

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "terraform"}, {Type: "provider", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}}, {Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}}, {Type: "module", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}}, {Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "moved"}, {Type: "import"}, {Type: "check", LabelNames: []string{"name"}},
	{Type: "removed"}, {Type: "ephemeral", LabelNames: []string{"type", "name"}},
}}

// fileLabels is the number of labels of each block type of fileSchema.
var fileLabels = func() map[string]int {
	m := map[string]int{}
	for _, b := range fileSchema.Blocks {
		m[b.Type] = len(b.LabelNames)
	}
	return m
}()

// fileBlocks is body.Content(fileSchema)'s blocks and diagnostics. A native
// body holding only blocks of the schema's types with their labels (the
// common case) is read directly, since Content would first build maps of
// the schema, for every file; any other is left to Content, which says
// what is wrong.
func fileBlocks(body hcl.Body) (hcl.Blocks, hcl.Diagnostics) {
	if sb, ok := body.(*hclsyntax.Body); ok && len(sb.Attributes) == 0 {
		fits := true
		for _, b := range sb.Blocks {
			if n, known := fileLabels[b.Type]; !known || n != len(b.Labels) {
				fits = false
				break
			}
		}
		if fits {
			var blocks hcl.Blocks // nil for none, as from Content
			if len(sb.Blocks) > 0 {
				blocks = make(hcl.Blocks, len(sb.Blocks))
				for i, b := range sb.Blocks {
					blocks[i] = b.AsHCLBlock()
				}
			}
			return blocks, nil
		}
	}
	content, diags := body.Content(fileSchema)
	if content == nil {
		return nil, diags
	}
	return content.Blocks, diags
}

func (d *moduleDef) errorf(rng hcl.Range, format string, args ...any) {
	d.parseErrs = append(d.parseErrs, model.Error{File: rng.Filename, Line: rng.Start.Line, Message: fmt.Sprintf(format, args...)})
}

func (d *moduleDef) decodeFile(pf *parsedFile) {
	d.files = append(d.files, pf)
	blocks, diags := fileBlocks(pf.body)
	d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
	for _, b := range blocks {
		switch b.Type {
		case "variable":
			d.decodeVariable(b)
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
			for name, a := range attrs {
				if _, dup := d.locals[name]; dup {
					d.errorf(a.NameRange, "duplicate local value %q", name)
					continue
				}
				d.locals[name] = a
			}
		case "output":
			name := b.Labels[0]
			if d.outputNames[name] {
				d.errorf(b.DefRange, "duplicate output %q", name)
				continue
			}
			d.outputNames[name] = true
			if a, ok := attribute(b.Body, "value"); ok {
				d.outputs[name] = a
			} else {
				d.errorf(b.DefRange, "output %q: the argument \"value\" is required", name)
			}
		case "module":
			d.decodeModuleCall(pf, b)
		case "resource", "data":
			mode := "managed"
			if b.Type == "data" {
				mode = "data"
			}
			d.decodeResource(pf, b, mode)
		}
	}
}

func (d *moduleDef) decodeVariable(b *hcl.Block) {
	name := b.Labels[0]
	v := &varDecl{name: name, typ: cty.DynamicPseudoType, nullable: true, rng: b.DefRange, def: cty.NilVal}
	if e, ok := attrExpr(b.Body, "type"); ok {
		if ty, legacy := legacyQuotedType(e); legacy {
			// Terraform 0.11 quoted types ("string", "list", "map"): read
			// them as 0.12 did instead of refusing the module.
			v.typ, v.parseHCL = ty, !ty.IsPrimitiveType()
		} else if ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(e); diags.HasErrors() {
			d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
		} else {
			v.typ, v.defaults = ty, defaults
			v.parseHCL = !ty.IsPrimitiveType()
		}
	}
	if e, ok := attrExpr(b.Body, "nullable"); ok {
		if val, diags := e.Value(nil); !diags.HasErrors() && val.Type() == cty.Bool && val.IsKnown() && !val.IsNull() {
			v.nullable = val.True()
		}
	}
	if e, ok := attrExpr(b.Body, "sensitive"); ok {
		if val, diags := e.Value(nil); !diags.HasErrors() && val.Type() == cty.Bool && val.IsKnown() && !val.IsNull() {
			v.sensitive = val.True()
		}
	}
	if e, ok := attrExpr(b.Body, "default"); ok {
		val, diags := e.Value(nil)
		if diags.HasErrors() {
			d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
		} else {
			v.def = val
			v.defaultRng = toRange(e.Range())
		}
	}
	if _, dup := d.variables[name]; dup {
		d.errorf(b.DefRange, "duplicate variable %q", name)
		return
	}
	d.variables[name] = v
	d.varOrder = append(d.varOrder, name)
}

func (d *moduleDef) decodeModuleCall(pf *parsedFile, b *hcl.Block) {
	mc := &moduleCall{name: b.Labels[0], inputs: map[string]*hcl.Attribute{}, rng: blockRange(b), file: pf}
	attrs, diags := b.Body.JustAttributes()
	d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
	for name, a := range attrs {
		switch name {
		case "source":
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
				d.errorf(a.Expr.Range(), "module %q: source must be a literal string", mc.name)
				continue
			}
			mc.source = v.AsString()
		case "count":
			mc.count = a.Expr
		case "for_each":
			mc.forEach = a.Expr
		case "version":
			if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				mc.version = v.AsString()
			}
		case "providers", "depends_on":
		default:
			mc.inputs[name] = a
		}
	}
	mc.supps = d.suppressionsFor(pf, mc.rng)
	if _, dup := d.modulesByNm[mc.name]; dup {
		d.errorf(b.DefRange, "duplicate module call %q", mc.name)
		return
	}
	d.modulesByNm[mc.name] = mc
	d.moduleCalls = append(d.moduleCalls, mc)
}

func (d *moduleDef) decodeResource(pf *parsedFile, b *hcl.Block, mode string) {
	r := &resourceDecl{mode: mode, typ: b.Labels[0], name: b.Labels[1], body: b.Body, rng: blockRange(b), file: pf,
		address: b.Labels[0] + "." + b.Labels[1]}
	if e, ok := attrExpr(b.Body, "count"); ok {
		r.count = e
	}
	if e, ok := attrExpr(b.Body, "for_each"); ok {
		r.forEach = e
	}
	if mode == "data" {
		if _, dup := d.data[r.addr()]; dup {
			d.errorf(b.DefRange, "duplicate data source \"data.%s\"", r.addr())
			return
		}
		d.data[r.addr()] = r
		return
	}
	r.supps = d.suppressionsFor(pf, r.rng)
	if _, dup := d.resByAddr[r.addr()]; dup {
		d.errorf(b.DefRange, "duplicate resource %q", r.addr())
		return
	}
	d.resByAddr[r.addr()] = r
	d.resources = append(d.resources, r)
}

// decodeOverride merges an override file into the module as Terraform does:
// attributes replace attributes, nested block types replace the base's
// blocks of that type, and new locals/outputs/variables replace old ones.
func (d *moduleDef) decodeOverride(pf *parsedFile) {
	d.files = append(d.files, pf)
	blocks, diags := fileBlocks(pf.body)
	d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
	for _, b := range blocks {
		switch b.Type {
		case "resource", "data":
			addr := b.Labels[0] + "." + b.Labels[1]
			base := d.resByAddr[addr]
			if b.Type == "data" {
				base = d.data[addr]
			}
			if base == nil {
				d.errorf(b.DefRange, "override for %s %s has no base block in the module", b.Type, addr)
				continue
			}
			base.overrides = append(base.overrides, b.Body)
			if e, ok := attrExpr(b.Body, "count"); ok {
				base.count, base.forEach = e, nil
			}
			if e, ok := attrExpr(b.Body, "for_each"); ok {
				base.forEach, base.count = e, nil
			}
		case "locals":
			attrs, diags := b.Body.JustAttributes()
			d.parseErrs = append(d.parseErrs, diagErrors(diags)...)
			for name, a := range attrs {
				d.locals[name] = a
			}
		case "output":
			if a, ok := attribute(b.Body, "value"); ok {
				d.outputs[b.Labels[0]] = a
			}
		case "variable":
			name := b.Labels[0]
			base := d.variables[name]
			if base == nil {
				d.errorf(b.DefRange, "override for variable %q has no base declaration", name)
				continue
			}
			delete(d.variables, name)
			d.decodeVariable(b)
			merged := d.variables[name]
			if _, ok := attrExpr(b.Body, "type"); !ok {
				merged.typ, merged.defaults, merged.parseHCL = base.typ, base.defaults, base.parseHCL
			}
			if _, ok := attrExpr(b.Body, "default"); !ok {
				merged.def, merged.defaultRng = base.def, base.defaultRng
			}
			if _, ok := attrExpr(b.Body, "nullable"); !ok {
				merged.nullable = base.nullable
			}
			// decodeVariable appended the name again
			d.varOrder = d.varOrder[:len(d.varOrder)-1]
		case "module":
			base := d.modulesByNm[b.Labels[0]]
			if base == nil {
				d.errorf(b.DefRange, "override for module %q has no base module call", b.Labels[0])
				continue
			}
			tmp := newModuleDef(d.dir)
			tmp.decodeModuleCall(pf, b)
			over := tmp.modulesByNm[b.Labels[0]]
			if over.source != "" {
				base.source = over.source
			}
			if over.count != nil {
				base.count, base.forEach = over.count, nil
			}
			if over.forEach != nil {
				base.forEach, base.count = over.forEach, nil
			}
			for n, a := range over.inputs {
				base.inputs[n] = a
			}
		}
	}
}

// attribute returns the attribute name of a block whose other content is
// not checked here: a native body's is read directly, where JustAttributes
// would convert every attribute (and complain about nested blocks, such as
// a variable's validation); any other body's through JustAttributes, its
// diagnostics ignored.
func attribute(body hcl.Body, name string) (*hcl.Attribute, bool) {
	if sb, ok := body.(*hclsyntax.Body); ok {
		a, ok := sb.Attributes[name]
		if !ok {
			return nil, false
		}
		return a.AsHCLAttribute(), true
	}
	attrs, _ := body.JustAttributes()
	a, ok := attrs[name]
	return a, ok
}

// attrExpr is attribute's expression, read without making an hcl.Attribute
// from a native body.
func attrExpr(body hcl.Body, name string) (hcl.Expression, bool) {
	if sb, ok := body.(*hclsyntax.Body); ok {
		if a, ok := sb.Attributes[name]; ok {
			return a.Expr, true
		}
		return nil, false
	}
	if a, ok := attribute(body, name); ok {
		return a.Expr, true
	}
	return nil, false
}

// blockRange spans a block from its header to its closing brace.
func blockRange(b *hcl.Block) hcl.Range {
	if sb, ok := b.Body.(*hclsyntax.Body); ok {
		return hcl.RangeBetween(b.DefRange, sb.SrcRange)
	}
	return b.DefRange
}

// addFile adds the attribute names a file of the module reads from values:
// per resource (aws_x.y[0].attr) and, for traversals whose subject is not
// known syntactically (splats, locals, each, module outputs), for every
// resource. A resource's value exposes these names as unknown when they are
// not written in its block. Called right after the file is parsed, while
// its syntax tree is still in the processor's caches (walking the trees of
// a whole module later costs half as much again).
func (rn *readNames) addFile(pf *parsedFile) {
	if rn.attr == nil {
		rn.attr = map[string]bool{"id": true, "arn": true, "name": true}
	}
	if sb, ok := pf.body.(*hclsyntax.Body); ok {
		walkSyntax(sb, func(n hclsyntax.Node) {
			switch e := n.(type) {
			case *hclsyntax.ScopeTraversalExpr:
				rn.addTraversal(e.Traversal)
			case *hclsyntax.RelativeTraversalExpr:
				for _, step := range e.Traversal {
					if a, ok := step.(hcl.TraverseAttr); ok {
						rn.attr[a.Name] = true
					}
				}
			}
		})
	}
	if pf.json {
		// JSON expressions are templates inside strings: take every
		// ".name" in the file (a superset is harmless).
		for _, m := range jsonAttrName.FindAllSubmatch(pf.bytes, -1) {
			rn.attr[string(m[1])] = true
		}
	}
}

// addTraversal records the attribute names read after a traversal's
// subject: aws_x.y[0].a.b gives a and b for aws_x.y; local.l.a gives a for
// every resource.
// resourceKey is a resource's type and name (its address in the module).
type resourceKey struct{ typ, name string }

func (rn *readNames) addTraversal(t hcl.Traversal) {
	if len(t) < 3 {
		return
	}
	root := t.RootName()
	var target map[string]bool
	switch root {
	case "path", "terraform", "count", "data":
		return
	case "var", "local", "each", "module", "self":
		target = rn.attr
	default:
		name, ok := attrAt(t, 1)
		if !ok {
			return
		}
		key := resourceKey{root, name}
		if rn.byResource == nil {
			rn.byResource = map[resourceKey]map[string]bool{}
		}
		target = rn.byResource[key]
		if target == nil {
			target = map[string]bool{}
			rn.byResource[key] = target
		}
	}
	for _, step := range t[2:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			target[a.Name] = true
		}
	}
}

var jsonAttrName = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_-]*)`)

// fileLine renders a range as file:line for origins and reasons, with the
// file as the scan reached it: the same path as model.Range.File and
// location.file, so that two modules' main.tf are never confused.
func fileLine(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d", filepath.ToSlash(rng.Filename), rng.Start.Line)
}

// legacyQuotedType reads a Terraform 0.11 quoted type constraint.
func legacyQuotedType(expr hcl.Expression) (cty.Type, bool) {
	if _, isTemplate := expr.(*hclsyntax.TemplateExpr); !isTemplate {
		if _, isJSONish := expr.(*hclsyntax.ScopeTraversalExpr); isJSONish {
			return cty.NilType, false
		}
		if _, isSyntax := expr.(hclsyntax.Expression); isSyntax {
			return cty.NilType, false
		}
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return cty.NilType, false
	}
	switch v.AsString() {
	case "string":
		return cty.String, true
	case "list":
		return cty.List(cty.String), true
	case "map":
		return cty.Map(cty.String), true
	}
	return cty.NilType, false
}
