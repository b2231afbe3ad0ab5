package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// encodeWhole is the reference rendering: the whole result through one
// indenting encoder (what JSON did before it streamed).
func encodeWhole(t testing.TB, r *finding.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJSONStreamMatchesEncoder: the streamed bytes equal the whole-result
// encoding for the fixture and for the shapes that change the framing
// (nil and empty slices, scope and baseline absent or present, HTML
// characters that must stay unescaped).
func TestJSONStreamMatchesEncoder(t *testing.T) {
	variants := map[string]func(r *finding.Result){
		"fixture":    func(*finding.Result) {},
		"nil slices": func(r *finding.Result) { r.Findings, r.Errors, r.Gaps = nil, nil, nil },
		"empty slices": func(r *finding.Result) {
			r.Findings, r.Errors, r.Gaps = []finding.Finding{}, []model.Error{}, []finding.Gap{}
		},
		"no scope":       func(r *finding.Result) { r.Scope = nil },
		"with baseline":  func(r *finding.Result) { r.Baseline = &finding.Baseline{File: "old<&>.json", MatchedFails: 3} },
		"one finding":    func(r *finding.Result) { r.Findings = r.Findings[:1] },
		"html in string": func(r *finding.Result) { r.Findings[0].Message = "<script>&\u2028</script>" },
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			r := fixtureResult()
			change(r)
			formatsAs(t, JSON{}, r, encodeWhole(t, r), "streamed JSON differs from the encoder's")
		})
	}
}

// TestJSONStreamCoversResult fails when finding.Result gains or reorders a
// serialised field that Format does not write in the same place.
func TestJSONStreamCoversResult(t *testing.T) {
	rt := reflect.TypeOf(finding.Result{})
	var fields []string
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields = append(fields, name)
		}
	}
	if !slices.Equal(fields, jsonStreamFields) {
		t.Errorf("finding.Result serialises %v, JSON.Format writes %v: update report/json.go", fields, jsonStreamFields)
	}
}

// largeResult repeats the fixture's findings to n findings with distinct
// addresses.
func largeResult(n int) *finding.Result {
	r := fixtureResult()
	base := r.Findings
	r.Findings = make([]finding.Finding, 0, n)
	for i := 0; len(r.Findings) < n; i++ {
		for _, f := range base {
			if len(r.Findings) == n {
				break
			}
			f.Resource.Address = fmt.Sprintf("%s[%d]", f.Resource.Address, i)
			r.Findings = append(r.Findings, f)
		}
	}
	return r
}

// BenchmarkJSON compares the streamed formatter with the whole-result
// encoder on 10,000 findings; B/op is the figure that matters (the encoder
// holds the document twice, the stream one finding).
func BenchmarkJSON(b *testing.B) {
	r := largeResult(10000)
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := (JSON{}).Format(discard{}, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			enc := json.NewEncoder(discard{})
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestJSONStreamedResult: a result whose findings are in a store that
// spilled them writes the same bytes as the same result in memory, also
// when a filter leaves no finding.
func TestJSONStreamedResult(t *testing.T) {
	for name, keep := range map[string]func(*finding.Finding) bool{
		"all":   func(*finding.Finding) bool { return true },
		"none":  func(*finding.Finding) bool { return false },
		"fails": func(f *finding.Finding) bool { return f.Status == finding.Fail },
	} {
		t.Run(name, func(t *testing.T) {
			plain := fixtureResult()
			plain.Filter(keep)
			plain.Finalize()
			want := encodeWhole(t, plain)

			streamed := fixtureResult()
			store := finding.NewStore(finding.StoreOptions{Budget: 1, Dir: t.TempDir()})
			for i, f := range streamed.Findings {
				if err := store.Add(&f, finding.SeqOf(0, i)); err != nil {
					t.Fatal(err)
				}
			}
			streamed.UseStore(store)
			defer streamed.Close()
			streamed.Filter(keep)
			streamed.Finalize()
			if !StreamsFindings(JSON{}) || !StreamsFindings(SARIF{}) || !StreamsFindings(JUnit{}) || !StreamsFindings(Markdown{}) || !StreamsFindings(GitLabSAST{}) || !StreamsFindings(GitLabCodeQuality{}) || !StreamsFindings(HTML{}) || !StreamsFindings(Table{}) {
				t.Fatal("StreamsFindings")
			}
			formatsAs(t, JSON{}, streamed, want, "streamed result differs")
		})
	}
}

// TestASFFStreamMatchesEncoder: the ASFF array written finding by finding
// has the bytes of the whole array encoded at once, in memory and from a
// store that spilled every finding.
func TestASFFStreamMatchesEncoder(t *testing.T) {
	a := ASFF{Account: "123456789012", Region: "eu-west-1"}
	variants := map[string]func(r *finding.Result){
		"fixture":        func(*finding.Result) {},
		"no findings":    func(r *finding.Result) { r.Findings = []finding.Finding{} },
		"one finding":    func(r *finding.Result) { r.Findings = r.Findings[:1] },
		"html in string": func(r *finding.Result) { r.Findings[0].Message = "<script>&\u2028</script>" },
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			r := fixtureResult()
			change(r)
			var want bytes.Buffer
			if err := encodeJSON(&want, a.Findings(r)); err != nil {
				t.Fatal(err)
			}
			formatsAs(t, a, r, want.Bytes(), "streamed ASFF differs from the encoder's")
			formatsAs(t, a, spilled(t, r), want.Bytes(), "ASFF from a spilled store differs")
		})
	}
}

