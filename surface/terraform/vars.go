package terraform

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// varValue is a variable's value and where it came from: nil step when it
// has no value at all.
type varValue struct {
	v    cty.Value
	step *model.Step
}

// assigned is one assignment of a root variable from some source.
type assigned struct {
	v    cty.Value
	raw  *string // --var / TF_VAR text, parsed according to the variable's type
	step model.Step
	// origin names the source in error messages and reasons ("--var x",
	// "prod.tfvars:2").
	origin string
	// failed, when set, says that an input which may set the variable could
	// not be read or parsed: the variable is unknown (never the value this
	// input would have overridden) unless a later input sets it.
	failed string
}

// rootVariables resolves the root module's variables in Terraform's
// precedence order: default < TF_VAR_ < terraform.tfvars < terraform.tfvars.json
// < *.auto.tfvars(.json) < --var-file and --var in command-line order.
//
// unreadable lists the variable files that could not be read or parsed
// (each made the variables it may set unknown), for input_unreadable gaps.
func rootVariables(def *moduleDef, root string, cache *sourceCache, opts surface.Options) (vars map[string]varValue, errs []model.Error, unreadable []string) {
	assign := map[string]assigned{}
	if opts.Getenv != nil {
		for _, name := range def.varOrder {
			if s := opts.Getenv("TF_VAR_" + name); s != "" {
				s := s
				assign[name] = assigned{raw: &s, origin: "environment variable TF_VAR_" + name,
					step: model.Step{Kind: model.StepEnvironment, Name: "var." + name, Via: "TF_VAR_" + name}}
			}
		}
	}
	for _, f := range autoVarFiles(root, cache) {
		kind := model.StepAutoTFVars
		if b := filepath.Base(f); b == "terraform.tfvars" || b == "terraform.tfvars.json" {
			kind = model.StepTFVars
		}
		fileErrs, ok := readVarFile(f, kind, def, assign, opts.Jail)
		errs = append(errs, fileErrs...)
		if !ok {
			unreadable = append(unreadable, f)
		}
	}
	for _, in := range opts.VarInputs {
		if in.Kind == surface.VarFile {
			// Named by the user: not confined to the scan root, still read
			// only as a regular file of bounded size.
			fileErrs, ok := readVarFile(in.Value, model.StepVarFile, def, assign, nil)
			errs = append(errs, fileErrs...)
			if !ok {
				unreadable = append(unreadable, in.Value)
			}
			continue
		}
		name, raw, ok := strings.Cut(in.Value, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			errs = append(errs, model.Error{Message: fmt.Sprintf("--var %q: expected name=value", in.Value)})
			continue
		}
		if _, declared := def.variables[name]; !declared {
			continue
		}
		assign[name] = assigned{raw: &raw, origin: "--var " + name,
			step: model.Step{Kind: model.StepVarFlag, Name: "var." + name, Via: "--var"}}
	}

	out := map[string]varValue{}
	for _, name := range def.varOrder {
		decl := def.variables[name]
		a, ok := assign[name]
		if !ok {
			out[name] = defaultValue(decl, "")
			continue
		}
		step := a.step
		if a.failed != "" {
			out[name] = varValue{v: unknownBecause(decl.typ, fmt.Sprintf("var.%s is unknown: %s", name, a.failed)), step: &step}
			continue
		}
		v := a.v
		if a.raw != nil {
			var err *model.Error
			v, err = parseRawVar(decl, *a.raw, a.origin)
			if err != nil {
				errs = append(errs, *err)
				out[name] = varValue{v: unknownBecause(decl.typ, fmt.Sprintf("var.%s has an invalid value (%s)", name, a.origin)), step: &step}
				continue
			}
		}
		cv, err := convertVar(decl, v)
		if err != nil {
			errs = append(errs, model.Error{File: a.step.Range.File, Line: a.step.Range.StartLine,
				Message: fmt.Sprintf("invalid value for var.%s (%s): %v", name, a.origin, err)})
			out[name] = varValue{v: unknownBecause(decl.typ, fmt.Sprintf("var.%s has an invalid value (%s)", name, a.origin)), step: &step}
			continue
		}
		if cv.IsNull() && !decl.nullable {
			out[name] = defaultValue(decl, "")
			continue
		}
		out[name] = varValue{v: cv, step: &step}
	}
	return out, errs, unreadable
}

// defaultValue is the variable's default, or unknown when it has none.
// scope names the module call for messages ("" for the root).
func defaultValue(decl *varDecl, scope string) varValue {
	if decl.def == cty.NilVal {
		reason := fmt.Sprintf("var.%s has no value (no default, no tfvars, no -var)", decl.name)
		if scope != "" {
			reason = fmt.Sprintf("var.%s of %s has no value (no default and not set by the module call)", decl.name, scope)
		}
		return varValue{v: unknownBecause(decl.typ, reason)}
	}
	step := &model.Step{Kind: model.StepVariableDefault, Name: "var." + decl.name, Range: decl.defaultRng}
	decl.convertOnce.Do(func() { decl.converted, decl.convertErr = convertVar(decl, decl.def) })
	v, err := decl.converted, decl.convertErr
	if err != nil {
		return varValue{v: unknownBecause(decl.typ, fmt.Sprintf("var.%s default does not match its type: %v", decl.name, err)), step: step}
	}
	return varValue{v: v, step: step}
}

