package fix

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/model"
)

// tfFile is one .tf or .tfvars file, parsed twice: hclsyntax for analysis
// (on the original text, so ranges stay valid) and hclwrite for editing.
type tfFile struct {
	path    string
	src     []byte
	syn     *hclsyntax.Body
	wr      *hclwrite.File
	changed bool
}

// tfModule is the files of one directory.
type tfModule struct {
	dir    string
	files  []*tfFile // .tf, sorted
	tfvars []*tfFile // terraform.tfvars then *.auto.tfvars, in load order
}

// workspace holds every module touched, so that edits from several roots
// to one file accumulate in one hclwrite.File.
type workspace struct {
	modules map[string]*tfModule
	res     *Result
	// failing holds the failing network pitfall findings of the root
	// modules (control ID NUL address), from engine.Scan.
	failing map[string]bool
	// done de-duplicates edits of one origin reached from several resources.
	done map[string]bool
	// declared records the variables added in this run (dir NUL name).
	declared map[string]bool
}

func planTerraform(ctx context.Context, dirs []string, res *Result) {
	w := &workspace{modules: map[string]*tfModule{}, res: res, done: map[string]bool{}, declared: map[string]bool{}}
	called := map[string]bool{}
	for _, d := range dirs {
		m := w.module(d)
		if m == nil {
			continue
		}
		for _, call := range m.moduleCalls() {
			if child := call.childDir(m.dir); child != "" {
				called[child] = true
			}
		}
	}
	for _, d := range dirs {
		if called[filepath.Clean(d)] {
			continue // reported through its caller (OUTPUT.md)
		}
		if m := w.module(d); m != nil {
			w.failing = failingPitfalls(ctx, m.dir)
			w.fixModule(&modCtx{mod: m}, map[string]bool{})
		}
	}
	for _, d := range sortedKeys(w.modules) {
		m := w.modules[d]
		if m == nil {
			continue
		}
		for _, f := range append(append([]*tfFile{}, m.files...), m.tfvars...) {
			if f.changed {
				res.Files = append(res.Files, FileEdit{Path: f.path, Old: f.src, New: keepUnchangedLines(f.src, f.wr.Bytes())})
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// module loads (once) the module in dir; nil when it has no .tf file or a
// file does not parse (the error is recorded).
func (w *workspace) module(dir string) *tfModule {
	dir = filepath.Clean(dir)
	if m, ok := w.modules[dir]; ok {
		return m
	}
	w.modules[dir] = nil
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.res.Errors = append(w.res.Errors, model.Error{File: dir, Message: err.Error()})
		return nil
	}
	m := &tfModule{dir: dir}
	var autoVars []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, ".tf"):
			f, ok := w.parse(path)
			if !ok {
				return nil
			}
			m.files = append(m.files, f)
		case strings.HasSuffix(name, ".tf.json"):
			w.res.Errors = append(w.res.Errors, model.Error{File: path, Message: "Terraform JSON is not edited by sagefence fix; fix it by hand"})
		case name == "terraform.tfvars":
			if f, ok := w.parse(path); ok {
				m.tfvars = append([]*tfFile{f}, m.tfvars...)
			}
		case strings.HasSuffix(name, ".auto.tfvars"):
			autoVars = append(autoVars, path)
		}
	}
	sort.Strings(autoVars)
	for _, p := range autoVars {
		if f, ok := w.parse(p); ok {
			m.tfvars = append(m.tfvars, f)
		}
	}
	if len(m.files) == 0 {
		return nil
	}
	w.modules[dir] = m
	return m
}

func (w *workspace) parse(path string) (*tfFile, bool) {
	src, err := os.ReadFile(path)
	if err != nil {
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Message: err.Error()})
		return nil, false
	}
	syn, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		line := 0
		if d := diags[0]; d.Subject != nil {
			line = d.Subject.Start.Line
		}
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Line: line, Message: diags[0].Summary + ": " + diags[0].Detail})
		return nil, false
	}
	wr, diags := hclwrite.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Message: diags.Error()})
		return nil, false
	}
	return &tfFile{path: path, src: src, syn: syn.Body.(*hclsyntax.Body), wr: wr}, true
}

