package report

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sagefence/sagefence/finding"
)

func TestWrapText(t *testing.T) {
	for _, tc := range []struct {
		in     string
		width  int
		indent string
		want   []string
	}{
		{"one two three", 20, "  ", []string{"one two three"}},
		{"one two three", 8, "  ", []string{"one two", "  three"}},
		{"  msg that wraps here", 12, "  ", []string{"  msg that", "  wraps here"}},
		{"a verylongpathwithoutspaces/main.tf", 10, "  ", []string{"a", "  verylong", "  pathwith", "  outspace", "  s/main.t", "  f"}},
		{"", 10, "  ", []string{""}},
	} {
		got := wrapText(tc.in, tc.width, tc.indent)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// TestCompactFitsWidth renders the fixture at several widths: no line is
// wider than asked, every non-pass finding and the summary are there.
func TestCompactFitsWidth(t *testing.T) {
	res := fixtureResult()
	for _, width := range []int{40, 80, 120} {
		var buf bytes.Buffer
		if err := (Table{Compact: true, Width: width}).Format(&buf, res); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("width %d: line of %d columns: %q", width, n, l)
			}
		}
		blocks := 0
		for _, f := range res.Findings {
			if f.Status != finding.Pass {
				blocks++
			}
		}
		heads := 0
		for _, l := range strings.Split(out, "\n") {
			for _, st := range []string{"FAIL ", "UNKNOWN ", "SUPPRESSED "} {
				if strings.HasPrefix(l, st) {
					heads++
				}
			}
		}
		if heads != blocks || !strings.Contains(out, "Summary:") {
			t.Errorf("width %d: %d finding blocks, want %d; summary present: %v\n%s", width, heads, blocks, strings.Contains(out, "Summary:"), out)
		}
	}
}
