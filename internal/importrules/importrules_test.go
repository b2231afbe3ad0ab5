package importrules

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/sagefence/sagefence"

// rule forbids every package under Under (a directory of the repository,
// itself included) to depend on Forbid, directly or through other packages
// of this module. Test files are not counted: tests may wire packages together.
type rule struct {
	Under, Forbid string
	Why           string
}

var rules = []rule{
	{Under: "surface", Forbid: "control",
		Why: "surfaces fill the model and never name a control: a gap says which model kinds it hides, and the engine decides which controls that concerns"},
	{Under: "fix", Forbid: "engine",
		Why: "fix is an edit planner: it plans from a scan's findings and model sets (fix.Input, filled by the CLI), never re-scans, and follows the scan's provenance chains instead of tracing values itself"},
	{Under: "awsfacts", Forbid: "model",
		Why: "awsfacts is the leaf every layer reads (model included: Route.TargetKind is an awsfacts.RouteTarget); it speaks in resource types, attribute names and identifiers"},
}

// TestImportRules checks every rule against the module's own import graph.
func TestImportRules(t *testing.T) {
	root := repoRoot(t)
	graph := importGraph(t, root)
	if len(graph) == 0 {
		t.Fatal("no packages found: the test cannot check anything")
	}
	for _, r := range rules {
		if _, ok := graph[module+"/"+r.Forbid]; !ok {
			t.Errorf("rule %s -/-> %s: package %s does not exist", r.Under, r.Forbid, r.Forbid)
		}
		checked := 0
		for pkg := range graph {
			rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
			if rel != r.Under && !strings.HasPrefix(rel, r.Under+"/") {
				continue
			}
			checked++
			if path := dependsOn(graph, pkg, module+"/"+r.Forbid); path != nil {
				t.Errorf("%s depends on %s (%s): %s", rel, r.Forbid, strings.Join(path, " -> "), r.Why)
			}
		}
		if checked == 0 {
			t.Errorf("rule %s -/-> %s: no package under %s", r.Under, r.Forbid, r.Under)
		}
	}
}

// repoRoot is the directory of go.mod above this package.
func repoRoot(t *testing.T) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// importGraph maps each package of the module to the module packages its
// non-test files import.
func importGraph(t *testing.T, root string) map[string][]string {
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := module
		if rel != "." {
			pkg += "/" + filepath.ToSlash(rel)
		}
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, module+"/") {
				graph[pkg] = append(graph[pkg], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range graph {
		sort.Strings(graph[p])
	}
	return graph
}

// dependsOn returns an import path from pkg to target, or nil.
func dependsOn(graph map[string][]string, pkg, target string) []string {
	seen := map[string]bool{}
	var walk func(p string) []string
	walk = func(p string) []string {
		if seen[p] {
			return nil
		}
		seen[p] = true
		for _, q := range graph[p] {
			if q == target {
				return []string{p, q}
			}
			if rest := walk(q); rest != nil {
				return append([]string{p}, rest...)
			}
		}
		return nil
	}
	return walk(pkg)
}

// TestRuleDetectsViolation proves the checker finds a direct and an
// indirect dependency, so that a passing TestImportRules means something.
func TestRuleDetectsViolation(t *testing.T) {
	g := map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil, "d": nil}
	if p := dependsOn(g, "a", "c"); strings.Join(p, ">") != "a>b>c" {
		t.Errorf("indirect path %v", p)
	}
	if p := dependsOn(g, "d", "c"); p != nil {
		t.Errorf("false path %v", p)
	}
}
