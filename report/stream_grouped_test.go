package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
)

// groupedVariants are the results the grouped formats (HTML, table) are
// held to their whole-result references on: the fixture and changes to it
// that reach every branch of the grouping (no finding, no control the
// catalog knows, markup in scanned text, witnesses), and enough findings
// that the rows outgrow a spool's memory (lowered by groupedMatchesWhole)
// and go through temporary files.
var groupedVariants = map[string]func() *finding.Result{
	"fixture": fixtureResult,
	"no findings": func() *finding.Result {
		r := fixtureResult()
		r.Findings = []finding.Finding{}
		r.Finalize()
		return r
	},
	"no suppression": func() *finding.Result {
		r := fixtureResult()
		r.Filter(func(f *finding.Finding) bool { return f.Status != finding.Suppressed })
		r.Finalize()
		return r
	},
	"unknown control and markup": func() *finding.Result {
		r := fixtureResult()
		r.Findings[0].ControlID = "CUSTOM_1"
		r.Findings[1].Message = "<script>&</script>\u2028 </tbody></table>"
		for i := range r.Findings {
			if s := r.Findings[i].Suppression; s != nil {
				s.Reason = `"><img src=x onerror=alert(1)>`
			}
		}
		return r
	},
	"witnesses": witnessResult,
	"many findings": func() *finding.Result {
		r := fixtureResult()
		base := r.Findings
		r.Findings = nil
		for i := 0; i < 40; i++ {
			for _, f := range base {
				f.Resource.Address = fmt.Sprintf("%s_%03d", f.Resource.Address, i)
				f.Location.StartLine += i
				r.Findings = append(r.Findings, f)
			}
		}
		r.Finalize()
		return r
	},
}

// override applies what emit may apply to a result before the reports
// read it: a configured severity (Rewrite) and a baseline that hides a
// failing finding (Filter), then recounts.
func override(r *finding.Result) {
	r.Rewrite(func(f *finding.Finding) {
		if f.ControlID == "sagemaker_notebook_instance_in_vpc" {
			f.Severity = finding.Low
		}
	})
	matched := r.Filter(func(f *finding.Finding) bool {
		return f.Status != finding.Fail || f.Resource.Address != "data-science"
	})
	r.Baseline = &finding.Baseline{File: "baseline <old>.json", MatchedFails: matched}
	r.Finalize()
}

// groupedMatchesWhole holds format f to whole (its renderer over every
// finding in memory) on every variant, with and without overrides, for the
// result in memory and in a store that spilled every finding to disk.
func groupedMatchesWhole(t *testing.T, f Formatter, whole func(io.Writer, *finding.Result) error) {
	defer func(limit int) { spoolMemLimit = limit }(spoolMemLimit)
	spoolMemLimit = 4 << 10
	for name, variant := range groupedVariants {
		for _, overridden := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/overrides=%v", name, overridden), func(t *testing.T) {
				r := variant()
				streamed := spilled(t, variant())
				if overridden {
					override(r)
					override(streamed)
				}
				var want bytes.Buffer
				if err := whole(&want, r); err != nil {
					t.Fatal(err)
				}
				// The spools' temporary files are removed when Format returns.
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				formatsAs(t, f, r, want.Bytes(), "streamed report differs from the whole-result reference")
				formatsAs(t, f, streamed, want.Bytes(), "report from a spilled store differs from the whole-result reference")
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Errorf("Format left %d temporary file(s) behind: %v", len(left), left)
				}
			})
		}
	}
}

// TestHTMLStreamMatchesWhole: the HTML report written part by part, its
// rows rendered one finding at a time, has the bytes of the template
// executed over every finding at once.
func TestHTMLStreamMatchesWhole(t *testing.T) {
	groupedMatchesWhole(t, HTML{}, htmlWhole)
}

// TestTableStreamMatchesWhole: the table, full and compact, with and
// without colour, written from one pass over the findings has the bytes of
// the table printed from every finding at once.
func TestTableStreamMatchesWhole(t *testing.T) {
	for _, tb := range []Table{{}, {Color: true}, {Compact: true}, {Compact: true, Color: true, Width: 50}} {
		t.Run(fmt.Sprintf("compact=%v,color=%v", tb.Compact, tb.Color), func(t *testing.T) {
			groupedMatchesWhole(t, tb, func(w io.Writer, r *finding.Result) error { return tableWhole(tb, w, r) })
		})
	}
}

// TestEveryFormatStreams: every format, HTML and the table (full and
// compact) included, reads a streamed result's findings itself, so emit
// never reads them all into memory for a report.
func TestEveryFormatStreams(t *testing.T) {
	for _, name := range Names() {
		for _, o := range []Options{{}, {Compact: true}} {
			f, err := New(name, o)
			if err != nil {
				t.Fatal(err)
			}
			if !StreamsFindings(f) {
				t.Errorf("%s (%+v) does not stream its findings", name, o)
			}
		}
	}
}

// TestSpool: text written to a spool comes back whole and in order, from
// memory and, past spoolMemLimit, from a temporary file that holds it
// sealed (no text readable on disk, a changed byte is an error) and that
// close removes.
func TestSpool(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var sp spools
	small, large, tampered := sp.new(), sp.new(), sp.new()
	var wantLarge bytes.Buffer
	for i := 0; wantLarge.Len() <= 3*spoolBlock+spoolMemLimit; i++ {
		line := fmt.Sprintf("row %d\n", i)
		wantLarge.WriteString(line)
		large.Write([]byte(line))
		tampered.Write([]byte(line))
	}
	small.Write([]byte("one row\n"))
	if small.f != nil || large.f == nil {
		t.Fatalf("small spool on file: %v, large spool on file: %v; want only the large one on file", small.f != nil, large.f != nil)
	}
	for _, c := range []struct {
		p    *spool
		want []byte
	}{{small, []byte("one row\n")}, {large, wantLarge.Bytes()}} {
		var got bytes.Buffer
		if err := c.p.copyTo(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), c.want) {
			t.Errorf("spool gave back %d bytes, want %d", got.Len(), len(c.want))
		}
	}
	onDisk, err := os.ReadFile(large.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("row 1")) || len(onDisk) < wantLarge.Len() {
		t.Errorf("the spool's file holds readable text or less than the text (%d bytes for %d)", len(onDisk), wantLarge.Len())
	}

	tampered.seal()
	if err := tampered.buf.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := tampered.f.WriteAt([]byte{'x'}, spoolBlock); err != nil {
		t.Fatal(err)
	}
	if err := tampered.copyTo(io.Discard); err == nil || !strings.Contains(err.Error(), "report spool: block") {
		t.Errorf("copyTo of a changed file: %v, want a block error", err)
	}

	sp.close()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("close left %v behind", left)
	}
}

// TestSpoolWithoutTempDir: when no temporary directory can be made, a
// spool keeps its text in memory and still gives it all back.
func TestSpoolWithoutTempDir(t *testing.T) {
	t.Setenv("TMPDIR", "/nonexistent/sagefence-test")
	var sp spools
	defer sp.close()
	p := sp.new()
	want := bytes.Repeat([]byte("x"), spoolMemLimit+10)
	p.Write(want[:spoolMemLimit])
	p.Write(want[spoolMemLimit:])
	var got bytes.Buffer
	if err := p.copyTo(&got); err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Errorf("copyTo: %v, %d bytes; want %d", err, got.Len(), len(want))
	}
}
