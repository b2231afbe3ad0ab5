package terraform

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

// A function table reused for another root reads that root's files and has
// its budget full again.
func TestFunctionTableRebinds(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for dir, text := range map[string]string{a: "from a", b: "from b"} {
		if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tables := newFunctionTables(nil)
	tab := tables.get(a, nil)
	read := func(want string) {
		t.Helper()
		v, err := tab.funcs["file"].Call([]cty.Value{cty.StringVal("x.txt")})
		if v, _ = v.Unmark(); err != nil || v.AsString() != want {
			t.Fatalf("file(\"x.txt\") = %v, %v; want %q", v, err, want)
		}
	}
	read("from a")
	tab.budget.spend(maxRootWork + 1)
	if _, err := tab.funcs["upper"].Call([]cty.Value{cty.StringVal("x")}); err == nil {
		t.Fatal("exhausted budget: upper() ran")
	}
	tables.put(tab)
	tab.bind(b, nil) // as the pool hands it to the next root
	read("from b")
	if v, err := tab.funcs["upper"].Call([]cty.Value{cty.StringVal("x")}); err != nil || v.AsString() != "X" {
		t.Fatalf("upper() after rebinding = %v, %v", v, err)
	}
}
