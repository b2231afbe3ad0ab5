package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sagefence/sagefence/finding"
)

// JSON writes the result as the OUTPUT.md contract, indented two spaces,
// HTML characters unescaped, one trailing newline.
//
// The output is streamed: the top-level fields are written in struct order
// and each element of findings, errors and gaps is encoded and indented on
// its own, so the formatter holds one element's encoding at a time instead of
// the whole document twice (marshalled, then indented). The bytes are exactly
// those of a json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false)
// on the whole result (TestJSONStreamMatchesEncoder). The findings of a
// streamed result (finding.Result.Streamed) are read from its store one at a
// time, so the formatter never holds them all.
type JSON struct{}

// jsonIndent is one nesting level of the output.
const jsonIndent = "  "

// Format implements Formatter.
func (JSON) Format(w io.Writer, r *finding.Result) error {
	s := newJSONStream(w)
	s.raw("{")
	first := true
	field := func(name string) {
		if !first {
			s.raw(",")
		}
		first = false
		s.raw("\n" + jsonIndent)
		s.value(name, jsonIndent)
		s.raw(": ")
	}
	// The order and omitempty rules follow finding.Result's json tags;
	// TestJSONStreamCoversResult fails when a field is added there and not
	// here.
	field("format_version")
	s.value(r.FormatVersion, jsonIndent)
	field("tool")
	s.value(r.Tool, jsonIndent)
	if r.Scope != nil {
		field("scope")
		s.value(r.Scope, jsonIndent)
	}
	field("summary")
	s.value(r.Summary, jsonIndent)
	field("findings")
	streamFindings(s, r)
	field("errors")
	streamSlice(s, r.Errors)
	field("gaps")
	streamSlice(s, r.Gaps)
	if r.Baseline != nil {
		field("baseline")
		s.value(r.Baseline, jsonIndent)
	}
	s.raw("\n}\n")
	return s.flush()
}

// jsonStreamFields are the top-level keys Format writes, in order; the test
// compares them with finding.Result's json tags.
var jsonStreamFields = []string{"format_version", "tool", "scope", "summary", "findings", "errors", "gaps", "baseline"}

// jsonStream writes indented JSON pieces to a buffered writer, keeping the
// first error.
type jsonStream struct {
	w   *bufio.Writer
	enc *json.Encoder
	// compact receives each value's compact encoding; indented holds it
	// re-indented. Both are reused from value to value.
	compact, indented bytes.Buffer
	err               error
}

func newJSONStream(w io.Writer) *jsonStream {
	s := &jsonStream{w: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.compact)
	s.enc.SetEscapeHTML(false)
	return s
}

func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

// value writes v indented as if it started at the nesting level whose
// continuation lines begin with prefix.
func (s *jsonStream) value(v any, prefix string) {
	if s.err != nil {
		return
	}
	s.compact.Reset()
	if s.err = s.enc.Encode(v); s.err != nil {
		return
	}
	// Encode appends a newline; Indent treats it as trailing space and
	// keeps it, so drop it first.
	b := bytes.TrimSuffix(s.compact.Bytes(), []byte("\n"))
	s.indented.Reset()
	if s.err = json.Indent(&s.indented, b, prefix, jsonIndent); s.err != nil {
		return
	}
	_, s.err = s.w.Write(s.indented.Bytes())
}

func (s *jsonStream) flush() error {
	if s.err != nil {
		return s.err
	}
	return s.w.Flush()
}

// streamFindings writes the findings as streamSlice does, reading them
// through Result.EachFinding: a streamed result's findings come from its
// store one at a time (summary, above, is final before the first).
func streamFindings(s *jsonStream, r *finding.Result) {
	if !r.Streamed() && r.Findings == nil {
		s.raw("null")
		return
	}
	streamArray(s, r, jsonIndent, func(f *finding.Finding) (any, bool) { return f, true })
}

// streamArray writes the findings of r, each converted by elem (false
// leaves it out), as a JSON array whose closing bracket is indented by
// indent (its elements one level more), as json.Encoder with SetIndent
// would; [] when there is none.
func streamArray(s *jsonStream, r *finding.Result, indent string, elem func(*finding.Finding) (any, bool)) {
	elemPrefix := indent + jsonIndent
	n := 0
	err := r.EachFinding(func(f *finding.Finding) error {
		v, ok := elem(f)
		if !ok {
			return nil
		}
		if n == 0 {
			s.raw("[")
		} else {
			s.raw(",")
		}
		n++
		s.raw("\n" + elemPrefix)
		s.value(v, elemPrefix)
		return s.err
	})
	if err != nil && s.err == nil {
		s.err = err
	}
	if n == 0 {
		s.raw("[]")
		return
	}
	s.raw("\n" + indent + "]")
}

// streamIntoDocument writes doc as encodeJSON would, with the findings of r,
// each converted by elem (false leaves it out), streamed into the list under
// listKey, which doc must hold empty: the encoder writes it `"key": []`, and
// since quotes inside strings are escaped that text is found only as the key
// (the first one, so no key of that name may come before it). indent is the
// indentation of the key's line.
func streamIntoDocument(w io.Writer, doc any, listKey, indent string, r *finding.Result, elem func(*finding.Finding) (any, bool)) error {
	var whole bytes.Buffer
	if err := encodeJSON(&whole, doc); err != nil {
		return err
	}
	key := `"` + listKey + `": `
	head, tail, ok := bytes.Cut(whole.Bytes(), []byte(key+"[]"))
	if !ok {
		return fmt.Errorf("report: the document has no empty %q list", listKey)
	}
	s := newJSONStream(w)
	s.raw(string(head))
	s.raw(key)
	streamArray(s, r, indent, elem)
	s.raw(string(tail))
	return s.flush()
}

// streamsFindings marks the formatter that reads a streamed result's
// findings one at a time (StreamsFindings).
func (JSON) streamsFindings() {}

// streamSlice writes a top-level array element by element, as json.Encoder
// would: null for a nil slice, [] for an empty one.
func streamSlice[T any](s *jsonStream, items []T) {
	switch {
	case items == nil:
		s.raw("null")
		return
	case len(items) == 0:
		s.raw("[]")
		return
	}
	const elemPrefix = jsonIndent + jsonIndent
	s.raw("[")
	for i := range items {
		if i > 0 {
			s.raw(",")
		}
		s.raw("\n" + elemPrefix)
		s.value(&items[i], elemPrefix)
	}
	s.raw("\n" + jsonIndent + "]")
}
