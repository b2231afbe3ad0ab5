package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// templateMark on an unknown string is its template text: the parts known
// before apply rendered, each unknown interpolation kept as ${source text}
// ("com.amazonaws.${data.aws_region.current.name}.s3"). model.Str keeps it
// in V while the value stays Unknown, so that controls can still read the
// known parts (an endpoint's service suffix).
type templateMark struct{ text string }

// withTemplateText marks an unknown result of a template expression or a
// format() call with its template text. Any other expression keeps a
// template mark only when it passes a value through unchanged (a reference,
// parentheses, a conditional): a function such as lower() would make the
// text lie about the value.
func (mi *modInst) withTemplateText(expr hcl.Expression, ctx *hcl.EvalContext, v cty.Value) cty.Value {
	if v.IsKnown() && !v.IsMarked() {
		return v
	}
	u, marks := v.Unmark()
	if u.IsKnown() {
		return v
	}
	var text string
	var ok bool
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		text, ok = mi.renderTemplate(e.Parts, ctx)
	case *hclsyntax.TemplateWrapExpr:
		text, ok = mi.renderTemplate([]hclsyntax.Expression{e.Wrapped}, ctx)
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "format" {
			text, ok = mi.renderFormat(e, ctx)
		}
	case *hclsyntax.ScopeTraversalExpr, *hclsyntax.RelativeTraversalExpr, *hclsyntax.ParenthesesExpr,
		*hclsyntax.ConditionalExpr, *hclsyntax.IndexExpr:
		return v
	}
	kept := make(cty.ValueMarks, len(marks))
	for m := range marks {
		if _, isTemplate := m.(templateMark); !isTemplate {
			kept[m] = struct{}{}
		}
	}
	if ok {
		kept[templateMark{text}] = struct{}{}
	}
	return u.WithMarks(kept)
}

// renderTemplate renders template parts: known parts as their string,
// unknown ones as ${source} (or the template text they already carry when
// they are a plain reference to a templated value).
func (mi *modInst) renderTemplate(parts []hclsyntax.Expression, ctx *hcl.EvalContext) (string, bool) {
	var b strings.Builder
	for _, p := range parts {
		s, ok := mi.renderPart(p, ctx, "${", "}")
		if !ok || b.Len()+len(s) > maxTemplateText {
			return "", false
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// maxTemplateText bounds a template text: texts that reuse the texts of
// the values they reference would otherwise double at every step of a
// chain of locals.
const maxTemplateText = 64 << 10

// renderPart renders one interpolated expression; open and close wrap the
// source text of an unknown part.
func (mi *modInst) renderPart(p hclsyntax.Expression, ctx *hcl.EvalContext, open, closing string) (string, bool) {
	v, diags := p.Value(ctx)
	if diags.HasErrors() {
		return "", false
	}
	u, marks := v.Unmark()
	if u.IsKnown() {
		if u.IsNull() {
			return "", false
		}
		s, err := convert.Convert(u, cty.String)
		if err != nil || !s.IsKnown() {
			return "", false
		}
		return s.AsString(), true
	}
	if _, isRef := p.(*hclsyntax.ScopeTraversalExpr); isRef {
		if t, ok := onlyTemplate(marks); ok {
			return t, true
		}
	}
	src, ok := mi.sourceText(p.Range())
	if !ok {
		return "", false
	}
	if strings.HasPrefix(src, "${") || strings.HasPrefix(src, "%{") {
		return src, true // a directive or an interpolation whose range includes its delimiters
	}
	return open + src + closing, true
}

// renderFormat renders format(spec, args...) when spec is a known string:
// each verb with a known argument is formatted, an unknown argument is kept
// as ${source}. Indexed verbs (%[2]s) are not rendered.
func (mi *modInst) renderFormat(call *hclsyntax.FunctionCallExpr, ctx *hcl.EvalContext) (string, bool) {
	if len(call.Args) == 0 || call.ExpandFinal {
		return "", false
	}
	specV, diags := call.Args[0].Value(ctx)
	specV, _ = specV.Unmark()
	if diags.HasErrors() || !specV.IsKnown() || specV.IsNull() || specV.Type() != cty.String {
		return "", false
	}
	spec := specV.AsString()
	args := call.Args[1:]
	format := mi.re.funcs["format"]
	var b strings.Builder
	next := 0
	for i := 0; i < len(spec); i++ {
		c := spec[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(spec) && spec[i+1] == '%' {
			b.WriteByte('%')
			i++
			continue
		}
		j := i + 1
		for j < len(spec) && strings.IndexByte("+-# 0123456789.", spec[j]) >= 0 {
			j++
		}
		if j >= len(spec) || spec[j] == '[' || spec[j] == '*' || next >= len(args) {
			return "", false
		}
		verb := spec[i : j+1]
		arg := args[next]
		next++
		av, diags := arg.Value(ctx)
		if diags.HasErrors() {
			return "", false
		}
		if av.IsKnown() {
			out, err := format.Call([]cty.Value{cty.StringVal(verb), unmarked(av)})
			if err != nil || !out.IsKnown() {
				return "", false
			}
			b.WriteString(out.AsString())
		} else {
			s, ok := mi.renderPart(arg, ctx, "${", "}")
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		if b.Len() > maxTemplateText {
			return "", false
		}
		i = j
	}
	return b.String(), true
}

// onlyTemplate returns the template text when exactly one is marked.
func onlyTemplate(marks cty.ValueMarks) (string, bool) {
	var text string
	n := 0
	for m := range marks {
		if t, ok := m.(templateMark); ok {
			text = t.text
			n++
		}
	}
	return text, n == 1
}

// sourceText returns the exact source text of a range in the module's files.
func (mi *modInst) sourceText(r hcl.Range) (string, bool) {
	for _, pf := range mi.def.files {
		if pf.path == r.Filename && r.Start.Byte >= 0 && r.End.Byte <= len(pf.bytes) && r.Start.Byte < r.End.Byte {
			return string(pf.bytes[r.Start.Byte:r.End.Byte]), true
		}
	}
	return "", false
}
