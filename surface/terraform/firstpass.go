package terraform

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/sagefence/sagefence/internal/bounds"
)

// The first pass of a load finds, for every directory, the directories its
// module blocks call through a local source, so that roots can be chosen and
// shared modules counted before any root is evaluated. It parses nothing in
// the common case: the nesting check that every native-syntax file needs
// before parsing (bounds.ScanHCL) also reads the module blocks' sources by
// line (moduleLexer). Only a file whose module blocks it cannot read with
// certainty (a computed source, a block on one line, JSON syntax) is parsed
// here, and so parsed twice in the scan.

// moduleBlocks is the part of fileSchema the first pass reads.
var moduleBlocks = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "module", LabelNames: []string{"name"}}}}

var sourceAttr = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source"}}}

// scanModuleSources is the first pass: for every directory, the directories
// its module blocks call through a local source. Errors are left to the
// full load, which reports them.
func scanModuleSources(ctx context.Context, dirs []string, cache *sourceCache) map[string][]string {
	out := make([][]string, len(dirs))
	forEachBounded(ctx, len(dirs), func(i int) { out[i] = localCallees(dirs[i], cache) })
	m := make(map[string][]string, len(dirs))
	for i, d := range dirs {
		m[d] = out[i]
	}
	return m
}

// moduleSource is a module block's name and its source when that is a
// literal string.
type moduleSource struct{ name, source string }

// localCallees returns the directories dir's module calls name with a local
// source, override files applied last as Terraform merges them. The files
// it reads go to cache for the load, marked as depth-checked when they
// passed the nesting check.
func localCallees(dir string, cache *sourceCache) []string {
	listing, err := cache.listDir(dir)
	if err != nil {
		return nil
	}
	files := listing.files
	sources := map[string]string{}
	var names []string
	read := func(path string) {
		src, err := cache.readFresh(path)
		if err != nil {
			return
		}
		blocks, ok := lexModuleSources(path, src, cache)
		if !ok {
			blocks = parseModuleSources(path, src)
		}
		for _, b := range blocks {
			if _, dup := sources[b.name]; !dup {
				names = append(names, b.name)
			}
			sources[b.name] = b.source
		}
	}
	var overrides []string
	for _, path := range files {
		if isOverrideFile(filepath.Base(path)) {
			overrides = append(overrides, path)
			continue
		}
		read(path)
	}
	for _, path := range overrides {
		read(path)
	}
	var out []string
	for _, n := range names {
		if src := sources[n]; isLocalSource(src) {
			out = append(out, filepath.Clean(filepath.Join(dir, filepath.FromSlash(src))))
		}
	}
	return out
}

// lexModuleSources reads the module blocks of a native-syntax file without
// parsing it, and keeps src in cache (depth-checked when it passed the
// nesting check). A file nested too deep gives no module block, certainly:
// the load refuses it before parsing and reports it, so it calls nothing
// (and is not kept). ok is false when the file is JSON or has a module
// block the line reader cannot read with certainty: then the caller parses
// it.
func lexModuleSources(path string, src []byte, cache *sourceCache) (blocks []moduleSource, ok bool) {
	if strings.HasSuffix(path, ".json") {
		cache.put(path, src, false)
		return nil, false
	}
	var lx moduleLexer
	if err := bounds.ScanHCL(src, lx.line); err != nil {
		return nil, true
	}
	cache.put(path, src, true)
	return lx.result()
}

// parseModuleSources parses the file and returns its module blocks with a
// literal string source; nothing when it does not parse (the load reports
// the errors and leaves the file out).
func parseModuleSources(path string, src []byte) []moduleSource {
	if !mayDeclareModule(path, src) {
		return nil
	}
	f, diags := parseHCL(src, path)
	if diags.HasErrors() || f == nil || f.Body == nil {
		return nil
	}
	var out []moduleSource
	content, _, _ := f.Body.PartialContent(moduleBlocks)
	for _, b := range content.Blocks {
		attrs, _, _ := b.Body.PartialContent(sourceAttr)
		a, ok := attrs.Attributes["source"]
		if !ok {
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
			continue
		}
		out = append(out, moduleSource{name: b.Labels[0], source: v.AsString()})
	}
	return out
}

// moduleLexer reads module blocks from the lines of a native-syntax file as
// bounds.ScanHCL hands them over (outside strings, heredocs and comments,
// with their nesting depth). It is certain only of the plain form: a
// top-level line `module "NAME" {` (nothing after the brace but a comment)
// and, directly inside that block, one line `source = "LITERAL"` whose
// string has no escape, template sequence or non-ASCII byte. Anything else
// that starts a top-level line with the word module, or a module block
// without such a source line, makes it unsure (result's ok is false), and
// the file is parsed instead: it never guesses.
type moduleLexer struct {
	blocks    []moduleSource
	inModule  bool // the last top-level line opened a module block
	hasSource bool // and the block's source line was read
	unsure    bool
}

