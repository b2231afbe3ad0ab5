// Package shellscan finds the commands of a shell script that fetch software or
// data from the public internet: package installs from public indexes and
// channels, downloads of public URLs, clones of public Git hosts.
//
// It is a line-oriented scanner, not a shell interpreter. Contract:
//   - Comments (# at the start of a word, outside quotes) are ignored; lines
//     ending in a backslash continue on the next line, and a hit reports the
//     first line of the logical line.
//   - A logical line is split into commands at ;, &&, ||, |, & and command
//     substitutions ($(...) and backticks); wrappers are peeled off (sudo with its
//     options, nohup, env, time, nice, timeout, exec, VAR=value assignments and
//     the shell keywords if/then/do/else/while/until), and `bash -c "..."`,
//     `sh -c`, `su - user -c "..."` are scanned recursively.
//   - The body of a here-document is scanned as commands with its own line
//     numbers (the usual `sudo -u ec2-user -i <<'EOF' ... EOF` form, and scripts
//     written with cat <<EOF to run later), except when the here-document writes
//     a package-manager configuration file (pip.conf, .condarc, .npmrc): then the
//     body is read as that configuration.
//   - Configuration applies from the line where it appears onward: a pip install
//     after `pip config set global.index-url https://mirror.internal/simple`, a
//     pip.conf write, `export PIP_INDEX_URL=...` or `aws codeartifact login --tool
//     pip` is private.
//   - A URL is public unless its host is private (see PrivateHost). Hosts that
//     come from shell variables are not judged (no hit).
//   - Fetches through a private proxy are not public: after `export
//     https_proxy=http://proxy.internal:3128` (any of HTTP(S)_PROXY, ALL_PROXY)
//     nothing is reported, nor is a command given --proxy/-x with a private host.
//
// Scan never fails: malformed input (unterminated quotes or here-documents) is
// scanned as far as it goes.
package shellscan

import (
	"sort"
	"strings"
)

// Kind classifies a fetching command.
type Kind string

const (
	// PipInstall is pip/pip3/python -m pip install from a public index.
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
	// Line is the 1-based line in the script where the logical line starts.
	Line int
	// Text is the logical line (continuations joined), trimmed.
	Text string
	Kind Kind
	// Detail says what is fetched from where, for messages.
	Detail string
}

// String renders "line N: text".
func (h Hit) String() string { return "line " + itoa(h.Line) + ": " + h.Text }

// Scan returns the hits of the script in line order.
func Scan(script string) []Hit {
	s := &scanner{}
	s.scanLines(splitLines(script), 0)
	sort.SliceStable(s.hits, func(i, j int) bool { return s.hits[i].Line < s.hits[j].Line })
	return s.hits
}

// scanner carries the configuration state of one script.
type scanner struct {
	pipPrivate   bool
	condaPrivate bool
	npmPrivate   bool
	// condaPrivateChannel and condaDefaultsRemoved together make conda private.
	condaPrivateChannel  bool
	condaDefaultsRemoved bool
	// proxied: an exported HTTP(S)_PROXY with a private host sends every
	// later fetch through that proxy.
	proxied bool
	hits    []Hit
}

// physLine is one physical line with its 1-based number.
type physLine struct {
	n    int
	text string
}

func splitLines(script string) []physLine {
	script = strings.ReplaceAll(script, "\r\n", "\n")
	raw := strings.Split(script, "\n")
	out := make([]physLine, len(raw))
	for i, t := range raw {
		out[i] = physLine{n: i + 1, text: t}
	}
	return out
}

// maxDepth bounds recursion through bash -c and nested here-documents.
const maxDepth = 8

