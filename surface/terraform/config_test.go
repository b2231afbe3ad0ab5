package terraform

import (
	"reflect"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// fileBlocks reads the blocks of a file as Content(fileSchema) does, with
// the same diagnostics, on every corpus file and on files Content refuses.
func TestFileBlocksAgreesWithContent(t *testing.T) {
	check := func(name string, src []byte) {
		t.Helper()
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() || f == nil {
			return
		}
		content, wantDiags := f.Body.Content(fileSchema)
		var want hcl.Blocks
		if content != nil {
			want = content.Blocks
		}
		got, gotDiags := fileBlocks(f.Body)
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotDiags, wantDiags) {
			t.Errorf("%s: fileBlocks = %d blocks, %v; Content = %d blocks, %v", name, len(got), gotDiags, len(want), wantDiags)
		}
	}
	n := 0
	forEachCorpusFile(t, func(p string, src []byte) { check(p, src); n++ })
	if n == 0 {
		t.Fatal("no corpus file")
	}
	for name, src := range map[string]string{
		"attribute.tf":     "x = 1\nresource \"a\" \"b\" {}\n",
		"unknown-block.tf": "resource \"a\" \"b\" {}\nwidget \"w\" {}\n",
		"extra-label.tf":   "variable \"a\" \"b\" {}\n",
		"missing-label.tf": "resource \"a\" {}\n",
		"empty.tf":         "",
		"every-kind.tf":    "terraform {}\nprovider \"aws\" {}\nlocals {}\nmoved {}\nimport {}\nremoved {}\ncheck \"c\" {}\nephemeral \"a\" \"b\" {}\ndata \"a\" \"b\" {}\n",
	} {
		check(name, []byte(src))
	}
}
