package terraform

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/sagefence/sagefence/model"
)

// Suppression comment forms (see the package documentation).
var (
	checkovSkip   = regexp.MustCompile(`checkov:skip=([A-Za-z0-9_.\-]+)(?::(.*))?`)
	trivyIgnore   = regexp.MustCompile(`(trivy|tfsec):ignore:([A-Za-z0-9_.\-]+)((?::[A-Za-z]+:[^:\s]+)*)`)
	sagefenceForm = regexp.MustCompile(`sagefence:ignore\s+(\S+)(.*)`)
	untilField    = regexp.MustCompile(`^\s*until=(\S*)`)
)

// suppressionsFor reads the suppression comments of a block: the contiguous
// comment lines directly above it and every line inside it. Malformed dates
// are recorded as errors of the module. The file is split into lines once
// (parsedFile.lines), so the work over all blocks of a file is linear in its
// size.
func (d *moduleDef) suppressionsFor(pf *parsedFile, rng hcl.Range) []model.Suppression {
	if pf.json || rng.Start.Line == 0 || !pf.mayHoldSuppressions() {
		return nil
	}
	lines := pf.lines()
	start, end := rng.Start.Line-1, rng.End.Line-1
	if end >= len(lines) {
		end = len(lines) - 1
	}
	for start > 0 && isCommentLine(lines[start-1]) {
		start--
	}
	var out []model.Suppression
	for i := start; i <= end && i >= 0; i++ {
		if !mayHoldComment(lines[i]) {
			continue
		}
		sups, errs := parseSuppressions(string(lines[i]), pf.path, i+1)
		out = append(out, sups...)
		d.parseErrs = append(d.parseErrs, errs...)
	}
	return out
}

// suppressionMarkers are in every suppression form (checkov:skip=,
// trivy:ignore:, tfsec:ignore:, sagefence:ignore): a file without any of
// them suppresses nothing, and its lines need not be read.
var suppressionMarkers = [][]byte{[]byte(":skip="), []byte(":ignore")}

// mayHoldSuppressions reports whether the file holds a suppression
// marker, looked up once.
func (pf *parsedFile) mayHoldSuppressions() bool {
	if pf.suppressible == 0 {
		pf.suppressible = 2
		for _, m := range suppressionMarkers {
			if bytes.Contains(pf.bytes, m) {
				pf.suppressible = 1
				break
			}
		}
	}
	return pf.suppressible == 1
}

// lines returns the file's lines, split once and kept.
func (pf *parsedFile) lines() [][]byte {
	if pf.lineCache == nil {
		pf.lineCache = bytes.Split(pf.bytes, []byte("\n"))
	}
	return pf.lineCache
}

// mayHoldComment reports whether a line has a comment marker (# // /*);
// only such lines can suppress.
func mayHoldComment(l []byte) bool {
	return bytes.IndexByte(l, '#') >= 0 || bytes.Contains(l, []byte("//")) || bytes.Contains(l, []byte("/*"))
}

func isCommentLine(l []byte) bool {
	t := bytes.TrimSpace(l)
	return bytes.HasPrefix(t, []byte("#")) || bytes.HasPrefix(t, []byte("//")) || bytes.HasPrefix(t, []byte("/*")) || bytes.HasPrefix(t, []byte("*"))
}

// parseSuppressions reads every suppression on one source line.
func parseSuppressions(line, file string, lineNo int) ([]model.Suppression, []model.Error) {
	comment := commentText(line)
	if comment == "" {
		return nil, nil
	}
	rng := model.Range{File: file, StartLine: lineNo, EndLine: lineNo}
	var out []model.Suppression
	var errs []model.Error
	bad := func(msg string) { errs = append(errs, model.Error{File: file, Line: lineNo, Message: msg}) }
	for _, m := range checkovSkip.FindAllStringSubmatch(comment, -1) {
		out = append(out, model.Suppression{Source: "checkov", IDs: []string{m[1]}, Reason: strings.TrimSpace(m[2]), Range: rng})
	}
	for _, m := range trivyIgnore.FindAllStringSubmatch(comment, -1) {
		s := model.Suppression{Source: m[1], IDs: []string{m[2]}, Range: rng}
		fields := strings.Split(strings.TrimPrefix(m[3], ":"), ":")
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "exp" {
				if !validDate(fields[i+1]) {
					bad(fmt.Sprintf("%s:ignore expiry %q is not a date (YYYY-MM-DD)", m[1], fields[i+1]))
					continue
				}
				s.Expires = fields[i+1]
			}
		}
		out = append(out, s)
	}
	if m := sagefenceForm.FindStringSubmatch(comment); m != nil {
		s := model.Suppression{Source: "sagefence", Range: rng}
		for _, id := range strings.Split(m[1], ",") {
			if id = strings.TrimSpace(id); id != "" {
				s.IDs = append(s.IDs, id)
			}
		}
		rest := m[2]
		if u := untilField.FindStringSubmatch(rest); u != nil {
			if !validDate(u[1]) {
				bad(fmt.Sprintf("sagefence:ignore until=%q is not a date (YYYY-MM-DD)", u[1]))
				return out, errs
			}
			s.Expires = u[1]
			rest = rest[len(u[0]):]
		}
		s.Reason = strings.TrimSpace(rest)
		out = append(out, s)
	}
	return out, errs
}

// commentText returns the comment part of a line ("" when there is none).
func commentText(line string) string {
	for _, marker := range []string{"#", "//", "/*"} {
		if i := strings.Index(line, marker); i >= 0 {
			return strings.TrimSuffix(strings.TrimSpace(line[i+len(marker):]), "*/")
		}
	}
	return ""
}

func validDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}
