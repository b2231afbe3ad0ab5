package terraform

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// walkSyntax must reach every node hclsyntax.VisitAll reaches (it replaces
// it where only the nodes matter), each once, and nothing else.
func TestWalkSyntaxVisitsWhatVisitAllVisits(t *testing.T) {
	var files, nodes int
	forEachCorpusFile(t, func(p string, src []byte) {
		f, _ := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
		if f == nil || f.Body == nil {
			return
		}
		files++
		nodes += compareWalks(t, p, f.Body.(*hclsyntax.Body))
		compareVariables(t, p, f.Body.(*hclsyntax.Body))
	})
	t.Logf("%d files, %d nodes", files, nodes)
	if nodes < 5000 {
		t.Fatalf("only %d nodes compared", nodes)
	}
}

func TestWalkSyntaxForAndObjectKeys(t *testing.T) {
	src := `x = { for k, v in var.m : k => v.a if v.b }
y = { bare = 1, (local.k) = 2, "q" = [for s in var.l : s.c], a.b = 3 }
z = aws_x.y[*].z
w = [for k, v in { for x in var.n : x => x } : [for v2 in v : "${k}-${v2}-${x}"] if k != each.key]
s = [for x in x.items : [for x in x : x.name]]
`
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if n := compareWalks(t, "t.tf", f.Body.(*hclsyntax.Body)); n < 20 {
		t.Fatalf("only %d nodes", n)
	}
	if n := compareVariables(t, "t.tf", f.Body.(*hclsyntax.Body)); n < 10 {
		t.Fatalf("only %d expressions", n)
	}
}

// compareWalks checks walkSyntax against VisitAll on one body and returns
// the number of nodes compared.
func compareWalks(t *testing.T, file string, body *hclsyntax.Body) int {
	t.Helper()
	// The Attributes (a map) and Blocks (a slice) nodes VisitAll passes are
	// not comparable; their elements are what matters.
	comparable := func(n hclsyntax.Node) bool {
		switch n.(type) {
		case hclsyntax.Attributes, hclsyntax.Blocks, hclsyntax.ChildScope:
			return false
		}
		return true
	}
	want := map[hclsyntax.Node]bool{}
	_ = hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
		if comparable(n) {
			want[n] = true
		}
		return nil
	})
	got := map[hclsyntax.Node]int{}
	walkSyntax(body, func(n hclsyntax.Node) { got[n]++ })
	for n := range want {
		if got[n] != 1 {
			t.Errorf("%s: %T at %v visited %d times, VisitAll once", file, n, n.Range(), got[n])
		}
	}
	for n := range got {
		if !want[n] {
			t.Errorf("%s: %T at %v visited, not by VisitAll", file, n, n.Range())
		}
	}
	return len(want)
}

// compareVariables checks expressionVariables against hclsyntax.Variables
// on every expression of a body, order included, and returns the number of
// expressions compared.
func compareVariables(t *testing.T, file string, body *hclsyntax.Body) int {
	t.Helper()
	n := 0
	walkSyntax(body, func(node hclsyntax.Node) {
		e, ok := node.(hclsyntax.Expression)
		if !ok {
			return
		}
		n++
		if got, want := expressionVariables(e), hclsyntax.Variables(e); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %T at %v: variables %v, hclsyntax %v", file, e, e.Range(), got, want)
		}
	})
	return n
}

// The fallback for node types walkSyntaxOut does not know must record the
// visits and leaves it would make, in the same order (shown here on known
// types).
func TestWalkSyntaxFallbackMatches(t *testing.T) {
	expr, diags := hclsyntax.ParseExpression([]byte(`[for k, v in var.m : [for x in v : upper("${k}${x}")] if k != local.skip ? true : false]`), "t.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	record := func(log *[]string, tag string) func(hclsyntax.Node) {
		return func(n hclsyntax.Node) { *log = append(*log, fmt.Sprintf("%s %T %v", tag, n, n.Range())) }
	}
	var direct, fallback []string
	walkSyntaxOut(expr, record(&direct, "in"), record(&direct, "out"))
	direct = direct[1 : len(direct)-1] // the node itself
	var rec fallbackRecorder
	hclsyntax.Walk(expr, &rec)
	rec.replay(record(&fallback, "in"), record(&fallback, "out"))
	if !slices.Equal(direct, fallback) {
		t.Fatalf("walkSyntaxOut:\n%s\nfallback:\n%s", strings.Join(direct, "\n"), strings.Join(fallback, "\n"))
	}
	if len(direct) < 20 {
		t.Fatalf("only %d events", len(direct))
	}
}