// formatsAs fails the test (saying what) unless f writes r as want.
func formatsAs(t *testing.T, f Formatter, r *finding.Result, want []byte, what string) {
	t.Helper()
	var got bytes.Buffer
	if err := f.Format(&got, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s\n--- got ---\n%s\n--- want ---\n%s", what, got.Bytes(), want)
	}
}

// TestSARIFStreamMatchesEncoder: the SARIF log with its results written one
// by one has the bytes of the whole log encoded at once, in memory and from
// a store that spilled every finding.
func TestSARIFStreamMatchesEncoder(t *testing.T) {
	root, _ := filepath.Abs(".")
	formats := map[string]SARIF{
		"plain":              {},
		"source root":        {SourceRoot: root, WorkDir: root},
		"include suppressed": {IncludeSuppressed: true},
	}
	variants := map[string]func(r *finding.Result){
		"fixture":     func(*finding.Result) {},
		"no findings": func(r *finding.Result) { r.Findings = []finding.Finding{} },
		"unknown control": func(r *finding.Result) {
			r.Findings[0].ControlID = "CUSTOM_1"
			r.Findings[0].Status = finding.Fail
		},
	}
	for fname, s := range formats {
		for name, change := range variants {
			t.Run(fname+"/"+name, func(t *testing.T) {
				r := fixtureResult()
				change(r)
				rules, index, err := sarifRules(r)
				if err != nil {
					t.Fatal(err)
				}
				results := []sarifResult{}
				for i := range r.Findings {
					if res, ok := s.result(&r.Findings[i], index); ok {
						results = append(results, res)
					}
				}
				var want bytes.Buffer
				if err := encodeJSON(&want, s.log(r, rules, results)); err != nil {
					t.Fatal(err)
				}
				formatsAs(t, s, r, want.Bytes(), "streamed SARIF differs from the encoder's")
				formatsAs(t, s, spilled(t, r), want.Bytes(), "SARIF from a spilled store differs")
			})
		}
	}
}

// spilled is r with its findings in a store that wrote every one to disk
// (closed when the test ends).
func spilled(t *testing.T, r *finding.Result) *finding.Result {
	t.Helper()
	store := finding.NewStore(finding.StoreOptions{Budget: 1, Dir: t.TempDir()})
	for i, f := range r.Findings {
		if err := store.Add(&f, finding.SeqOf(0, i)); err != nil {
			t.Fatal(err)
		}
	}
	streamed := *r
	streamed.UseStore(store)
	t.Cleanup(func() { streamed.Close() })
	return &streamed
}
