package terraform

import (
	"encoding/base64"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
)

// refMark on a value says it is (or derives from) the identifier of the
// resource with this key (its absolute address) in the same Set.
type refMark struct{ key string }

// ownerMark on an unknown computed attribute names the resource it belongs
// to (aws_vpc.main.default_route_table_id belongs to aws_vpc.main).
type ownerMark struct{ key string }

// sensitiveMark on a value says the configuration declares it sensitive (a
// variable with sensitive = true, or sensitive()); its strings go into
// model.Set.Sensitive for redaction.
type sensitiveMark struct{}

// sensitiveStrings returns the known strings of v that are sensitive (a
// marked collection gives all its strings), multi-line ones also line by
// line.
func sensitiveStrings(v cty.Value) []string {
	if ty := v.Type(); (ty.IsPrimitiveType() || ty == cty.DynamicPseudoType) && !v.HasMark(sensitiveMark{}) {
		return nil // not sensitive, and nothing inside that could be
	}
	var out []string
	var all func(v cty.Value)
	all = func(v cty.Value) {
		v, _ = v.UnmarkDeep()
		switch {
		case !v.IsKnown() || v.IsNull():
		case v.Type() == cty.String:
			s := v.AsString()
			out = append(out, s)
			// A lifecycle script is passed base64-encoded; findings quote
			// its decoded lines.
			if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 && utf8.Valid(b) {
				s = string(b)
				out = append(out, s)
			}
			if strings.Contains(s, "\n") {
				for _, l := range strings.Split(s, "\n") {
					if l = strings.TrimSpace(l); l != "" {
						out = append(out, l)
					}
				}
			}
		case v.Type() == cty.Number || v.Type() == cty.Bool:
			// not quoted as text in findings by sagefence's controls
		case v.CanIterateElements():
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				all(e)
			}
		}
	}
	// Every value marked sensitive, outermost first in the order of a deep
	// walk, read in place (UnmarkDeepWithPaths would copy the whole value
	// to list the marked paths).
	var walk func(v cty.Value)
	walk = func(v cty.Value) {
		u, marks := v.Unmark()
		if marks.Has(sensitiveMark{}) {
			all(v)
		}
		if u.IsKnown() && !u.IsNull() && u.CanIterateElements() {
			for it := u.ElementIterator(); it.Next(); {
				_, e := it.Element()
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// reasonMark on an unknown value says why it is unknown.
type reasonMark struct{ text string }

// unknownBecause returns an unknown value of type ty carrying the reason.
func unknownBecause(ty cty.Type, reason string) cty.Value {
	return cty.UnknownVal(ty).Mark(reasonMark{reason})
}

// markInfo collects the reasons and references marked anywhere in v.
type markInfo struct {
	reasons []string
	refs    []string
	owners  []string
	files   []string
}

func marksOf(v cty.Value) markInfo {
	var info markInfo
	seen := map[any]bool{}
	add := func(ms cty.ValueMarks) {
		for m := range ms {
			if seen[m] {
				continue
			}
			seen[m] = true
			switch mk := m.(type) {
			case reasonMark:
				info.reasons = append(info.reasons, mk.text)
			case refMark:
				info.refs = append(info.refs, mk.key)
			case ownerMark:
				info.owners = append(info.owners, mk.key)
			case fileMark:
				info.files = append(info.files, mk.path)
			}
		}
	}
	if ty := v.Type(); ty.IsPrimitiveType() || ty == cty.DynamicPseudoType {
		_, ms := v.Unmark() // nothing inside to hold a mark
		add(ms)
	} else {
		_, pvm := v.UnmarkDeepWithPaths()
		for _, p := range pvm {
			add(p.Marks)
		}
	}
	sort.Strings(info.reasons)
	sort.Strings(info.refs)
	return info
}

// topMarks collects the marks on v itself (not its elements).
func topMarks(v cty.Value) markInfo {
	var info markInfo
	_, ms := v.Unmark()
	for m := range ms {
		switch mk := m.(type) {
		case reasonMark:
			info.reasons = append(info.reasons, mk.text)
		case refMark:
			info.refs = append(info.refs, mk.key)
		}
	}
	sort.Strings(info.reasons)
	sort.Strings(info.refs)
	return info
}

func (m markInfo) reason(fallback string) string {
	if len(m.reasons) == 0 {
		return fallback
	}
	const maxReasons = 3
	rs := m.reasons
	if len(rs) > maxReasons {
		rs = append(rs[:maxReasons:maxReasons], "...")
	}
	return strings.Join(rs, "; ")
}

// unmarked removes every mark (for count, for_each and model strings). It
// copies the whole value: IsKnown, IsNull, IsWhollyKnown and Type read a
// marked value as it is, without it.
func unmarked(v cty.Value) cty.Value {
	if ty := v.Type(); ty.IsPrimitiveType() || ty == cty.DynamicPseudoType {
		u, _ := v.Unmark() // nothing inside to hold a mark
		return u
	}
	u, _ := v.UnmarkDeep()
	return u
}
