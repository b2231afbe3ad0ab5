package fix

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
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

// textFile is a file edited by replacing values' text (JSON variable files,
// CloudFormation parameter files).
type textFile struct {
	path  string
	src   []byte
	edits []textEdit
}

// tfModule is the .tf files of one directory.
type tfModule struct {
	dir   string
	files []*tfFile // sorted by name
}

// workspace holds every Terraform file touched, so that edits from several
// resources to one file accumulate in one hclwrite.File.
type workspace struct {
	res     *Result
	files   map[string]*tfFile // nil value: the file could not be parsed
	texts   map[string]*textFile
	modules map[string]*tfModule
	// done de-duplicates edits of one place reached from several resources.
	done map[string]bool
	// declared records the variables added in this run (dir NUL name).
	declared map[string]bool
}

func newWorkspace(res *Result) *workspace {
	return &workspace{res: res, files: map[string]*tfFile{}, texts: map[string]*textFile{}, modules: map[string]*tfModule{},
		done: map[string]bool{}, declared: map[string]bool{}}
}

// finish turns the changed files into FileEdits.
func (w *workspace) finish() {
	for _, p := range sortedKeys(w.files) {
		if f := w.files[p]; f != nil && f.changed {
			w.res.Files = append(w.res.Files, FileEdit{Path: f.path, Old: f.src, New: keepUnchangedLines(f.src, f.wr.Bytes())})
		}
	}
	for _, p := range sortedKeys(w.texts) {
		f := w.texts[p]
		if out, ok := applyEdits(f.src, f.edits); ok && !bytes.Equal(out, f.src) {
			w.res.Files = append(w.res.Files, FileEdit{Path: f.path, Old: f.src, New: out})
		} else if !ok {
			w.res.Errors = append(w.res.Errors, model.Error{File: f.path, Message: "internal error: overlapping edits; nothing changed in this file"})
		}
	}
}

// file parses (once) an HCL file; nil when it cannot be read or parsed
// (the error is recorded).
func (w *workspace) file(path string) *tfFile {
	if f, ok := w.files[path]; ok {
		return f
	}
	w.files[path] = nil
	src, err := os.ReadFile(path)
	if err != nil {
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Message: err.Error()})
		return nil
	}
	syn, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		line := 0
		if d := diags[0]; d.Subject != nil {
			line = d.Subject.Start.Line
		}
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Line: line, Message: diags[0].Summary + ": " + diags[0].Detail})
		return nil
	}
	wr, diags := hclwrite.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		w.res.Errors = append(w.res.Errors, model.Error{File: path, Message: diags.Error()})
		return nil
	}
	f := &tfFile{path: path, src: src, syn: syn.Body.(*hclsyntax.Body), wr: wr}
	w.files[path] = f
	return f
}

// module loads (once) the .tf files of dir; nil when it has none or one
// does not parse.
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
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		f := w.file(filepath.Join(dir, e.Name()))
		if f == nil {
			return nil
		}
		m.files = append(m.files, f)
	}
	if len(m.files) == 0 {
		return nil
	}
	w.modules[dir] = m
	return m
}

// block is one top-level block with its file and its editable twin.
type block struct {
	file *tfFile
	syn  *hclsyntax.Block
	wr   *hclwrite.Block
}

func (b block) attr(name string) *hclsyntax.Attribute { return b.syn.Body.Attributes[name] }

// blocks are the top-level blocks of f of type typ whose labels start with labels.
func (f *tfFile) blocks(typ string, labels ...string) []block {
	var out []block
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
	return out
}

// blockAt is the top-level block of type typ that holds line.
func (f *tfFile) blockAt(typ string, line int) (block, bool) {
	for _, b := range f.blocks(typ) {
		if r := b.syn.Range(); r.Start.Line <= line && line <= r.End.Line {
			return b, true
		}
	}
	return block{}, false
}

