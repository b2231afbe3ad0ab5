// Package redact is the one pass that removes secrets from a result before
// any sink sees it: every formatter, the evidence store and Security Hub
// receive what Result leaves. The command line applies it right after the
// engine (scan) or the live surface (audit) and before anything is written.
//
// Two kinds of text are replaced by Marker:
//
//   - values the scanned configuration declares sensitive (Terraform
//     variables with sensitive = true and values passed through sensitive(),
//     CloudFormation NoEcho parameters), collected by the surfaces into
//     model.Set.Sensitive and handed over in finding.Result.Sensitive;
//   - well-known credential shapes wherever they appear: the password of a
//     URL's userinfo, credential-like query parameters (token, password,
//     secret, signature, X-Amz-Credential, ...), Authorization / token /
//     API-key headers, AWS access key IDs and secret keys, GitHub, GitLab
//     and Slack tokens, private key blocks, and password/token options on
//     command lines (--password X, --token=X).
//
// The same pass neutralises control characters (other than newline and
// tab) and Unicode bidirectional overrides in every string, written as
// \u001b and the like: text from a scanned repository cannot move the
// cursor of, recolour or reorder the terminal or CI log that shows a table.
//
// Result walks every string of the result (findings, errors, provenance,
// evidence lines, witnesses) by reflection, so a field added later is
// covered without touching this package. Strings the tool itself authors
// and that never quote scanned content (control IDs, statuses, remediation,
// frameworks, aliases) are left as they are.
package redact

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/sagefence/sagefence/finding"
)

// Marker replaces every redacted secret.
const Marker = "[redacted]"

// minSensitiveLen is the shortest sensitive value replaced inside longer
// text; a shorter one is replaced only where it is a whole field.
const minSensitiveLen = 4

// pattern is one secret shape: the text matching re is rewritten by repl
// (a regexp replacement template keeping the non-secret parts). The
// regular expression runs only on text whose lower case holds one of
// hints, so that the common case (no secret) costs a few substring
// searches.
type pattern struct {
	re    *regexp.Regexp
	repl  string
	hints []string
}

var patterns = []pattern{
	// Private key blocks.
	{regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)`), Marker, []string{"-----begin "}},
	// URL userinfo: scheme://user:password@host keeps the user.
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@'"]*):[^@\s/'"]+@`), "${1}:" + Marker + "@", []string{"://"}},
	// Token-only userinfo: https://TOKEN@github.com.
	{regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([A-Za-z0-9_\-]{20,})@`), "${1}" + Marker + "@", []string{"://"}},
	// Credential-like query parameters and key=value settings.
	{regexp.MustCompile(`(?i)((?:^|[?&;\s"'])(?:[a-z0-9_\-]*(?:token|passw(?:or)?d|passwd|secret|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|auth|credential|signature|sig|session)[a-z0-9_\-]*)=)([^&\s"';\\]+)`), "${1}" + Marker, []string{"="}},
	// Authorization and token headers: -H "Authorization: Bearer x", PRIVATE-TOKEN: x.
	{regexp.MustCompile(`(?i)((?:proxy-)?authorization\s*:\s*(?:bearer|basic|token|digest|aws4-hmac-sha256)?\s*)([^\s"'\\]+[^"'\n\\]*)`), "${1}" + Marker, []string{"authorization"}},
	{regexp.MustCompile(`(?i)((?:x-[a-z0-9\-]*(?:token|key|secret|auth)[a-z0-9\-]*|private-token|job-token|api-key)\s*:\s*)([^\s"'\\]+)`), "${1}" + Marker, []string{"token", "key", "secret", "auth"}},
	// Command-line options carrying a secret: --password X, --token=X, -p X is too ambiguous.
	{regexp.MustCompile(`(?i)((?:^|[\s"'])--?[a-z0-9\-]*(?:password|passwd|token|secret|api-key|apikey|access-key|secret-key)[a-z0-9\-]*(?:=|\s+))([^\s"'\\-][^\s"'\\]*)`), "${1}" + Marker, []string{"pass", "token", "secret", "key"}},
	// AWS access key IDs and secret keys.
	{regexp.MustCompile(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b`), Marker, []string{"akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"}},
	{regexp.MustCompile(`(?i)(aws_?secret_?access_?key\s*[:=]\s*["']?)([A-Za-z0-9/+=]{40})`), "${1}" + Marker, []string{"secret"}},
	// GitHub, GitLab, Slack, npm, PyPI tokens.
	{regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})\b`), Marker, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}},
	{regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-]{20,}\b`), Marker, []string{"glpat-"}},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9\-]{10,}\b`), Marker, []string{"xox"}},
	{regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`), Marker, []string{"npm_"}},
	{regexp.MustCompile(`\bpypi-[A-Za-z0-9_\-]{50,}\b`), Marker, []string{"pypi-"}},
}

// String redacts the secret shapes in s, and the given sensitive values.
func String(s string, sensitive []string) string {
	if s == "" {
		return s
	}
	for _, v := range sensitive {
		if s == v {
			return Marker
		}
	}
	for _, v := range sensitive {
		if len(v) >= minSensitiveLen && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Marker)
		}
	}
	s = neutralise(s)
	var lower string
	for _, p := range patterns {
		if lower == "" {
			lower = strings.ToLower(s)
		}
		for _, h := range p.hints {
			if strings.Contains(lower, h) {
				if r := p.re.ReplaceAllString(s, p.repl); r != s {
					s, lower = r, ""
				}
				break
			}
		}
	}
	return s
}

