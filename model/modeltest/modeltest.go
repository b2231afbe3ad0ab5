// Package modeltest builds model values for tests, so that test files do
// not each redefine them. Values are resolved the way surfaces resolve them:
// Lit is a literal written in the source, Ref a reference to a resource of
// the same Set, Default an omitted attribute with the service default,
// Unknown a value that cannot be known (with the reason).
package modeltest

import "github.com/sagefence/sagefence/model"

// Lit is an explicit literal value.
func Lit(v string) model.Str { return model.Str{V: v, Resolution: model.Explicit} }

// Ref is an explicit reference to the resource with key k in the Set
// (`subnet_id = aws_subnet.a.id` gives Ref("aws_subnet.a")).
func Ref(k string) model.Str { return model.Str{Ref: k, Resolution: model.Explicit} }

// LiveRef is a live identifier: its value is also its key in the Set.
func LiveRef(id string) model.Str { return model.Str{V: id, Ref: id, Resolution: model.Explicit} }

// Default is an omitted attribute whose service default is v ("" when none).
func Default(v string) model.Str { return model.Str{V: v, Resolution: model.Default} }

// Unknown is a value that cannot be resolved, and why.
func Unknown(reason string) model.Str { return model.Str{Resolution: model.Unknown, Reason: reason} }

// Refs is an explicit list of references.
func Refs(keys ...string) model.List {
	l := model.List{Resolution: model.Explicit}
	for _, k := range keys {
		l.Items = append(l.Items, Ref(k))
	}
	return l
}

// Lits is an explicit list of literals.
func Lits(vs ...string) model.List {
	l := model.List{Resolution: model.Explicit}
	for _, v := range vs {
		l.Items = append(l.Items, Lit(v))
	}
	return l
}

// Bool is an explicit boolean.
func Bool(b bool) model.Bool { return model.Bool{V: b, Resolution: model.Explicit} }

// Int is an explicit integer.
func Int(n int64) model.Int { return model.Int{V: n, Resolution: model.Explicit} }

// Meta is a resource of surface with type typ and address addr, declared
// in main.tf lines 1-2 and managed by the IaC that declares it.
func Meta(surface, typ, addr string) model.Meta {
	return model.Meta{Surface: surface, Type: typ, Address: addr, Managed: true,
		Range: model.Range{File: "main.tf", StartLine: 1, EndLine: 2}}
}

// TerraformMeta is Meta on the Terraform source surface.
func TerraformMeta(typ, addr string) model.Meta { return Meta(model.SurfaceTerraform, typ, addr) }
