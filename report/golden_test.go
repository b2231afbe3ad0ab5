package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// render formats the fixture with the named format.
func render(t *testing.T, name string, o Options) []byte {
	t.Helper()
	f, err := New(name, o)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Format(&buf, fixtureResult()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return buf.Bytes()
}

// TestGolden compares every format's rendering of the fixture with its
// golden file; run `go test ./report -run TestGolden -update` after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	cases := []struct {
		format, file string
		opts         Options
	}{
		{"json", "result.json", Options{}},
		{"sarif", "result.sarif", Options{}},
		{"junit", "result.xml", Options{}},
		{"csv", "result.csv", Options{}},
		{"markdown", "result.md", Options{}},
		{"asff", "result.asff.json", Options{Account: "111122223333", Region: "eu-west-1"}},
		{"html", "result.html", Options{}},
		{"table", "result.txt", Options{}},
		{"gitlab-sast", "result.gitlab-sast.json", Options{}},
		{"gitlab-codequality", "result.gitlab-codequality.json", Options{}},
	}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			got := render(t, tc.format, tc.opts)
			path := filepath.Join("testdata", "golden", tc.file)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; run `go test ./report -run TestGolden -update` and review the diff.\n--- got ---\n%s", tc.format, path, got)
			}
		})
	}
}

// TestDeterministic renders each format twice: map iteration or time must
// not leak into the output.
func TestDeterministic(t *testing.T) {
	for _, name := range Names() {
		a, b := render(t, name, Options{}), render(t, name, Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings of the same result differ", name)
		}
	}
}
