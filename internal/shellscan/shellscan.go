// Package shellscan finds the commands of a shell script that fetch software or
// data from the public internet: package installs from public indexes and
// channels, downloads of public URLs, clones of public Git hosts.
//
// The script is parsed as bash by mvdan.cc/sh/v3/syntax and the rules run on
// its syntax tree. Contract:
//   - Every simple command is judged wherever it appears: in ;/&&/||/| chains,
//     if/while/for/case arms, functions (`setup() { pip install x; }`, judged
//     where they are defined), subshells, command substitutions and process
//     substitutions (`bash <(curl -s https://...)`). Wrappers are peeled off
//     (sudo with its options, nohup, env, time, nice, timeout, exec, prefix
//     VAR=value assignments), and the strings of `bash -c "..."`, `sh -c` and
//     `su - user -c "..."` are parsed and judged as commands of their line.
//   - A hit reports the line where its command starts (1-based, relative to the
//     script) and that logical line's text (backslash continuations joined).
//   - The body of a here-document is parsed and judged with its own line
//     numbers (the usual `sudo -u ec2-user -i <<'EOF' ... EOF`, and scripts
//     written with cat <<EOF to run later), except when the here-document writes
//     a package-manager configuration file (pip.conf, .condarc, .npmrc,
//     uv.toml): then the body is read as that configuration.
//   - Configuration applies from the command where it appears onward, in source
//     order: a pip install after `pip config set global.index-url
//     https://mirror.internal/simple`, a pip.conf write, `export
//     PIP_INDEX_URL=...` or `aws codeartifact login --tool pip` is private.
//   - A URL is public unless its host is private (see PrivateHost). Hosts that
//     come from shell variables are not judged (no hit).
//   - Fetches through a private proxy are not public: after `export
//     https_proxy=http://proxy.internal:3128` (any of HTTP(S)_PROXY, ALL_PROXY)
//     nothing is reported, nor is a command given --proxy/-x with a private host.
//   - A script that does not parse is an error (*ParseError naming the line), so
//     callers can say the script cannot be judged instead of passing it. The
//     hits of the commands before the error are still returned: bash runs a
//     script statement by statement and executes them before it reaches the
//     error. Leftovers of template syntax that bash never sees in that form
//     (`${var.name}` of an unrendered Terraform template, CloudFormation's
//     `${AWS::Region}`) are read as variables, and a here-document left open
//     at the end of the script ends there, as bash does (with a warning). The
//     body of a here-document that feeds a shell (sudo -i, su -, bash) must
//     parse too; other here-documents are data and are judged as far as they
//     parse.
package shellscan

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Kind classifies a fetching command.
type Kind string

const (
	// PipInstall is pip/pip3/python -m pip/uv pip/pipx install from a public index.
	PipInstall Kind = "pip install"
	// CondaInstall is conda/mamba/micromamba install or create from public channels.
	CondaInstall Kind = "conda install"
	// Download is curl or wget of a public URL.
	Download Kind = "download"
	// GitClone is git clone of a public host.
	GitClone Kind = "git clone"
	// NpmInstall is npm/yarn install or jupyter labextension install from the public registry.
	NpmInstall Kind = "npm install"
	// SystemPackage is apt/apt-get install or update, or yum/dnf install of a public URL.
	SystemPackage Kind = "system package install"
)

// Hit is one command that fetches from the public internet.
type Hit struct {
	// Line is the 1-based line in the script where the command starts.
	Line int
	// Text is that logical line (continuations joined), trimmed.
	Text string
	Kind Kind
	// Detail says what is fetched from where, for messages.
	Detail string
}

// String renders "line N: text".
func (h Hit) String() string { return fmt.Sprintf("line %d: %s", h.Line, h.Text) }

// ParseError says a script (or a here-document or -c string that a shell
// runs) is not valid shell, and where.
type ParseError struct {
	// Line is the 1-based line in the script.
	Line int
	// Msg is the parser's message.
	Msg string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d does not parse as shell: %s", e.Line, e.Msg)
}

// Scan parses script as bash and returns its hits in line order. The error
// is a *ParseError when a part a shell runs does not parse; the hits are
// then those of the commands before the error.
func Scan(script string) ([]Hit, error) {
	script = strings.ReplaceAll(script, "\r\n", "\n")
	s := &scanner{lines: strings.Split(script, "\n")}
	s.scanUnit(unit{src: script}, 0, true)
	sort.SliceStable(s.hits, func(i, j int) bool { return s.hits[i].Line < s.hits[j].Line })
	if s.parseErr != nil {
		return s.hits, s.parseErr
	}
	return s.hits, nil
}

// scanner carries the configuration state of one script.
type scanner struct {
	// lines are the script's physical lines, for hit texts.
	lines        []string
	pipPrivate   bool
	uvPrivate    bool
	condaPrivate bool
	npmPrivate   bool
	// condaPrivateChannel and condaDefaultsRemoved together make conda private.
	condaPrivateChannel  bool
	condaDefaultsRemoved bool
	// proxied: an exported HTTP(S)_PROXY with a private host sends every
	// later fetch through that proxy.
	proxied  bool
	hits     []Hit
	parseErr *ParseError
}