func (m *tfModule) blocks(typ string, labels ...string) []block {
	var out []block
	for _, f := range m.files {
		out = append(out, f.blocks(typ, labels...)...)
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

// fix handles one Terraform notebook or domain.
func (w *workspace) fix(it workItem) {
	m := it.meta()
	if strings.HasSuffix(m.Range.File, ".json") {
		for id := range it.findings {
			w.res.Unfixable = append(w.res.Unfixable, Unfixable{File: m.Range.File, Line: m.Range.StartLine, Resource: m.Address, Control: id,
				Reason: "cannot fix automatically: Terraform JSON is not edited by sagefence fix; fix it by hand"})
		}
		return
	}
	f := w.file(m.Range.File)
	if f == nil {
		return
	}
	b, ok := f.blockAt("resource", m.Range.StartLine)
	if !ok {
		w.res.Errors = append(w.res.Errors, model.Error{File: m.Range.File, Line: m.Range.StartLine, Message: "internal error: no resource block at the finding's location; nothing changed for " + m.Address})
		return
	}
	if it.domain != nil {
		if it.status(controlDomainVpcOnly) != "" {
			w.fixValue(m, b, "app_network_access_type", it.domain.AppNetworkAccessType, "VpcOnly", controlDomainVpcOnly,
				" (updated in place; the apply fails while Studio apps are InService, Pending or Deleting: delete them first)")
		}
		return
	}
	nb := it.notebook
	accessChanged, networkChanged := false, false
	if it.status(controlDirectInternetAccess) != "" {
		accessChanged = w.fixValue(m, b, "direct_internet_access", nb.DirectInternetAccess, awsfacts.DirectInternetAccessDisabled, controlDirectInternetAccess, "")
	}
	if it.status(controlInVPC) == finding.Fail {
		networkChanged = w.fixNetwork(m, b)
	}
	replaced := accessChanged || networkChanged
	if mod := w.module(filepath.Dir(m.Range.File)); mod != nil && len(m.ModuleCalls) == 0 {
		pitfalls := it
		if accessChanged && !networkChanged {
			// A notebook given a network in this run is judged on it by the
			// next scan; its pitfalls cannot be known before.
			pitfalls = withAccessDisabled(it)
		}
		if pitfalls.status(controlHTTPSEgress) == finding.Fail {
			w.fixHTTPSEgress(mod, b, m.Address)
		}
		if pitfalls.status(controlPrivateServiceAccess) == finding.Fail {
			w.fixEndpoints(mod, b, m.Address)
		}
	}
	if replaced {
		w.res.Warnings = append(w.res.Warnings, replacementWarning(m.Address, b.file.path,
			"give the resource a new name and add lifecycle { create_before_destroy = true }, or deploy a second notebook beside it and move the data (blue/green)"))
	}
}

// withAccessDisabled is the item as the network pitfall controls will see it
// once this run has disabled its direct internet access: they judge only
// notebooks without it, so before the edit they said nothing, and a second
// run would find them failing. The controls are evaluated on a copy of the
// set with the notebook's access Disabled; a waived (suppressed) control is
// left alone.
func withAccessDisabled(it workItem) workItem {
	nb := *it.notebook
	nb.DirectInternetAccess = model.Str{V: awsfacts.DirectInternetAccessDisabled, Resolution: model.Explicit, Range: nb.DirectInternetAccess.Range}
	set := *it.set
	set.Notebooks = make([]*model.NotebookInstance, len(it.set.Notebooks))
	for i, other := range it.set.Notebooks {
		set.Notebooks[i] = other
		if other == it.notebook {
			set.Notebooks[i] = &nb
		}
	}
	out := it
	out.findings = map[string]finding.Finding{}
	for id, f := range it.findings {
		out.findings[id] = f
	}
	for _, id := range []string{controlHTTPSEgress, controlPrivateServiceAccess} {
		c, ok := control.Lookup(id)
		if !ok || suppressed(c, nb.Meta) {
			continue
		}
		fs, err := c.Evaluate(&set)
		if err != nil {
			continue
		}
		for _, f := range fs {
			if f.Resource.Address == nb.Address && f.Location.File == nb.Range.File && f.Status == finding.Fail {
				out.findings[id] = f
			}
		}
	}
	return out
}

// suppressed reports whether the resource waives control c in its source.
func suppressed(c *control.Control, m model.Meta) bool {
	for _, s := range m.Suppressions {
		for _, id := range s.IDs {
			if c.Matches(id) {
				return true
			}
		}
	}
	return false
}

// fixValue makes attribute attr of the resource (block b) equal want where
// its value comes from: the resource block when the attribute is omitted or
// written as a literal, else the step its provenance chain ends in. It
// returns true when it changed (or will change) the value.
func (w *workspace) fixValue(m model.Meta, b block, attr string, v model.Str, want, controlID, note string) bool {
	unfixable := func(reason string) bool {
		w.res.Unfixable = append(w.res.Unfixable, Unfixable{File: m.Range.File, Line: m.Range.StartLine,
			Resource: m.Address, Control: controlID, Reason: "cannot fix automatically: " + reason})
		return false
	}
	change := func(file string, line int, msg string) bool {
		w.res.Changes = append(w.res.Changes, Change{File: file, Line: line, Resource: m.Address, Control: controlID, Message: msg + note})
		return true
	}
	written := b.attr(attr)
	switch {
	case v.Resolution == model.Default && written != nil && !missing(written):
		return unfixable(fmt.Sprintf("%s is written at %s:%d but its value is null; make it %q where it is set", attr, b.file.path, written.Expr.Range().Start.Line, want))
	case v.Resolution == model.Default:
		if !w.once(b.file.path, m.Address, attr) {
			return true
		}
		b.wr.Body().SetAttributeValue(attr, cty.StringVal(want))
		b.file.changed = true
		return change(b.file.path, b.syn.DefRange().Start.Line, fmt.Sprintf("added %s = %q (it was omitted; the default is not compliant)", attr, want))
	case len(v.Provenance) == 0 && v.Known():
		// A literal: edit where the scan found it (an override file's
		// block when one sets it).
		f, lb, ok := w.literalBlock(b, v.Range)
		if !ok {
			return unfixable(fmt.Sprintf("%s at %s is not a literal sagefence can rewrite", attr, v.Range))
		}
		cur, isLit := literalString(lb.attr(attr))
		if !isLit {
			return unfixable(fmt.Sprintf("the value at %s is an expression sagefence does not rewrite", v.Range))
		}
		if !w.once(f.path, fmt.Sprint(v.Range.StartLine), attr) {
			return true
		}
		lb.wr.Body().SetAttributeValue(attr, cty.StringVal(want))
		f.changed = true
		return change(f.path, v.Range.StartLine, fmt.Sprintf("set %s = %q (was %q)", attr, want, cur))
	}
	chain := v.Provenance.Chain()
	if chain == nil {
		if !v.Known() {
			return unfixable(fmt.Sprintf("%s cannot be resolved: %s", attr, v.Reason))
		}
		return unfixable(fmt.Sprintf("the value of %s is computed from %s; sagefence does not rewrite expressions", attr, finding.DescribeProvenance(v.Provenance)))
	}
	last := chain[len(chain)-1]
	if !last.Editable() {
		return unfixable(notEditable(last, v))
	}
	file, line, cur, where, reason := w.editStep(last, want)
	if reason != "" {
		return unfixable(reason)
	}
	if file == "" {
		return true // the same place was already edited for another resource
	}
	return change(file, line, fmt.Sprintf("the value of %s comes from %s: set it to %q there (was %q)", attr, where, want, cur))
}

// once reports whether the edit keyed by its parts is new, and records it.
func (w *workspace) once(parts ...string) bool {
	k := strings.Join(parts, "\x00")
	if w.done[k] {
		return false
	}
	w.done[k] = true
	return true
}

// literalBlock is the resource block that holds the literal at rng: b
// itself, or the same resource's block in an override file.
func (w *workspace) literalBlock(b block, rng model.Range) (*tfFile, block, bool) {
	if rng.File == "" || rng.File == b.file.path {
		return b.file, b, true
	}
	f := w.file(rng.File)
	if f == nil {
		return nil, block{}, false
	}
	ob, ok := f.blockAt("resource", rng.StartLine)
	return f, ob, ok
}

// literalString is the value of a string literal attribute.
func literalString(a *hclsyntax.Attribute) (string, bool) {
	if a == nil || len(a.Expr.Variables()) > 0 {
		return "", false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return "", false
	}
	return v.AsString(), true
}

// notEditable explains why the value that ends its chain in step is not
// changed by fix.
func notEditable(step model.Step, v model.Str) string {
	bare := strings.TrimPrefix(strings.TrimPrefix(step.Name, "var."), "local.")
	switch step.Kind {
	case model.StepVariable:
		return fmt.Sprintf("%s has no default and nothing in this configuration sets it (terraform.tfvars, *.auto.tfvars, a module argument): "+
			"it is set outside (-var, -var-file, TF_VAR_%s); set it there", step.Name, bare)
	case model.StepVarFlag:
		return fmt.Sprintf("the value comes from the command line (--var %s=...); change it there", bare)
	case model.StepEnvironment:
		return fmt.Sprintf("the value comes from the environment variable TF_VAR_%s; change it there", bare)
	case model.StepLocal:
		return fmt.Sprintf("the value comes from a local value (%s at %s); change the local", step.Name, step.Range)
	case model.StepExpression:
		if step.Detail == "conditional" {
			return fmt.Sprintf("the value is a conditional expression (%s); make both results compliant or change its condition", step.Range)
		}
		return fmt.Sprintf("the value at %s is computed by an expression sagefence does not rewrite (from %s)", step.Range, finding.DescribeProvenance(v.Provenance))
	case model.StepModuleArgument:
		return fmt.Sprintf("the module argument at %s is computed from %s; sagefence does not rewrite expressions", step.Range, finding.DescribeProvenance(step.Inputs))
	}
	if !v.Known() {
		return v.Reason
	}
	return fmt.Sprintf("the value comes from %s, which sagefence does not rewrite", finding.DescribeProvenance(model.Provenance{step}))
}

// editStep sets the literal at an editable provenance step to want. It
// returns the file and line edited, the value that was there and a
// description of the place; file is "" when the place was already edited
// in this run; reason is set when the step cannot be edited.
func (w *workspace) editStep(step model.Step, want string) (file string, line int, cur, where, reason string) {
	path, line := step.Range.File, step.Range.StartLine
	bare := strings.TrimPrefix(step.Name, "var.")
	switch step.Kind {
	case model.StepTFVars, model.StepAutoTFVars, model.StepVarFile:
		where = fmt.Sprintf("%s in %s", bare, filepath.Base(path))
		if strings.HasSuffix(path, ".json") {
			cur, reason = w.editJSONVar(path, bare, line, want)
			if reason != "" || cur == "" {
				return "", 0, "", "", reason
			}
			return path, line, cur, where, ""
		}
	case model.StepVariableDefault:
		where = step.Name + " default"
	case model.StepModuleArgument:
		where = "argument " + bare + " of " + step.Detail
	default:
		return "", 0, "", "", fmt.Sprintf("%s at %s cannot be edited", step.Kind, step.Range)
	}
	if strings.HasSuffix(path, ".json") {
		return "", 0, "", "", fmt.Sprintf("the value comes from %s (%s), in Terraform JSON, which sagefence fix does not edit; set it to %q by hand", where, step.Range, want)
	}
	f := w.file(path)
	if f == nil {
		return "", 0, "", "", fmt.Sprintf("%s could not be read for editing", path)
	}
	body, name := f.wr.Body(), bare
	var a *hclsyntax.Attribute
	switch step.Kind {
	case model.StepVariableDefault, model.StepModuleArgument:
		typ := "variable"
		if step.Kind == model.StepModuleArgument {
			typ = "module"
		} else {
			name = "default"
		}
		b, ok := f.blockAt(typ, line)
		if !ok {
			return "", 0, "", "", fmt.Sprintf("no %s block at %s", typ, step.Range)
		}
		if typ == "module" {
			where = "argument " + bare + " of module." + b.syn.Labels[0]
		}
		body, a = b.wr.Body(), b.attr(name)
	default:
		a = f.syn.Attributes[name]
	}
	if a == nil || a.Expr.Range().Start.Line != line {
		return "", 0, "", "", fmt.Sprintf("%s is not written at %s as the scan found it; set it to %q by hand", where, step.Range, want)
	}
	cur, ok := literalString(a)
	if !ok {
		return "", 0, "", "", fmt.Sprintf("the value at %s is an expression sagefence does not rewrite", step.Range)
	}
	if !w.once(path, fmt.Sprint(line), name) {
		return "", 0, "", "", ""
	}
	body.SetAttributeValue(name, cty.StringVal(want))
	f.changed = true
	return path, line, cur, where, ""
}

// editJSONVar replaces the value of variable name in a .tfvars.json file;
// cur is "" when the same value was already replaced in this run.
func (w *workspace) editJSONVar(path, name string, line int, want string) (cur, reason string) {
	jf, reason := w.textFile(path)
	if jf == nil {
		return "", reason
	}
	f, diags := hcljson.Parse(jf.src, path)
	if diags.HasErrors() {
		return "", fmt.Sprintf("%s does not parse: %s", path, diags.Error())
	}
	attrs, _ := f.Body.JustAttributes()
	a, ok := attrs[name]
	if !ok || a.Expr.Range().Start.Line != line {
		return "", fmt.Sprintf("%s is not set at %s:%d as the scan found it; set it to %q by hand", name, path, line, want)
	}
	v, diags := a.Expr.Value(nil)
	r := a.Expr.Range()
	if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String || r.End.Byte > len(jf.src) || jf.src[r.Start.Byte] != '"' {
		return "", fmt.Sprintf("%s at %s:%d is not a string sagefence can rewrite", name, path, line)
	}
	if !w.once(path, fmt.Sprint(line), name) {
		return "", ""
	}
	jf.edits = append(jf.edits, textEdit{start: r.Start.Byte, end: r.End.Byte, text: strconv.Quote(want), seq: len(jf.edits)})
	return v.AsString(), ""
}

// textFile reads (once) a file edited by text replacement; nil and the
// reason when it cannot be read.
func (w *workspace) textFile(path string) (*textFile, string) {
	if f, ok := w.texts[path]; ok {
		return f, ""
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Sprintf("%s could not be read: %v", path, err)
	}
	f := &textFile{path: path, src: src}
	w.texts[path] = f
	return f, ""
}

// applyEdits performs text edits from the end of src backwards; false when
// two overlap.
func applyEdits(src []byte, edits []textEdit) ([]byte, bool) {
	edits = append([]textEdit(nil), edits...)
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start > edits[j].start
		}
		return edits[i].seq > edits[j].seq
	})
	out := append([]byte(nil), src...)
	limit := len(out)
	for _, e := range edits {
		if e.end > limit {
			return src, false
		}
		out = append(out[:e.start], append([]byte(e.text), out[e.end:]...)...)
		limit = e.start
	}
	return out, true
}

