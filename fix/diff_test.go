package fix

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
)

// TestUnifiedDiffAppliesWithPatch feeds every diff to patch(1) and checks it
// reproduces the new text exactly.
func TestUnifiedDiffAppliesWithPatch(t *testing.T) {
	patch := testutil.RequireTool(t, "patch")
	long := strings.Repeat("line\n", 20)
	tests := []struct{ name, old, new string }{
		{"change one line", "a\nb\nc\n", "a\nB\nc\n"},
		{"insert in the middle of a long file", long + "x\n" + long, long + "x\ny\n" + long},
		{"two distant hunks", "1\n" + long + "2\n" + long + "3\n", "1\n" + long + "two\n" + long + "three\n"},
		{"append", "a\n", "a\nb\n"},
		{"prepend", "a\n", "z\na\n"},
		{"delete all", "a\nb\n", ""},
		{"from empty", "", "a\n"},
		{"no newline at end, old", "a\nb", "a\nb\n"},
		{"no newline at end, new", "a\nb\n", "a\nc"},
		{"no newline at end, both", "a\nb", "a\nc"},
		{"repeated lines", "x\nx\nx\ny\n", "x\ny\nx\nx\ny\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := UnifiedDiff("f.txt", []byte(tc.old), []byte(tc.new))
			if d == "" {
				t.Fatal("empty diff for different texts")
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "f.txt")
			if err := os.WriteFile(file, []byte(tc.old), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(patch, "-p1", "--quiet", "--batch", "--no-backup-if-mismatch")
			cmd.Dir = dir
			cmd.Stdin = strings.NewReader(d)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("patch rejected the diff: %v\n%s\n%s", err, out, d)
			}
			got, _ := os.ReadFile(file)
			if string(got) != tc.new {
				t.Fatalf("patched text %q, want %q\n%s", got, tc.new, d)
			}
		})
	}
	if UnifiedDiff("f", []byte("same\n"), []byte("same\n")) != "" {
		t.Error("diff of equal texts is not empty")
	}
}

func TestUnifiedDiffShape(t *testing.T) {
	got := UnifiedDiff("main.tf", []byte("a\nb\nc\nd\ne\nf\ng\nh\n"), []byte("a\nb\nc\nd\nE\nf\ng\nh\n"))
	want := "--- a/main.tf\n+++ b/main.tf\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