func (lx *moduleLexer) line(depth int, rest []byte) {
	if lx.unsure {
		return
	}
	// The parser accepts a byte order mark at the start of a file.
	text := bytes.TrimPrefix(rest, utf8BOM)
	for len(text) > 0 && (text[0] == ' ' || text[0] == '\t') {
		text = text[1:]
	}
	switch depth {
	case 0:
		lx.closeBlock()
		header, isModule := afterWord(text, "module")
		if !isModule {
			return
		}
		name, ok := moduleHeader(header)
		if !ok {
			lx.unsure = true
			return
		}
		lx.blocks = append(lx.blocks, moduleSource{name: name})
		lx.inModule = true
	case 1:
		if !lx.inModule {
			return
		}
		value, isSource := afterWord(text, "source")
		if !isSource {
			return
		}
		src, ok := sourceLiteral(value)
		if !ok || lx.hasSource {
			lx.unsure = true
			return
		}
		lx.blocks[len(lx.blocks)-1].source = src
		lx.hasSource = true
	}
}

// closeBlock ends the module block being read, if any: one without a source
// line read is not certain.
func (lx *moduleLexer) closeBlock() {
	if lx.inModule && !lx.hasSource {
		lx.unsure = true
	}
	lx.inModule, lx.hasSource = false, false
}

func (lx *moduleLexer) result() ([]moduleSource, bool) {
	lx.closeBlock()
	if lx.unsure {
		return nil, false
	}
	return lx.blocks, true
}

var utf8BOM = []byte("\xef\xbb\xbf")

// afterWord returns what follows word at the start of text when word is a
// whole word there (followed by a blank, a quote, '=' or the end).
func afterWord(text []byte, word string) ([]byte, bool) {
	if !bytes.HasPrefix(text, []byte(word)) {
		return nil, false
	}
	rest := text[len(word):]
	if len(rest) > 0 && bounds.IsIdentByte(rest[0]) {
		return nil, false
	}
	return rest, true
}

// moduleHeader reads ` "NAME" {` (or a bare NAME) to the end of the line.
func moduleHeader(rest []byte) (string, bool) {
	rest = bytes.TrimLeft(rest, " \t")
	var name []byte
	if len(rest) > 0 && rest[0] == '"' {
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", false
		}
		name, rest = rest[1:1+end], rest[2+end:]
	} else {
		n := 0
		for n < len(rest) && bounds.IsIdentByte(rest[n]) {
			n++
		}
		name, rest = rest[:n], rest[n:]
	}
	if !validIdentifier(name) {
		return "", false
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] != '{' {
		return "", false
	}
	return string(name), restOfLineIsBlank(rest[1:])
}

// validIdentifier is hclsyntax.ValidIdentifier, answered without running
// its lexer for the usual ASCII name.
func validIdentifier(name []byte) bool {
	ascii := len(name) > 0 && (name[0] == '_' || name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z')
	for _, c := range name {
		ascii = ascii && bounds.IsIdentByte(c)
	}
	return ascii || hclsyntax.ValidIdentifier(string(name))
}

// sourceLiteral reads ` = "LITERAL"` to the end of the line.
func sourceLiteral(rest []byte) (string, bool) {
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) < 2 || rest[0] != '=' || rest[1] == '=' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '"':
			return string(rest[1:i]), restOfLineIsBlank(rest[i+1:])
		case c == '\\' || c == '\n' || c >= 0x80, (c == '$' || c == '%') && i+1 < len(rest) && rest[i+1] == '{':
			return "", false
		}
	}
	return "", false
}

// restOfLineIsBlank reports whether the line holds nothing more than blanks
// and a line comment.
func restOfLineIsBlank(rest []byte) bool {
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[:i]
	}
	rest = bytes.TrimLeft(rest, " \t\r")
	return len(rest) == 0 || rest[0] == '#' || bytes.HasPrefix(rest, []byte("//"))
}

// mayDeclareModule reports whether a file can hold a module block, so that
// the first pass parses only those: in native syntax a block header starts
// its line ("module" then a blank, a quote or a name); references like
// module.x.y and path.module do not count.
func mayDeclareModule(path string, src []byte) bool {
	if strings.HasSuffix(path, ".json") {
		return bytes.Contains(src, []byte(`"module"`))
	}
	word := []byte("module")
	for i := 0; ; {
		j := bytes.Index(src[i:], word)
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len(word)
		lineStart := at
		for lineStart > 0 && (src[lineStart-1] == ' ' || src[lineStart-1] == '\t') {
			lineStart--
		}
		if lineStart == len(utf8BOM) && bytes.HasPrefix(src, utf8BOM) {
			lineStart = 0 // the file's first line, after a byte order mark
		}
		if lineStart > 0 && src[lineStart-1] != '\n' {
			continue
		}
		if i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '"') {
			return true
		}
	}
}
