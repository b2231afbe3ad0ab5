package terraform

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sagefence/sagefence/surface"
)

// The first pass reads module sources by line instead of parsing; where it
// says it is certain, it must agree with the parser.

func TestModuleLexer(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []moduleSource // nil with sure false: the file must be parsed
		sure bool
	}{
		{"none", "resource \"a\" \"b\" {\n  x = 1\n}\n", nil, true},
		{"plain", "module \"net\" {\n  source = \"./net\"\n  cidr   = \"10.0.0.0/16\"\n}\n",
			[]moduleSource{{"net", "./net"}}, true},
		{"bare label, comments, CRLF", "# x\r\nmodule net { // y\r\n\tsource=\"../net\" # z\r\n}\r\n",
			[]moduleSource{{"net", "../net"}}, true},
		{"registry source", "module \"vpc\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n",
			[]moduleSource{{"vpc", "terraform-aws-modules/vpc/aws"}}, true},
		{"two blocks", "module \"a\" {\n  source = \"./a\"\n}\n\nmodule \"b\" {\n  x = {\n    source = \"./no\"\n  }\n  source = \"./b\"\n}\n",
			[]moduleSource{{"a", "./a"}, {"b", "./b"}}, true},
		{"references do not count", "output \"o\" {\n  value = module.a.x\n}\nlocals {\n  p = path.module\n}\n", nil, true},
		{"module word in a string or heredoc", "x = \"\nmodule \\\"a\\\" {\"\ny = <<EOT\nmodule \"b\" {\nEOT\n", nil, true},
		{"one-line block", "module \"a\" { source = \"./a\" }\n", nil, false},
		{"computed source", "module \"a\" {\n  source = \"./${var.x}\"\n}\n", nil, false},
		{"escaped source", "module \"a\" {\n  source = \"./a\\\\b\"\n}\n", nil, false},
		{"heredoc source", "module \"a\" {\n  source = <<EOT\n./a\nEOT\n}\n", nil, false},
		{"no source line", "module \"a\" {\n  version = \"1\"\n}\n", nil, false},
		{"two source lines", "module \"a\" {\n  source = \"./a\"\n  source = \"./b\"\n}\n", nil, false},
		{"two labels", "module \"a\" \"b\" {\n  source = \"./a\"\n}\n", nil, false},
		{"attribute named module", "module = 1\n", nil, false},
		{"byte order mark", "\xef\xbb\xbfmodule \"a\" {\n  source = \"./a\"\n}\n", []moduleSource{{"a", "./a"}}, true},
		{"nested too deep: refused by the load, calls nothing", "module \"a\" {\n  source = \"./a\"\n  x = " + strings.Repeat("[", 300) + "\n}\n", nil, true},
		{"unterminated block", "module \"a\" {\n  source = \"./a\"\n", []moduleSource{{"a", "./a"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, sure := lexModuleSources("main.tf", []byte(tc.src), nil)
			if sure != tc.sure || !slices.Equal(got, tc.want) {
				t.Fatalf("lexModuleSources = %v, %v; want %v, %v", got, sure, tc.want, tc.sure)
			}
		})
	}
}

// TestModuleLexerAgreesWithParser runs the line reader and the parser on
// every configuration file of the repository's cases, examples and fixtures
// (and of SAGEFENCE_LEXER_CORPUS, a directory of real code, when set).
func TestModuleLexerAgreesWithParser(t *testing.T) {
	var files, sure, withModules int
	forEachCorpusFile(t, func(p string, src []byte) {
		files++
		lexed, ok := lexModuleSources(p, src, nil)
		if !ok {
			return
		}
		sure++
		if len(lexed) > 0 {
			withModules++
		}
		if _, diags := parseHCL(src, p); diags.HasErrors() {
			return // the parser reads nothing of a broken file; the load keeps its sound blocks
		}
		if parsed := parseModuleSources(p, src); !slices.Equal(lexed, parsed) {
			t.Errorf("%s: line reader %v, parser %v", p, lexed, parsed)
		}
	})
	t.Logf("%d files, line reader certain of %d (%d with module blocks)", files, sure, withModules)
	if withModules == 0 {
		t.Fatal("no file with a module block was compared")
	}
}