// unit is one piece of source parsed on its own: the script, a here-document
// body, or the string of a `bash -c`.
type unit struct {
	src string
	// lineOffset is added to the unit's own line numbers.
	lineOffset int
	// fixed, when set, is the location of every hit and error in the unit
	// (the string of a `bash -c` is reported at the line of the bash command).
	fixed *loc
}

// loc is where a hit is reported.
type loc struct {
	line int
	text string
}

func (u unit) at(p syntax.Pos) int {
	if u.fixed != nil {
		return u.fixed.line
	}
	return u.lineOffset + int(p.Line())
}

// maxDepth bounds recursion through bash -c and nested here-documents.
const maxDepth = 8

// maxRepairs bounds the re-parses that read template leftovers as variables.
const maxRepairs = 64

// scanUnit parses and judges one unit. strict says a parse error is recorded
// (the unit is run by a shell); otherwise the unit is judged as far as it parses.
func (s *scanner) scanUnit(u unit, depth int, strict bool) {
	stmts, src, err := parse(u.src)
	u.src = src // positions refer to the repaired source
	for _, st := range stmts {
		s.walk(u, st, depth)
	}
	if err != nil && strict && s.parseErr == nil {
		line := u.lineOffset + err.Line
		if u.fixed != nil {
			line = u.fixed.line
		}
		s.parseErr = &ParseError{Line: line, Msg: err.Msg}
	}
}

var (
	unclosedHeredoc = regexp.MustCompile("unclosed here-document `([^`]*)`")
	// templateExpansion is ${...} on one line: bash rejects the Terraform
	// template forms ${var.x}, ${f(a)}, ${a ? b : c}.
	templateExpansion = regexp.MustCompile(`\$\{[^}\n]*\}`)
)

// parse parses src as bash, statement by statement. It returns the complete
// statements before the first error, the source they were parsed from, and
// the error with its line in src.
// A here-document left open at the end is closed, and a ${...} the parser
// rejects is read as a variable of the same length (line numbers are kept).
func parse(src string) ([]*syntax.Stmt, string, *ParseError) {
	closed := map[string]bool{} // here-documents closed at the end, by error
	for range maxRepairs {
		var stmts []*syntax.Stmt
		var perr syntax.ParseError
		failed := false
		var other error
		// The sequence is read to its end: StmtsSeq may yield its error more
		// than once and must not be stopped early.
		for st, err := range syntax.NewParser(syntax.Variant(syntax.LangBash)).StmtsSeq(strings.NewReader(src)) {
			switch {
			case failed || other != nil:
			case err != nil && errors.As(err, &perr):
				failed = true
			case err != nil:
				other = err
			default:
				stmts = append(stmts, st)
			}
		}
		if other != nil {
			return stmts, src, &ParseError{Line: 1, Msg: other.Error()}
		}
		if !failed {
			return stmts, src, nil
		}
		if m := unclosedHeredoc.FindStringSubmatch(perr.Text); m != nil && !closed[perr.Error()] {
			closed[perr.Error()] = true
			src = strings.TrimRight(src, "\n") + "\n" + m[1] + "\n"
			continue
		}
		if repaired, ok := repairTemplate(src, perr.Pos); ok {
			src = repaired
			continue
		}
		return stmts, src, &ParseError{Line: max(1, int(perr.Pos.Line())), Msg: perr.Text}
	}
	return nil, src, &ParseError{Line: 1, Msg: "too many template expressions the parser rejects"}
}

// terraformExpression is the inside of a ${...} that only a Terraform
// template can hold: a reference (var.x, local.y, data.a.b) or a function call.
var terraformExpression = regexp.MustCompile(`^\$\{\s*(?:[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_]|[a-z][a-z0-9_]*\()`)

// repairTemplate replaces the ${...} that contains the error position with a
// variable reference of the same length, and with it every other ${...}
// holding a Terraform reference or function call (never valid bash), so that
// a template full of them takes one re-parse, not one per expression.
func repairTemplate(src string, p syntax.Pos) (string, bool) {
	off := int(p.Offset())
	spans := templateExpansion.FindAllStringIndex(src, -1)
	hit := false
	for _, m := range spans {
		if off >= m[0] && off < m[1] && m[1]-m[0] >= 4 {
			hit = true
		}
	}
	if !hit {
		return src, false
	}
	b := []byte(src)
	for _, m := range spans {
		if m[1]-m[0] < 4 {
			continue
		}
		if (off >= m[0] && off < m[1]) || terraformExpression.MatchString(src[m[0]:m[1]]) {
			copy(b[m[0]:m[1]], "${T"+strings.Repeat("_", m[1]-m[0]-4)+"}")
		}
	}
	return string(b), true
}

// walk judges every command of a statement, in source order.
func (s *scanner) walk(u unit, st *syntax.Stmt, depth int) {
	syntax.Walk(st, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.Stmt:
			s.stmt(u, n, depth)
		case *syntax.Redirect:
			return n.Hdoc == nil // bodies are judged by stmt
		}
		return true
	})
}