// Names of the inputs added when a notebook has no network.
const (
	subnetVariable        = "notebook_subnet_id"
	securityGroupVariable = "notebook_security_group_ids"
)

// fixNetwork gives a notebook without subnet_id / security_groups the ones
// of a sibling notebook, else variables that need values. It returns true
// when it changed something.
func (w *workspace) fixNetwork(m model.Meta, nb block) bool {
	needSubnet := missing(nb.attr("subnet_id"))
	needSGs := missing(nb.attr("security_groups"))
	if !needSubnet && !needSGs {
		return false
	}
	if mod := w.module(filepath.Dir(nb.file.path)); mod != nil {
		if donor, ok := mod.networkDonor(nb); ok {
			for _, a := range []struct {
				name string
				need bool
			}{{"subnet_id", needSubnet}, {"security_groups", needSGs}} {
				if a.need {
					nb.wr.Body().SetAttributeRaw(a.name, donor.wr.Body().GetAttribute(a.name).Expr().BuildTokens(nil))
				}
			}
			nb.file.changed = true
			w.res.Changes = append(w.res.Changes, Change{File: nb.file.path, Line: nb.syn.DefRange().Start.Line, Resource: m.Address, Control: controlInVPC,
				Message: fmt.Sprintf("copied the network (subnet_id, security_groups) of aws_sagemaker_notebook_instance.%s, which has direct internet access disabled", donor.syn.Labels[1])})
			return true
		}
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
		rootDir := w.ensureInput(m, in.variable, in.typ, in.desc, nb.file)
		w.res.Changes = append(w.res.Changes, Change{File: nb.file.path, Line: nb.syn.DefRange().Start.Line, Resource: m.Address, Control: controlInVPC,
			Message: fmt.Sprintf("%s was missing and cannot be derived from this configuration: set %s = var.%s; a value is needed for "+
				"var.%s in %s (no default was invented)", in.attr, in.attr, in.variable, in.variable, rootDir),
			NeedsValue: "var." + in.variable})
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
		if v, ok := literalString(b.attr("direct_internet_access")); ok && v == awsfacts.DirectInternetAccessDisabled {
			return b, true
		}
	}
	return block{}, false
}