// block is one top-level block with its file and its editable twin.
type block struct {
	file *tfFile
	syn  *hclsyntax.Block
	wr   *hclwrite.Block
}

func (b block) attr(name string) *hclsyntax.Attribute { return b.syn.Body.Attributes[name] }

func (m *tfModule) blocks(typ string, labels ...string) []block {
	var out []block
	for _, f := range m.files {
		wrBlocks := f.wr.Body().Blocks()
		for _, sb := range f.syn.Blocks {
			if sb.Type != typ || !labelsMatch(sb.Labels, labels) {
				continue
			}
			for _, wb := range wrBlocks {
				if wb.Type() == sb.Type && equalStrings(wb.Labels(), sb.Labels) {
					out = append(out, block{file: f, syn: sb, wr: wb})
					break
				}
			}
		}
	}
	return out
}

func labelsMatch(have, want []string) bool {
	for i, w := range want {
		if i >= len(have) || have[i] != w {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// moduleCall is a module block.
type moduleCall struct{ block }

func (m *tfModule) moduleCalls() []moduleCall {
	var out []moduleCall
	for _, b := range m.blocks("module") {
		out = append(out, moduleCall{b})
	}
	return out
}

// childDir is the local directory a call's source names, or "" for a
// registry/remote source or a non-literal one.
func (c moduleCall) childDir(parent string) string {
	a := c.attr("source")
	if a == nil {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return ""
	}
	s := v.AsString()
	if !strings.HasPrefix(s, "./") && !strings.HasPrefix(s, "../") {
		return ""
	}
	return filepath.Clean(filepath.Join(parent, s))
}

// modCtx is a module as reached from a root: the call chain gives module
// inputs and addresses.
type modCtx struct {
	mod    *tfModule
	caller *modCtx
	call   *moduleCall // the call in caller that instantiates mod
}

func (c *modCtx) address(resource string) string {
	if c.caller == nil {
		return resource
	}
	return c.caller.address("module." + c.call.syn.Labels[0] + "." + resource)
}

// fixModule fixes the module and, through their calls, its local children.
func (w *workspace) fixModule(ctx *modCtx, visiting map[string]bool) {
	if visiting[ctx.mod.dir] {
		return // a module cycle: Terraform rejects it anyway
	}
	visiting[ctx.mod.dir] = true
	defer delete(visiting, ctx.mod.dir)
	for _, nb := range ctx.mod.blocks("resource", "aws_sagemaker_notebook_instance") {
		w.fixNotebook(ctx, nb)
	}
	for _, d := range ctx.mod.blocks("resource", "aws_sagemaker_domain") {
		addr := ctx.address("aws_sagemaker_domain." + d.syn.Labels[1])
		w.fixValue(ctx, d, "app_network_access_type", "VpcOnly", addr, controlDomainVpcOnly,
			" (updated in place; the apply fails while Studio apps are InService, Pending or Deleting: delete them first)")
	}
	for i, call := range ctx.mod.moduleCalls() {
		child := call.childDir(ctx.mod.dir)
		if child == "" {
			continue
		}
		if m := w.module(child); m != nil {
			calls := ctx.mod.moduleCalls()
			w.fixModule(&modCtx{mod: m, caller: ctx, call: &calls[i]}, visiting)
		}
	}
}

func (w *workspace) fixNotebook(ctx *modCtx, nb block) {
	addr := ctx.address("aws_sagemaker_notebook_instance." + nb.syn.Labels[1])
	replaced := w.fixValue(ctx, nb, "direct_internet_access", "Disabled", addr, controlDirectInternetAccess, "")
	if w.fixNetwork(ctx, nb, addr) {
		replaced = true
	}
	if ctx.caller == nil && w.failing[controlHTTPSEgress+"\x00"+addr] {
		w.fixHTTPSEgress(ctx, nb, addr)
	}
	if ctx.caller == nil && w.failing[controlPrivateServiceAccess+"\x00"+addr] {
		w.fixEndpoints(ctx, nb, addr)
	}
	if replaced {
		w.res.Warnings = append(w.res.Warnings, replacementWarning(addr, nb.file.path,
			"give the resource a new name and add lifecycle { create_before_destroy = true }, or deploy a second notebook beside it and move the data (blue/green)"))
	}
}

// origin is where a value is written and can be set.
type origin struct {
	file  *tfFile
	body  *hclwrite.Body
	attr  string
	line  int
	where string // for messages: "variables.tf:4 (var.x default)"
	// current is the literal value there; omitted is true when the attribute is absent.
	current string
	omitted bool
}

// trace follows expr (the value of attr in body; nil when omitted) to the
// literal it comes from. It returns a reason instead when it cannot.
func (w *workspace) trace(ctx *modCtx, file *tfFile, body *hclwrite.Body, attr string, expr hclsyntax.Expression, where string) (origin, string) {
	if expr == nil {
		return origin{file: file, body: body, attr: attr, omitted: true, where: where}, ""
	}
	line := expr.Range().Start.Line
	pos := fmt.Sprintf("%s:%d", file.path, line)
	if len(expr.Variables()) == 0 {
		v, diags := expr.Value(nil)
		if !diags.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
			return origin{file: file, body: body, attr: attr, line: line, where: where, current: v.AsString()}, ""
		}
		if !diags.HasErrors() && v.IsNull() {
			return origin{file: file, body: body, attr: attr, line: line, where: where, omitted: true}, ""
		}
		return origin{}, fmt.Sprintf("the value at %s is an expression sagefence does not rewrite", pos)
	}
	switch e := expr.(type) {
	case *hclsyntax.ScopeTraversalExpr:
		tr := e.Traversal
		if len(tr) == 2 && tr.RootName() == "var" {
			if name, ok := tr[1].(hcl.TraverseAttr); ok {
				return w.traceVar(ctx, name.Name, pos)
			}
		}
		if tr.RootName() == "local" {
			return origin{}, fmt.Sprintf("the value comes from a local value (%s); change the local", pos)
		}
		return origin{}, fmt.Sprintf("the value comes from another object (%s)", pos)
	case *hclsyntax.ConditionalExpr:
		return origin{}, fmt.Sprintf("the value is a conditional expression (%s); make both results compliant or change its condition", pos)
	}
	return origin{}, fmt.Sprintf("the value at %s is computed by an expression sagefence does not rewrite", pos)
}

// traceVar follows var.name: the module call's argument, else (in a root)
// the tfvars files, else the variable's default.
func (w *workspace) traceVar(ctx *modCtx, name, usedAt string) (origin, string) {
	if ctx.caller != nil {
		if a := ctx.call.attr(name); a != nil {
			return w.trace(ctx.caller, ctx.call.file, ctx.call.wr.Body(), name, a.Expr,
				fmt.Sprintf("argument %s of module.%s", name, ctx.call.syn.Labels[0]))
		}
	} else {
		// terraform.tfvars, then *.auto.tfvars in name order: the last wins.
		for i := len(ctx.mod.tfvars) - 1; i >= 0; i-- {
			f := ctx.mod.tfvars[i]
			if a := f.syn.Attributes[name]; a != nil {
				return w.trace(ctx, f, f.wr.Body(), name, a.Expr, fmt.Sprintf("%s in %s", name, filepath.Base(f.path)))
			}
		}
	}
	vars := ctx.mod.blocks("variable", name)
	if len(vars) == 0 {
		return origin{}, fmt.Sprintf("var.%s (%s) is not declared", name, usedAt)
	}
	v := vars[0]
	def := v.attr("default")
	if def == nil {
		if ctx.caller != nil {
			return origin{}, fmt.Sprintf("var.%s has no default and module.%s does not set it", name, ctx.call.syn.Labels[0])
		}
		return origin{}, fmt.Sprintf("var.%s has no default and no value in terraform.tfvars or *.auto.tfvars: it is set outside "+
			"this configuration (-var, -var-file, TF_VAR_%s); set it there", name, name)
	}
	o, reason := w.trace(ctx, v.file, v.wr.Body(), "default", def.Expr, fmt.Sprintf("var.%s default", name))
	if reason == "" && o.omitted {
		return origin{}, fmt.Sprintf("var.%s defaults to null and nothing sets it", name)
	}
	return o, reason
}

// fixValue makes attr of resource b equal want where its value comes from.
// It returns true when it changed (or will change) the value.
func (w *workspace) fixValue(ctx *modCtx, b block, attr, want, addr, controlID, note string) bool {
	var expr hclsyntax.Expression
	if a := b.attr(attr); a != nil {
		expr = a.Expr
	}
	o, reason := w.trace(ctx, b.file, b.wr.Body(), attr, expr, "the resource")
	if reason != "" {
		w.res.Unfixable = append(w.res.Unfixable, Unfixable{File: b.file.path, Line: b.syn.DefRange().Start.Line,
			Resource: addr, Control: controlID, Reason: "cannot fix automatically: " + reason})
		return false
	}
	if !o.omitted && o.current == want {
		return false
	}
	key := fmt.Sprintf("%s\x00%p\x00%s", o.file.path, o.body, o.attr)
	if o.omitted {
		key = fmt.Sprintf("%s\x00%s\x00%s", b.file.path, addr, attr)
	}
	if w.done[key] {
		return true
	}
	w.done[key] = true
	o.body.SetAttributeValue(o.attr, cty.StringVal(want))
	o.file.changed = true
	var msg string
	switch {
	case o.omitted && o.where == "the resource":
		msg = fmt.Sprintf("added %s = %q (it was omitted; the default is not compliant)", attr, want)
		o.line = b.syn.DefRange().Start.Line
	case o.omitted:
		msg = fmt.Sprintf("set %s = %q (%s was null)", o.attr, want, o.where)
	case o.where == "the resource":
		msg = fmt.Sprintf("set %s = %q (was %q)", attr, want, o.current)
	default:
		msg = fmt.Sprintf("the value of %s comes from %s: set it to %q there (was %q)", attr, o.where, want, o.current)
	}
	w.res.Changes = append(w.res.Changes, Change{File: o.file.path, Line: o.line, Resource: addr, Control: controlID, Message: msg + note})
	return true
}

// Names of the inputs added when a notebook has no network.
const (
	subnetVariable        = "notebook_subnet_id"
	securityGroupVariable = "notebook_security_group_ids"
)

// fixNetwork gives a notebook without subnet_id / security_groups the ones
// of a sibling notebook, else variables that need values. It returns true
// when it changed something.
func (w *workspace) fixNetwork(ctx *modCtx, nb block, addr string) bool {
	needSubnet := missing(nb.attr("subnet_id"))
	needSGs := missing(nb.attr("security_groups"))
	if !needSubnet && !needSGs {
		return false
	}
	if donor, ok := ctx.mod.networkDonor(nb); ok {
		for _, a := range []struct {
			name string
			need bool
		}{{"subnet_id", needSubnet}, {"security_groups", needSGs}} {
			if a.need {
				nb.wr.Body().SetAttributeRaw(a.name, donor.wr.Body().GetAttribute(a.name).Expr().BuildTokens(nil))
			}
		}
		nb.file.changed = true
		w.res.Changes = append(w.res.Changes, Change{File: nb.file.path, Line: nb.syn.DefRange().Start.Line, Resource: addr, Control: controlInVPC,
			Message: fmt.Sprintf("copied the network (subnet_id, security_groups) of aws_sagemaker_notebook_instance.%s, which has direct internet access disabled", donor.syn.Labels[1])})
		return true
	}
	type input struct {
		attr, variable, typ, desc string
		need                      bool
	}
	for _, in := range []input{
		{"subnet_id", subnetVariable, "string", "ID of the private subnet for SageMaker notebook instances. Added by sagefence fix: a value is needed. " +
			"Direct internet access is disabled, so the notebook must run in a VPC subnet that reaches SageMaker and S3 through VPC endpoints or a NAT gateway.", needSubnet},
		{"security_groups", securityGroupVariable, "list(string)", "Security group IDs for SageMaker notebook instances. Added by sagefence fix: a value is needed. " +
			"They must allow outbound HTTPS (TCP 443) to the VPC endpoints or NAT gateway.", needSGs},
	} {
		if !in.need {
			continue
		}
		nb.wr.Body().SetAttributeTraversal(in.attr, hcl.Traversal{hcl.TraverseRoot{Name: "var"}, hcl.TraverseAttr{Name: in.variable}})
		nb.file.changed = true
		rootVar, rootDir := w.ensureInput(ctx, in.variable, in.typ, in.desc, nb.file)
		w.res.Changes = append(w.res.Changes, Change{File: nb.file.path, Line: nb.syn.DefRange().Start.Line, Resource: addr, Control: controlInVPC,
			Message: fmt.Sprintf("%s was missing and cannot be derived from this configuration: set %s = var.%s; a value is needed for "+
				"var.%s in %s (no default was invented)", in.attr, in.attr, in.variable, rootVar, rootDir),
			NeedsValue: "var." + rootVar})
	}
	return true
}

func missing(a *hclsyntax.Attribute) bool {
	if a == nil {
		return true
	}
	if len(a.Expr.Variables()) > 0 {
		return false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() {
		return false
	}
	if v.IsNull() {
		return true
	}
	if (v.Type().IsTupleType() || v.Type().IsListType() || v.Type().IsSetType()) && v.LengthInt() == 0 {
		return true
	}
	return v.Type() == cty.String && v.AsString() == ""
}

// networkDonor is another notebook of the module with a literal "Disabled"
// and both network attributes set.
func (m *tfModule) networkDonor(self block) (block, bool) {
	for _, b := range m.blocks("resource", "aws_sagemaker_notebook_instance") {
		if b.syn == self.syn || missing(b.attr("subnet_id")) || missing(b.attr("security_groups")) {
			continue
		}
		a := b.attr("direct_internet_access")
		if a == nil || len(a.Expr.Variables()) > 0 {
			continue
		}
		if v, diags := a.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String && v.AsString() == "Disabled" {
			return b, true
		}
	}
	return block{}, false
}

// ensureInput declares variable name in the module (in variables.tf when
// there is one, else in nearFile) unless it exists, and, for a child
// module, passes it through each caller up to the root. It returns the root
// variable's name and directory.
func (w *workspace) ensureInput(ctx *modCtx, name, typ, desc string, nearFile *tfFile) (string, string) {
	if len(ctx.mod.blocks("variable", name)) == 0 && !w.declared[ctx.mod.dir+"\x00"+name] {
		target := nearFile
		for _, f := range ctx.mod.files {
			if filepath.Base(f.path) == "variables.tf" {
				target = f
			}
		}
		body := target.wr.Body()
		if !bytes.HasSuffix(target.wr.Bytes(), []byte("\n\n")) {
			body.AppendNewline()
		}
		vb := body.AppendNewBlock("variable", []string{name}).Body()
		vb.SetAttributeValue("description", cty.StringVal(desc))
		vb.SetAttributeRaw("type", typeTokens(typ))
		target.changed = true
		w.declared[ctx.mod.dir+"\x00"+name] = true
	}
	if ctx.caller == nil {
		return name, ctx.mod.dir
	}
	if ctx.call.attr(name) == nil {
		ctx.call.wr.Body().SetAttributeTraversal(name, hcl.Traversal{hcl.TraverseRoot{Name: "var"}, hcl.TraverseAttr{Name: name}})
		ctx.call.file.changed = true
	}
	return w.ensureInput(ctx.caller, name, typ, desc, ctx.call.file)
}

func typeTokens(typ string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("t = "+typ+"\n"), "type", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("fix: invalid type expression %q", typ))
	}
	return f.Body().GetAttribute("t").Expr().BuildTokens(nil)
}

// keepUnchangedLines undoes the formatting hclwrite applies to the whole file
// when it writes: every line the edit did not touch is taken from the
// original text, so a file that is not `terraform fmt`-clean is not
// reformatted. Only the edited blocks end up aligned as terraform fmt would.
// When formatting changes the line structure, edited is returned as is.
func keepUnchangedLines(orig, edited []byte) []byte {
	formatted := hclwrite.Format(orig)
	if bytes.Equal(formatted, orig) {
		return edited
	}
	fl, ol := splitLines(string(formatted)), splitLines(string(orig))
	if len(fl) != len(ol) {
		return edited
	}
	var out bytes.Buffer
	for _, op := range diffLines(fl, splitLines(string(edited))) {
		var l line
		switch op.kind {
		case ' ':
			l = ol[op.aLine-1]
		case '+':
			l = line{text: op.text, noNewline: op.noNewline}
		default:
			continue
		}
		out.WriteString(l.text)
		if !l.noNewline {
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