// neutralise writes control characters and bidirectional formatting
// characters as \uXXXX escapes; newline and tab are kept.
func neutralise(s string) string {
	clean := true
	for _, r := range s {
		if isUnsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isUnsafeRune(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isUnsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// authored are the fields whose text the tool writes itself; they never
// quote scanned content and are not rewritten.
var authored = map[string]bool{
	"ControlID": true, "Status": true, "Severity": true, "Surface": true, "Resolution": true,
	"Remediation": true, "Frameworks": true, "Aliases": true, "Expected": true, "Attribute": true,
	"FormatVersion": true, "Tool": true, "Kind": true, "Outcome": true, "Link": true, "Time": true,
}

// Result redacts every string of res in place, with res.Sensitive as the
// sensitive values (longest first, so that a value containing another is
// replaced whole), and clears res.Sensitive. A streamed result's findings
// (finding.Result.Streamed) are redacted as they are read, after they were
// put in order: the same strings in the same order as a result in memory.
func Result(res *finding.Result) {
	if res == nil {
		return
	}
	if res.Streamed() {
		// Each pass reads every finding again: bound the cache, which
		// would otherwise hold every distinct string of the scan.
		fw := newWalker(res.Sensitive, maxStreamCache)
		res.Rewrite(func(f *finding.Finding) { fw.walk(reflect.ValueOf(f).Elem()) })
	}
	newWalker(res.Sensitive, 0).walk(reflect.ValueOf(res).Elem())
	res.Sensitive = nil
}

// maxStreamCache bounds the strings a streamed result's walker remembers.
const maxStreamCache = 1 << 14

func newWalker(values []string, limit int) *walker {
	sensitive := append([]string(nil), values...)
	sort.Slice(sensitive, func(i, j int) bool { return len(sensitive[i]) > len(sensitive[j]) })
	return &walker{sensitive: sensitive, done: map[string]string{}, limit: limit}
}

// walker redacts a value's strings, remembering each distinct string's
// result (messages and addresses repeat across findings), up to limit
// strings when limit > 0.
type walker struct {
	sensitive []string
	done      map[string]string
	limit     int
}

func (w *walker) string(s string) string {
	if r, ok := w.done[s]; ok {
		return r
	}
	r := String(s, w.sensitive)
	if w.limit > 0 && len(w.done) >= w.limit {
		clear(w.done)
	}
	w.done[s] = r
	return r
}

func (w *walker) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := v.String(); s != "" {
				if r := w.string(s); r != s {
					v.SetString(r)
				}
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() || authored[t.Field(i).Name] {
				continue
			}
			w.walk(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			w.walk(v.Index(i))
		}
	case reflect.Map:
		// Maps of strings cannot be set through reflection in place; rebuild.
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			e := v.MapIndex(k)
			if e.Kind() == reflect.String {
				v.SetMapIndex(k, reflect.ValueOf(w.string(e.String())).Convert(e.Type()))
			}
		}
	}
}