// FuzzModuleLexer: wherever the line reader is certain and the file parses,
// it finds the module sources the parser finds.
func FuzzModuleLexer(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/cases/*/*.tf")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && mayDeclareModule(p, b) {
			f.Add(b)
		}
	}
	f.Add([]byte("module \"a\" {\n  source = \"./a\"\n}\n"))
	f.Add([]byte("module a {\n  source = \"./a\" # c\n  b = <<EOT\nsource = \"./x\"\nEOT\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		lexed, ok := lexModuleSources("main.tf", src, nil)
		if !ok {
			return
		}
		if _, diags := parseHCL(src, "main.tf"); diags.HasErrors() {
			return
		}
		if parsed := parseModuleSources("main.tf", src); !slices.Equal(lexed, parsed) {
			t.Errorf("line reader %v, parser %v", lexed, parsed)
		}
	})
}

// TestFirstPassReadsFileWithByteOrderMark: the parser accepts a byte order
// mark, so a module called from such a file is not a root of its own (it
// was, before the first pass knew of the mark: its notebook was reported
// twice).
func TestFirstPassReadsFileWithByteOrderMark(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app/main.tf": "\xef\xbb\xbfmodule \"nb\" {\n  source = \"../nb\"\n}\n",
		"nb/main.tf":  "resource \"aws_sagemaker_notebook_instance\" \"nb\" {\n  name = \"nb\"\n  instance_type = \"ml.t3.medium\"\n  role_arn = \"arn:aws:iam::123456789012:role/r\"\n}\n",
	})
	res := Load(context.Background(), Input{Dirs: []string{filepath.Join(dir, "app"), filepath.Join(dir, "nb")}}, surface.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if len(res.Sets) != 1 || len(res.Sets[0].Notebooks) != 1 {
		t.Fatalf("got %d roots, want app only, with the module's notebook", len(res.Sets))
	}
}

// forEachCorpusFile calls fn with every .tf file of the repository's cases,
// examples and modules, and of SAGEFENCE_LEXER_CORPUS (a directory of real
// code) when it is set.
func forEachCorpusFile(t *testing.T, fn func(path string, src []byte)) {
	t.Helper()
	roots := []string{"../../testdata", "../../examples", "../../modules"}
	if d := os.Getenv("SAGEFENCE_LEXER_CORPUS"); d != "" {
		roots = append(roots, d)
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fn(p, src)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The first pass's listing of a directory is the load's (the directory is
// read once), and tells the load where no module manifest can be.
func TestFirstPassListingServesTheLoad(t *testing.T) {
	dir := t.TempDir()
	app, withInit := filepath.Join(dir, "app"), filepath.Join(dir, "initialised")
	for _, d := range []string{app, filepath.Join(withInit, ".terraform", "modules")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(app, "main.tf"), filepath.Join(withInit, "main.tf")} {
		if err := os.WriteFile(f, []byte("locals {\n  a = 1\n}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := newSourceCache(sourceCacheBytes, nil)
	scanModuleSources(context.Background(), []string{app, withInit}, cache)

	// A file added after the first pass is not in the listing the load
	// gets: it was not read again.
	if err := os.WriteFile(filepath.Join(app, "late.tf"), []byte("locals {\n  b = 2\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _, err := cache.configFiles(app)
	if err != nil || !slices.Equal(files, []string{filepath.Join(app, "main.tf")}) {
		t.Fatalf("load's listing of app = %v, %v; want the first pass's [main.tf]", files, err)
	}
	// Taken once: a directory loaded again is listed again.
	if files, _, _ = cache.configFiles(app); len(files) != 2 {
		t.Errorf("second listing of app = %v, want both files from disk", files)
	}

	if f, listed := cache.rootFactsOf(app); !listed || f.terraformDir {
		t.Errorf("app: listed %v, .terraform %v; want listed without .terraform (no manifest to read)", listed, f.terraformDir)
	}
	if f, listed := cache.rootFactsOf(withInit); !listed || !f.terraformDir {
		t.Errorf("initialised: listed %v, .terraform %v; want listed with .terraform (its manifest is read)", listed, f.terraformDir)
	}
	if _, listed := cache.rootFactsOf(filepath.Join(dir, "never-listed")); listed {
		t.Error("a directory the first pass did not list has no facts: it is checked on disk")
	}
}

// The variable files a root loads are the same from the first pass's
// listing as from the disk: the fixed names unless they are directories
// (through a symbolic link too), a dangling link kept so that reading it
// fails loudly, *.auto.tfvars(.json) in lexical order but directories.
func TestAutoVarFilesFromListingAndDisk(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"terraform.tfvars", "b.auto.tfvars", "a.auto.tfvars.json", "main.tf"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"dir.auto.tfvars", "real-dir"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("missing", filepath.Join(root, "terraform.tfvars.json")); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, "terraform.tfvars"), filepath.Join(root, "terraform.tfvars.json"),
		filepath.Join(root, "a.auto.tfvars.json"), filepath.Join(root, "b.auto.tfvars")}
	if got := autoVarFiles(root, nil); !slices.Equal(got, want) {
		t.Errorf("from disk: %v\nwant %v", got, want)
	}
	cache := newSourceCache(sourceCacheBytes, nil)
	scanModuleSources(context.Background(), []string{root}, cache)
	if got := autoVarFiles(root, cache); !slices.Equal(got, want) {
		t.Errorf("from the listing: %v\nwant %v", got, want)
	}

	// A fixed name that is a link to a directory is not a variable file.
	if err := os.Remove(filepath.Join(root, "terraform.tfvars.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real-dir", filepath.Join(root, "terraform.tfvars.json")); err != nil {
		t.Fatal(err)
	}
	want = slices.Delete(want, 1, 2)
	if got := autoVarFiles(root, nil); !slices.Equal(got, want) {
		t.Errorf("link to a directory, from disk: %v\nwant %v", got, want)
	}
}

func TestValidIdentifierAgreesWithHCL(t *testing.T) {
	for _, s := range []string{"", "a", "_", "-", "-a", "a-b", "a_b9", "9a", "A", "é", "aé", "a.b", "a b", "a\"", "Z-_-9"} {
		if got, want := validIdentifier([]byte(s)), hclsyntax.ValidIdentifier(s); got != want {
			t.Errorf("validIdentifier(%q) = %v, hclsyntax says %v", s, got, want)
		}
	}
}