// ensureInput declares variable name in the resource's module (in
// variables.tf when there is one, else in nearFile) unless it exists, and
// passes it down from the root through each module call of m.ModuleCalls,
// declaring it in each calling module. It returns the root module's
// directory, where the variable needs a value.
func (w *workspace) ensureInput(m model.Meta, name, typ, desc string, nearFile *tfFile) string {
	dir, near := filepath.Dir(m.Range.File), nearFile
	for i := len(m.ModuleCalls); ; i-- {
		w.declareVariable(dir, name, typ, desc, near)
		if i == 0 {
			return dir
		}
		call := m.ModuleCalls[i-1]
		cf := w.file(call.File)
		if cf == nil {
			return dir
		}
		if b, ok := cf.blockAt("module", call.StartLine); ok && b.attr(name) == nil {
			b.wr.Body().SetAttributeTraversal(name, hcl.Traversal{hcl.TraverseRoot{Name: "var"}, hcl.TraverseAttr{Name: name}})
			cf.changed = true
		}
		dir, near = filepath.Dir(call.File), cf
	}
}

// declareVariable adds `variable "name"` to the module in dir unless it
// has one.
func (w *workspace) declareVariable(dir, name, typ, desc string, near *tfFile) {
	mod := w.module(dir)
	if mod == nil || len(mod.blocks("variable", name)) > 0 || w.declared[dir+"\x00"+name] {
		return
	}
	target := near
	for _, f := range mod.files {
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
	w.declared[dir+"\x00"+name] = true
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