// stmt judges one statement's command and its here-documents.
func (s *scanner) stmt(u unit, st *syntax.Stmt, depth int) {
	var targets []string
	hasHeredoc := false
	for _, r := range st.Redirs {
		switch r.Op {
		case syntax.RdrOut, syntax.AppOut, syntax.RdrClob, syntax.RdrAll, syntax.AppAll, syntax.RdrInOut:
			if r.Word != nil {
				targets = append(targets, u.word(r.Word))
			}
		case syntax.Hdoc, syntax.DashHdoc:
			hasHeredoc = true
		}
	}
	cfgFile, shellStdin := "", false
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		var words []string
		for _, a := range c.Assigns {
			if a.Name != nil && a.Array == nil && a.Index == nil {
				v := ""
				if a.Value != nil {
					v = u.word(a.Value)
				}
				words = append(words, a.Name.Value+"="+v)
			}
		}
		for _, w := range c.Args {
			words = append(words, u.word(w))
		}
		at := loc{line: u.at(c.Pos())}
		if u.fixed != nil {
			at = *u.fixed
		} else {
			at.text = s.logicalLine(at.line)
		}
		cfgFile, shellStdin = s.command(words, targets, hasHeredoc, at, depth)
		if shellStdin && depth < maxDepth {
			// bash <<< "pip install x": a here-string a shell reads as commands.
			for _, r := range st.Redirs {
				if r.Op == syntax.WordHdoc && r.Word != nil {
					s.scanString(u.word(r.Word), at, depth+1)
				}
			}
		}
	case *syntax.DeclClause:
		for _, a := range c.Args {
			if a.Name != nil && !a.Naked && a.Value != nil {
				s.applyEnv(a.Name.Value, u.word(a.Value))
			}
		}
	}
	if !hasHeredoc || depth >= maxDepth {
		return
	}
	for _, r := range st.Redirs {
		if (r.Op != syntax.Hdoc && r.Op != syntax.DashHdoc) || r.Hdoc == nil || len(r.Hdoc.Parts) == 0 {
			continue
		}
		body := u.src[r.Hdoc.Pos().Offset():r.Hdoc.End().Offset()]
		if cfgFile != "" {
			s.readConfigBody(cfgFile, body)
			continue
		}
		sub := unit{src: body, lineOffset: u.at(r.Hdoc.Pos()) - 1, fixed: u.fixed}
		s.scanUnit(sub, depth+1, shellStdin)
	}
}

// scanString parses the argument of `bash -c` / `su -c` and judges it as
// commands of at.
func (s *scanner) scanString(c string, at loc, depth int) {
	s.scanUnit(unit{src: c, fixed: &at}, depth, true)
}

// word renders a word as the shell would pass it, quotes removed; expansions
// ($VAR, ${VAR}, $(...)) stay as written so hosts built from them are not judged.
func (u unit) word(w *syntax.Word) string {
	var b strings.Builder
	for _, p := range w.Parts {
		u.part(&b, p, false)
	}
	return b.String()
}

func (u unit) part(b *strings.Builder, p syntax.WordPart, quoted bool) {
	switch p := p.(type) {
	case *syntax.Lit:
		b.WriteString(unescape(p.Value, quoted))
	case *syntax.SglQuoted:
		b.WriteString(p.Value)
	case *syntax.DblQuoted:
		for _, q := range p.Parts {
			u.part(b, q, true)
		}
	default:
		b.WriteString(u.src[p.Pos().Offset():p.End().Offset()])
	}
}

// unescape removes the backslashes the shell removes: before any character
// outside quotes, before " \ $ ` inside double quotes.
func unescape(v string, quoted bool) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) && (!quoted || strings.IndexByte("\"\\$`", v[i+1]) >= 0) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// logicalLine is the text of the line n of the script with its backslash
// continuations joined, trimmed.
func (s *scanner) logicalLine(n int) string {
	if n < 1 || n > len(s.lines) {
		return ""
	}
	text := s.lines[n-1]
	for i := n; endsWithContinuation(text) && i < len(s.lines); i++ {
		text = text[:len(text)-1] + " " + strings.TrimLeft(s.lines[i], " \t")
	}
	return strings.TrimSpace(text)
}

// endsWithContinuation reports a trailing unescaped backslash outside single quotes.
func endsWithContinuation(t string) bool {
	t = strings.TrimRight(t, " \t")
	if !strings.HasSuffix(t, `\`) {
		return false
	}
	n := 0
	for i := len(t) - 1; i >= 0 && t[i] == '\\'; i-- {
		n++
	}
	if n%2 == 0 {
		return false
	}
	inSingle, inDouble := false, false
	for i := 0; i < len(t)-1; i++ {
		switch c := t[i]; {
		case c == '\\' && !inSingle:
			i++
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '#' && !inSingle && !inDouble && (i == 0 || t[i-1] == ' ' || t[i-1] == '\t'):
			return false // the backslash is inside a comment
		}
	}
	return !inSingle
}