// scanLines scans physical lines: joins continuations, handles here-documents.
func (s *scanner) scanLines(lines []physLine, depth int) {
	for i := 0; i < len(lines); i++ {
		start := lines[i].n
		text := lines[i].text
		for endsWithContinuation(text) && i+1 < len(lines) {
			text = text[:len(text)-1] + " " + strings.TrimLeft(lines[i+1].text, " \t")
			i++
		}
		logical := strings.TrimSpace(text)
		if logical == "" {
			continue
		}
		docs := heredocs(logical)
		var bodies [][]physLine
		for _, d := range docs {
			var body []physLine
			for i+1 < len(lines) {
				i++
				t := lines[i].text
				if d.stripTabs {
					t = strings.TrimLeft(t, "\t")
				}
				if strings.TrimRight(t, " \t") == d.delim {
					break
				}
				body = append(body, lines[i])
			}
			bodies = append(bodies, body)
		}
		cfgFile := s.scanLogical(logical, start, bodies, depth)
		for _, body := range bodies {
			if cfgFile != "" {
				s.readConfigBody(cfgFile, body)
				continue
			}
			if depth < maxDepth {
				s.scanLines(body, depth+1)
			}
		}
	}
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

type heredoc struct {
	delim     string
	stripTabs bool
}

// heredocs finds the here-document operators of a logical line, in order.
func heredocs(line string) []heredoc {
	var out []heredoc
	inSingle, inDouble := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && !inSingle:
			i++
		case c == '\'' && !inDouble:
			inSingle = !inSingle
		case c == '"' && !inSingle:
			inDouble = !inDouble
		case c == '#' && !inSingle && !inDouble && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return out
		case c == '<' && !inSingle && !inDouble && strings.HasPrefix(line[i:], "<<") && !strings.HasPrefix(line[i:], "<<<"):
			j := i + 2
			strip := false
			if j < len(line) && line[j] == '-' {
				strip = true
				j++
			}
			for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
				j++
			}
			k := j
			var delim strings.Builder
			for k < len(line) && !strings.ContainsRune(" \t;&|<>)", rune(line[k])) {
				if line[k] != '\'' && line[k] != '"' && line[k] != '\\' {
					delim.WriteByte(line[k])
				}
				k++
			}
			if delim.Len() > 0 {
				out = append(out, heredoc{delim: delim.String(), stripTabs: strip})
			}
			i = k - 1
		}
	}
	return out
}

// scanLogical scans one logical line. It returns the configuration file a
// here-document on this line writes ("pip.conf", ".condarc", ".npmrc"), or "".
func (s *scanner) scanLogical(line string, n int, bodies [][]physLine, depth int) string {
	cfgFile := ""
	for _, cmd := range splitCommands(line) {
		words := tokenize(cmd)
		if f := s.command(words, line, n, depth); f != "" {
			cfgFile = f
		}
	}
	if cfgFile != "" && len(bodies) == 0 {
		return ""
	}
	return cfgFile
}

// splitCommands splits a logical line at command separators and command
// substitutions, outside quotes; it drops a trailing comment.
func splitCommands(line string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	inSingle, inDouble := false, false
	subst := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && !inSingle && i+1 < len(line):
			cur.WriteByte(c)
			cur.WriteByte(line[i+1])
			i++
		case c == '\'' && !inDouble:
			inSingle = !inSingle
			cur.WriteByte(c)
		case c == '"' && !inSingle:
			inDouble = !inDouble
			cur.WriteByte(c)
		case inSingle:
			cur.WriteByte(c)
		case c == '$' && i+1 < len(line) && line[i+1] == '(' && !strings.HasPrefix(line[i:], "$(("):
			flush()
			subst++
			i++
		case c == '`':
			flush()
		case c == ')' && subst > 0:
			flush()
			subst--
		case inDouble:
			cur.WriteByte(c)
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			flush()
			return out
		case c == ';' || c == '|':
			flush()
			if i+1 < len(line) && line[i+1] == c {
				i++
			}
		case c == '&':
			// &> and >& are redirections, not separators.
			if (i+1 < len(line) && line[i+1] == '>') || (i > 0 && line[i-1] == '>') {
				cur.WriteByte(c)
				continue
			}
			flush()
			if i+1 < len(line) && line[i+1] == '&' {
				i++
			}
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// tokenize splits a command into words, removing quotes. Redirection
// operators become their own words (">", ">>", "<<").
func tokenize(cmd string) []string {
	var words []string
	var cur strings.Builder
	has := false
	flush := func() {
		if has {
			words = append(words, cur.String())
		}
		cur.Reset()
		has = false
	}
	inSingle, inDouble := false, false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case inSingle:
			if c == '\'' {
				inSingle = false
			} else {
				cur.WriteByte(c)
			}
		case inDouble:
			switch {
			case c == '"':
				inDouble = false
			case c == '\\' && i+1 < len(cmd) && strings.ContainsRune(`"\$`+"`", rune(cmd[i+1])):
				i++
				cur.WriteByte(cmd[i])
			default:
				cur.WriteByte(c)
			}
		case c == '\'':
			inSingle, has = true, true
		case c == '"':
			inDouble, has = true, true
		case c == '\\' && i+1 < len(cmd):
			i++
			cur.WriteByte(cmd[i])
			has = true
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '>' || c == '<':
			// digits immediately before (2>) belong to the operator
			if has && isDigits(cur.String()) {
				cur.Reset()
				has = false
			}
			flush()
			op := string(c)
			for i+1 < len(cmd) && (cmd[i+1] == '>' || cmd[i+1] == '<' || cmd[i+1] == '&' || cmd[i+1] == '-') {
				i++
				op += string(cmd[i])
			}
			words = append(words, op)
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	flush()
	return words
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
