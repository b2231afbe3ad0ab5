package finding

import (
	"fmt"
	"reflect"
	"testing"
	"unsafe"
)

// fill sets every field reachable from v to a value of its own: strings
// "s<n>" (with a byte that is not UTF-8), ints ±n, bools true, pointers to
// filled values, slices of two filled elements. A field added to Finding
// is filled too, so the round trip below covers it.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d\xff", *n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n) * int64(1-2*(*n%2)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n)
		fill(s.Index(1), n)
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	default:
		panic(v.Kind())
	}
}

func roundTrip(t *testing.T, f *Finding) {
	t.Helper()
	b := appendRecord([]byte("prefix"), SeqOf(7, 9), f)[len("prefix"):]
	seq, got, err := decodeRecord(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seq != SeqOf(7, 9) || !reflect.DeepEqual(got, f) {
		t.Fatalf("read back seq %v\n%#v\nwant %v\n%#v", seq, got, SeqOf(7, 9), f)
	}
	// A record cut short, or with a byte too many, is an error, never a
	// panic nor a different finding.
	for i := range len(b) {
		if _, _, err := decodeRecord(b[:i], nil); err == nil {
			t.Fatalf("a record cut at %d of %d bytes decoded", i, len(b))
		}
	}
	if _, _, err := decodeRecord(append(b, 0), nil); err == nil {
		t.Fatal("a record with a trailing byte decoded")
	}
}

// TestRecordRoundTrip: every field of a finding, the ones JSON leaves out
// included, reads back as written, byte for byte; nil and empty lists and
// a pointer to an empty string stay apart.
func TestRecordRoundTrip(t *testing.T) {
	var full Finding
	n := 0
	fill(reflect.ValueOf(&full).Elem(), &n)
	roundTrip(t, &full)

	empty := ""
	roundTrip(t, &Finding{
		Observed:   &empty,
		Evidence:   []string{},
		Frameworks: []Framework{{Framework: "X", IDs: []string{}}, {Framework: "Y"}},
		Witnesses:  []Witness{},
	})
	roundTrip(t, &Finding{})
}

func TestCheckCodableRefusesWhatCannotBeRead(t *testing.T) {
	type hidden struct {
		A string
		b string // unexported: it could not be set when read back
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[map[string]string](),
		reflect.TypeFor[struct{ F float64 }](),
		reflect.TypeFor[[]any](),
		reflect.TypeFor[hidden](),
	} {
		if checkCodable(typ) == nil {
			t.Errorf("%v accepted", typ)
		}
	}
	if err := checkCodable(findingType); err != nil {
		t.Errorf("Finding refused: %v", err)
	}
}

// TestStringTableSharesWithinItsBound: a string read twice is one string
// while the table has room; past maxTableStrings it is read as it is.
func TestStringTableSharesWithinItsBound(t *testing.T) {
	tab := newStringTable()
	a, b := tab.string([]byte("remediation")), tab.string([]byte("remediation"))
	if a != "remediation" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatal("a string read twice is not shared")
	}
	for i := range 2 * maxTableStrings {
		if s := tab.string(fmt.Appendf(nil, "s%d", i)); s != fmt.Sprintf("s%d", i) {
			t.Fatalf("read %q", s)
		}
	}
	if len(tab.m) != maxTableStrings {
		t.Fatalf("the table holds %d strings, more than its bound %d", len(tab.m), maxTableStrings)
	}
	if c := tab.string([]byte("remediation")); unsafe.StringData(c) != unsafe.StringData(a) {
		t.Fatal("a string the table holds is no longer shared once it is full")
	}
	var none *stringTable
	if s := none.string([]byte("x")); s != "x" {
		t.Fatalf("no table: read %q", s)
	}
}
