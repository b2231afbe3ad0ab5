package finding

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
)

// A run record's plaintext is its sequence key (8 bytes, big-endian), then
// the finding in the binary form below, written and read field by field in
// the order of the Go types: every exported field of Finding and of the
// types it holds, whatever their JSON tags (a Suppression's IDs and Range
// too), so that a finding reads back whole and byte for byte, and a field
// added to Finding is written without further code. JSON was the form
// before; decoding it was most of the cost of a scan whose findings spill.
//
//   - string: its length (uvarint), then its bytes;
//   - int: varint; bool: one byte, 0 or 1;
//   - pointer: 0 for nil, else 1 and the value pointed to;
//   - slice: 0 for nil, else its length + 1 (uvarint) and the elements
//     (nil and empty lists stay apart: JSON shows null and []);
//   - struct: its fields in order.
//
// checkCodable, at init, refuses any other kind (maps, floats, interfaces)
// and unexported fields, which could not be read back.

// findingType is the type a record holds.
var findingType = reflect.TypeFor[Finding]()

func init() {
	if err := checkCodable(findingType); err != nil {
		panic("finding: the run record form cannot hold a Finding: " + err.Error())
	}
}

// checkCodable reports why values of type t cannot be written as records.
func checkCodable(t reflect.Type) error {
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Int64, reflect.Bool:
		return nil
	case reflect.Pointer, reflect.Slice:
		return checkCodable(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return fmt.Errorf("%s.%s is not exported", t, f.Name)
			}
			if err := checkCodable(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s is a %s", t, t.Kind())
}

// appendRecord appends the plaintext of a record holding f at seq.
func appendRecord(b []byte, seq Seq, f *Finding) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	return appendValue(b, reflect.ValueOf(f).Elem())
}

func appendValue(b []byte, v reflect.Value) []byte {
	switch v.Kind() {
	case reflect.String:
		b = binary.AppendUvarint(b, uint64(v.Len()))
		return append(b, v.String()...)
	case reflect.Int, reflect.Int64:
		return binary.AppendVarint(b, v.Int())
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1)
		}
		return append(b, 0)
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0)
		}
		return appendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for i := range v.Len() {
			b = appendValue(b, v.Index(i))
		}
		return b
	case reflect.Struct:
		for i := range v.NumField() {
			b = appendValue(b, v.Field(i))
		}
		return b
	}
	panic("finding: cannot write a " + v.Type().String()) // checkCodable refused it at init
}

// errBadRecord is a record that does not decode (a bug: records are
// authenticated, so they read back as written).
var errBadRecord = errors.New("malformed record")

// decodeRecord reads a record's plaintext into a new finding, taking its
// strings from strs when it holds them (nil: none).
func decodeRecord(b []byte, strs *stringTable) (Seq, *Finding, error) {
	if len(b) < 8 {
		return 0, nil, errBadRecord
	}
	d := recordDecoder{b: b[8:], strs: strs}
	f := new(Finding)
	d.value(reflect.ValueOf(f).Elem())
	if d.bad || len(d.b) != 0 {
		return 0, nil, errBadRecord
	}
	return Seq(binary.BigEndian.Uint64(b)), f, nil
}

// recordDecoder reads values from b; bad is set, and reading stops, at
// the first thing that does not decode.
type recordDecoder struct {
	b    []byte
	strs *stringTable
	bad  bool
}

// stringTable holds strings read back, so that the findings read in one
// pass share the strings they repeat (a control's remediation and
// frameworks, a surface, a file) instead of each holding a copy: most of
// the cost of reading a run is allocating strings. It keeps the first
// maxTableStrings distinct strings read, so that its memory is bounded
// whatever the runs hold; later ones are read as they are.
type stringTable struct {
	m map[string]string
}

// maxTableStrings bounds a stringTable: about 100 KiB of typical strings.
const maxTableStrings = 1024

func newStringTable() *stringTable {
	return &stringTable{m: make(map[string]string, maxTableStrings)}
}

// string returns b as a string, the table's when it holds it.
func (t *stringTable) string(b []byte) string {
	if t == nil {
		return string(b)
	}
	if s, ok := t.m[string(b)]; ok { // no copy of b to look it up
		return s
	}
	s := string(b)
	if len(t.m) < maxTableStrings {
		t.m[s] = s
	}
	return s
}

func (d *recordDecoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return x
}

// count reads a length of at most max plus the bytes left (every byte
// of a string and every element of a list takes at least one byte).
func (d *recordDecoder) count(max int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)+max) {
		d.bad = true
		return 0
	}
	return int(n)
}

func (d *recordDecoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *recordDecoder) value(v reflect.Value) {
	if d.bad {
		return
	}
	switch v.Kind() {
	case reflect.String:
		n := d.count(0)
		v.SetString(d.strs.string(d.b[:n]))
		d.b = d.b[n:]
	case reflect.Int, reflect.Int64:
		x, n := binary.Varint(d.b)
		if n <= 0 {
			d.bad = true
			return
		}
		d.b = d.b[n:]
		v.SetInt(x)
	case reflect.Bool:
		switch d.byte() {
		case 0:
		case 1:
			v.SetBool(true)
		default:
			d.bad = true
		}
	case reflect.Pointer:
		switch d.byte() {
		case 0:
		case 1:
			p := reflect.New(v.Type().Elem())
			d.value(p.Elem())
			v.Set(p)
		default:
			d.bad = true
		}
	case reflect.Slice:
		n := d.count(1) // the length + 1
		if n == 0 {
			return // nil
		}
		s := reflect.MakeSlice(v.Type(), n-1, n-1)
		for i := range n - 1 {
			d.value(s.Index(i))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			d.value(v.Field(i))
		}
	default:
		d.bad = true
	}
}
