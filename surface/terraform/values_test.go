package terraform

import (
	"encoding/base64"
	"slices"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// sensitiveStrings reads the values marked sensitive in place; it must give
// what listing the marked paths of a deep copy gives, in the same order
// (redaction sorts them by length only, so the order of equal lengths
// shows).
func TestSensitiveStringsMatchesMarkedPaths(t *testing.T) {
	s := func(v string) cty.Value { return cty.StringVal(v).Mark(sensitiveMark{}) }
	ref := func(v cty.Value) cty.Value { return v.Mark(refMark{"aws_x.y"}) }
	script := base64.StdEncoding.EncodeToString([]byte("pip install a\ncurl b\n"))
	for name, v := range map[string]cty.Value{
		"plain string":          cty.StringVal("a"),
		"referenced string":     ref(cty.StringVal("a")),
		"sensitive string":      s("secret"),
		"sensitive and ref":     ref(s("secret")),
		"unknown":               cty.DynamicVal,
		"sensitive unknown":     cty.DynamicVal.Mark(sensitiveMark{}),
		"sensitive null":        cty.NullVal(cty.String).Mark(sensitiveMark{}),
		"sensitive number":      cty.NumberIntVal(3).Mark(sensitiveMark{}),
		"multi-line, base64":    s("one\n two \n\nthree" + "\n" + script),
		"script":                s(script),
		"object with nested":    cty.ObjectVal(map[string]cty.Value{"a": s("x1"), "b": cty.ListVal([]cty.Value{ref(cty.StringVal("y")), s("z2")}), "c": cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v3")}).Mark(sensitiveMark{})}),
		"sensitive outer+inner": cty.TupleVal([]cty.Value{s("in1"), cty.StringVal("in2"), cty.ObjectVal(map[string]cty.Value{"q": s("in3")})}).Mark(sensitiveMark{}),
		"set":                   cty.SetVal([]cty.Value{cty.StringVal("s1"), cty.StringVal("s2")}).Mark(sensitiveMark{}),
		"no marks in a list":    cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		"unknown element":       cty.ListVal([]cty.Value{s("k1"), cty.UnknownVal(cty.String).Mark(sensitiveMark{})}),
	} {
		got, want := sensitiveStrings(v), sensitiveStringsFromPaths(v)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// sensitiveStringsFromPaths is the reference: the sensitive paths listed by
// UnmarkDeepWithPaths, each value's strings as sensitiveStrings gives them
// for a value marked at its top.
func sensitiveStringsFromPaths(v cty.Value) []string {
	var out []string
	_, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if !pm.Marks.Has(sensitiveMark{}) {
			continue
		}
		inner, err := pm.Path.Apply(v)
		if err != nil {
			continue
		}
		u, _ := inner.UnmarkDeep()
		out = append(out, sensitiveStrings(u.Mark(sensitiveMark{}))...)
	}
	return out
}
