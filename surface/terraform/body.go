package terraform

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/model"
)

// attrVal is one evaluated attribute with its expression (for origins and
// file() detection) and where it is written.
type attrVal struct {
	v    cty.Value
	expr hcl.Expression
	rng  hcl.Range
	// sc is the scope the value was evaluated in (count.index, each).
	sc *scope
}

// bodyVal is an evaluated block body: attributes, nested blocks (dynamic
// blocks expanded) and the nested block types whose expansion is unknown.
type bodyVal struct {
	attrs   map[string]*attrVal
	blocks  map[string][]*bodyVal
	unknown map[string]string // block type -> reason its dynamic expansion is unknown
	rng     hcl.Range
}

// sensitiveStrings lists the sensitive strings of every attribute of the
// body and its nested blocks (see sensitiveStrings).
func (bv *bodyVal) sensitiveStrings() []string {
	if bv == nil {
		return nil
	}
	var out []string
	for _, a := range bv.attrs {
		out = append(out, sensitiveStrings(a.v)...)
	}
	for _, bs := range bv.blocks {
		for _, b := range bs {
			out = append(out, b.sensitiveStrings()...)
		}
	}
	return out
}

// resourceMeta are the meta-arguments of resource blocks, not attributes.
var resourceMeta = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}

// metaBlocks are nested blocks that are not part of the resource's value.
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true, "timeouts": true}

// evalBody evaluates every attribute and nested block of a body.
func (mi *modInst) evalBody(body hcl.Body, sc *scope, top bool) *bodyVal {
	bv := &bodyVal{attrs: map[string]*attrVal{}, blocks: map[string][]*bodyVal{}}
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		// JSON: nested blocks are plain attributes holding objects or lists
		// of objects, which the model mapping reads either way.
		attrs, diags := body.JustAttributes()
		mi.re.diags(diags)
		bv.rng = body.MissingItemRange()
		for name, a := range attrs {
			if top && (resourceMeta[name] || metaBlocks[name]) {
				continue
			}
			bv.attrs[name] = &attrVal{v: mi.eval(a.Expr, sc), expr: a.Expr, rng: a.Range, sc: sc}
		}
		return bv
	}
	bv.rng = sb.SrcRange
	for name, a := range sb.Attributes {
		if top && resourceMeta[name] {
			continue
		}
		bv.attrs[name] = &attrVal{v: mi.eval(a.Expr, sc), expr: a.Expr, rng: a.SrcRange, sc: sc}
	}
	for _, b := range sb.Blocks {
		if metaBlocks[b.Type] {
			continue
		}
		if b.Type == "dynamic" && len(b.Labels) == 1 {
			mi.expandDynamic(bv, b, sc)
			continue
		}
		child := mi.evalBody(b.Body, sc, false)
		child.rng = b.Range()
		bv.blocks[b.Type] = append(bv.blocks[b.Type], child)
	}
	return bv
}

// expandDynamic expands a dynamic block into ordinary nested blocks.
func (mi *modInst) expandDynamic(bv *bodyVal, b *hclsyntax.Block, sc *scope) {
	label := b.Labels[0]
	iterator := label
	var forEach hcl.Expression
	if a, ok := b.Body.Attributes["for_each"]; ok {
		forEach = a.Expr
	}
	if a, ok := b.Body.Attributes["iterator"]; ok {
		if t, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() && len(t) == 1 {
			iterator = t.RootName()
		}
	}
	var content *hclsyntax.Block
	for _, cb := range b.Body.Blocks {
		if cb.Type == "content" {
			content = cb
		}
	}
	if forEach == nil || content == nil {
		r := b.Range()
		mi.re.diags(hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid dynamic block",
			Detail: fmt.Sprintf("dynamic %q needs for_each and a content block", label), Subject: &r}})
		return
	}
	coll := mi.eval(forEach, sc)
	info := marksOf(coll)
	coll, _ = coll.Unmark()
	if !coll.IsKnown() {
		if bv.unknown == nil {
			bv.unknown = map[string]string{}
		}
		bv.unknown[label] = fmt.Sprintf("dynamic %q blocks depend on values unknown before apply: %s", label, info.reason("for_each is unknown"))
		return
	}
	if coll.IsNull() || !coll.CanIterateElements() {
		return
	}
	if n := coll.LengthInt(); n > maxInstances || mi.re.instances+n > maxRootInstances {
		if bv.unknown == nil {
			bv.unknown = map[string]string{}
		}
		r := forEach.Range()
		msg := fmt.Sprintf("dynamic %q has %d blocks, more than sagefence evaluates (evaluation budget)", label, n)
		mi.re.addErr(model.Error{File: r.Filename, Line: r.Start.Line, Message: msg})
		bv.unknown[label] = msg
		return
	}
	mi.re.instances += coll.LengthInt()
	for it := coll.ElementIterator(); it.Next(); {
		k, v := it.Element()
		iter := cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})
		child := mi.evalBody(content.Body, sc.with(iterator, iter), false)
		child.rng = b.Range()
		bv.blocks[label] = append(bv.blocks[label], child)
	}
}

// object renders the body as a cty object for references: attributes as
// evaluated, nested blocks as tuples of objects.
func (bv *bodyVal) object() map[string]cty.Value {
	out := make(map[string]cty.Value, len(bv.attrs)+len(bv.blocks))
	for n, a := range bv.attrs {
		out[n] = a.v
	}
	for n, bs := range bv.blocks {
		vals := make([]cty.Value, len(bs))
		for i, b := range bs {
			vals[i] = cty.ObjectVal(b.object())
		}
		out[n] = cty.TupleVal(vals)
	}
	for n, reason := range bv.unknown {
		if _, ok := out[n]; !ok {
			out[n] = unknownBecause(cty.DynamicPseudoType, reason)
		}
	}
	return out
}

// override merges an override file's body: its attributes replace the
// base's, and each nested block type it writes replaces all of the base's
// blocks of that type.
func (bv *bodyVal) override(o *bodyVal) {
	for n, a := range o.attrs {
		bv.attrs[n] = a
		delete(bv.blocks, n)
	}
	for n, bs := range o.blocks {
		bv.blocks[n] = bs
		delete(bv.attrs, n)
		delete(bv.unknown, n)
	}
	for n, r := range o.unknown {
		if bv.unknown == nil {
			bv.unknown = map[string]string{}
		}
		bv.unknown[n] = r
		delete(bv.blocks, n)
	}
}
