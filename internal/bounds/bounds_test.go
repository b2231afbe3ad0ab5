package bounds

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckDepth(t *testing.T) {
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	cases := []struct {
		name string
		src  string
		syn  Syntax
		line int // 0: accepted
	}{
		{"ordinary", "resource \"a\" \"b\" {\n  x = [1, {a = \"${var.x}\"}]\n}\n", HCL, 0},
		{"brackets in strings do not count", "x = \"" + strings.Repeat("[", 5000) + "\"\n", HCL, 0},
		{"closers in strings do not hide nesting", "x = " + strings.Repeat("[\"]\", ", 300) + "\n", HCL, 1},
		{"comments", "# " + strings.Repeat("{", 5000) + "\n/* " + strings.Repeat("(", 5000) + " */\nx = 1\n", HCL, 0},
		{"heredoc", "x = <<EOT\n" + strings.Repeat("{", 5000) + "\nEOT\ny = 1\n", HCL, 0},
		{"deep brackets", "x = " + deep("[", "]", 60000), HCL, 1},
		{"deep on line 3", "a = 1\nb = 2\nx = " + deep("(", ")", 300), HCL, 3},
		{"deep interpolation", "x = " + strings.Repeat("\"${", 300) + "1" + strings.Repeat("}\"", 300), HCL, 1},
		{"template text", strings.Repeat("{", 5000) + "\n${x}", HCLTemplate, 0},
		{"template interpolation", "\n" + strings.Repeat("${(", 200), HCLTemplate, 2},
		{"json", `{"a": "` + strings.Repeat("[", 5000) + `"}`, JSON, 0},
		{"json deep", deep("[", "]", 60000), JSON, 1},
		{"json escaped quote", `{"a": "\"` + strings.Repeat("[", 500) + `"}`, JSON, 0},
	}
	for _, c := range cases {
		err := CheckDepth([]byte(c.src), c.syn)
		var de *DepthError
		switch {
		case c.line == 0 && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.line != 0 && !errors.As(err, &de):
			t.Errorf("%s: %v, want a DepthError", c.name, err)
		case c.line != 0 && de.Line != c.line:
			t.Errorf("%s: line %d, want %d", c.name, de.Line, c.line)
		}
	}
}

func TestScanHCLLines(t *testing.T) {
	src := "a = 1\n" +
		"b {\n" +
		"  c = \"x\ny\"\n" + // the string's second line is not a line of code
		"  /* d\n e */ f = 1\n" + // nor is a comment's
		"  g = <<EOT\nh\nEOT\n" + // nor a heredoc's
		"  i = [\n    j,\n  ]\n" +
		"}\n"
	type line struct {
		depth int
		start string
	}
	var got []line
	err := ScanHCL([]byte(src), func(depth int, rest []byte) {
		s := string(rest)
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[:i]
		}
		got = append(got, line{depth, strings.TrimSpace(s)})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{0, "a = 1"}, {0, "b {"}, {1, `c = "x`}, {1, "/* d"}, {1, "g = <<EOT"}, {1, "i = ["},
		{2, "j,"}, {2, "]"}, {1, "}"}, {0, ""}}
	if len(got) != len(want) {
		t.Fatalf("lines %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %v, want %v", i, got[i], want[i])
		}
	}
	var de *DepthError
	if err := ScanHCL([]byte("x = "+strings.Repeat("[", 300)), nil); !errors.As(err, &de) {
		t.Errorf("ScanHCL on deep input: %v, want a DepthError", err)
	}
}