// convertVar applies optional() defaults and converts to the declared type.
func convertVar(decl *varDecl, v cty.Value) (cty.Value, error) {
	if decl.defaults != nil {
		v = applyDefaults(decl.defaults, v)
	}
	cv, err := convert.Convert(v, decl.typ)
	if err != nil {
		return cty.NilVal, err
	}
	return cv, nil
}

// applyDefaults fills the optional() attribute defaults of a variable's type
// into v, also when parts of v are unknown (an object holding a module
// output keeps its other attributes' defaults, as in Terraform). A value
// the defaults cannot walk is returned as it is.
func applyDefaults(d *typeexpr.Defaults, v cty.Value) (out cty.Value) {
	defer func() {
		if recover() != nil {
			out = v
		}
	}()
	return d.Apply(v)
}

// parseRawVar interprets --var / TF_VAR text like Terraform: a literal
// string for primitive (or no) types, an HCL expression otherwise.
func parseRawVar(decl *varDecl, raw, origin string) (cty.Value, *model.Error) {
	if !decl.parseHCL {
		return cty.StringVal(raw), nil
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, &model.Error{Message: fmt.Sprintf("%s: %s", origin, diags.Error())}
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.NilVal, &model.Error{Message: fmt.Sprintf("%s: %s", origin, diags.Error())}
	}
	return v, nil
}

// autoVarFiles lists the variable files Terraform loads automatically in
// root, in order, from the first pass's listing when cache has it. A name
// that exists but cannot be read (a dangling symlink, a FIFO) is listed
// too, so that reading it fails loudly.
func autoVarFiles(root string, cache *sourceCache) []string {
	if f, listed := cache.rootFactsOf(root); listed {
		return f.varFiles
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		// A directory that cannot be listed may still let its files be
		// read by name.
		entries = nil
		for _, n := range fixedVarFiles {
			if fi, err := os.Lstat(filepath.Join(root, n)); err == nil {
				entries = append(entries, fs.FileInfoToDirEntry(fi))
			}
		}
	}
	return varFilesIn(root, entries)
}

// fixedVarFiles are the variable files Terraform loads first, in order.
var fixedVarFiles = []string{"terraform.tfvars", "terraform.tfvars.json"}

// varFilesIn picks, from the entries of root, the variable files Terraform
// loads automatically: fixedVarFiles unless they are directories (a
// symbolic link is followed to tell), then every *.auto.tfvars(.json) that
// is not a directory entry, in lexical order.
func varFilesIn(root string, entries []fs.DirEntry) []string {
	var fixed [2]string
	var auto []string
	for _, e := range entries {
		n := e.Name()
		if i := slices.Index(fixedVarFiles, n); i >= 0 {
			p := filepath.Join(root, n)
			if e.Type()&fs.ModeSymlink != 0 {
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					continue
				}
			} else if e.IsDir() {
				continue
			}
			fixed[i] = p
		} else if !e.IsDir() && (strings.HasSuffix(n, ".auto.tfvars") || strings.HasSuffix(n, ".auto.tfvars.json")) {
			auto = append(auto, filepath.Join(root, n))
		}
	}
	var out []string
	for _, p := range fixed {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(auto)
	return append(out, auto...)
}

// readVarFile reads a .tfvars or .tfvars.json file into assign, through
// jail (nil: anywhere); names the module does not declare are ignored. kind
// is the provenance step kind of its assignments. A file that cannot be
// read or parsed marks every declared variable failed, and a value that
// cannot be evaluated marks its variable failed: what the file would have
// set is unknown, never the value it would have overridden.
//
// ok is false when the file as a whole could not be read or parsed.
func readVarFile(path string, kind model.StepKind, def *moduleDef, assign map[string]assigned, jail *safefs.Jail) (errs []model.Error, ok bool) {
	failAll := func(why string) {
		for _, name := range def.varOrder {
			assign[name] = assigned{failed: fmt.Sprintf("%s, which may set it, %s", filepath.ToSlash(path), why), origin: filepath.ToSlash(path),
				step: model.Step{Kind: kind, Name: "var." + name, Range: model.Range{File: path}}}
		}
	}
	src, err := jail.ReadFile(path, 0)
	if err != nil {
		failAll("could not be read (" + describeFSError(err) + ")")
		return []model.Error{{File: path, Message: "read variable file: " + describeFSError(err)}}, false
	}
	f, diags := parseHCL(src, path)
	if diags.HasErrors() || f == nil {
		failAll("could not be parsed")
		return diagErrors(diags), false
	}
	attrs, diags := f.Body.JustAttributes()
	errs = diagErrors(diags)
	if diags.HasErrors() {
		failAll("could not be parsed")
		return errs, false
	}
	for name, a := range attrs {
		if _, declared := def.variables[name]; !declared {
			continue
		}
		rng := a.Expr.Range()
		origin := fmt.Sprintf("%s:%d", filepath.ToSlash(path), rng.Start.Line)
		step := model.Step{Kind: kind, Name: "var." + name, Range: model.Range{File: path, StartLine: rng.Start.Line, EndLine: rng.End.Line}}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			errs = append(errs, diagErrors(diags)...)
			assign[name] = assigned{failed: fmt.Sprintf("its value at %s could not be evaluated", origin), origin: origin, step: step}
			continue
		}
		assign[name] = assigned{v: v, origin: origin, step: step}
	}
	return errs, true
}
