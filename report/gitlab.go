package report

import (
	"io"
	"strings"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// GitLabSAST writes a GitLab SAST security report (the JSON GitLab reads
// from `artifacts: reports: sast:`, schema version 15.0.7): one
// vulnerability per fail and per unknown (whose name starts "Could not
// decide:", as in SARIF), suppressed findings and passes left out.
//
//   - id: a UUID derived from the finding's fingerprint, stable across runs;
//   - category "sast"; name: the control's title; description: the
//     verdict's message; solution: the remediation;
//   - severity: High, Medium or Low (the control's);
//   - location: file (relative to SourceRoot, as for SARIF), start_line,
//     end_line; live findings (audit) have no file;
//   - identifiers: the control ID (type sagefence_control) and each alias
//     with its tool (type "checkov", "security_hub", ...);
//   - scan: analyzer and scanner sagefence, type sast, status success (or
//     failure when inputs could not be read; each error is a scan message),
//     start_time and end_time from the result's scope time.
type GitLabSAST struct {
	SourceRoot, WorkDir string
}

// GitLabCodeQuality writes a GitLab Code Quality report (the Code Climate
// issue array GitLab reads from `artifacts: reports: codequality:`): one
// issue per fail and unknown, with description, check_name (the control
// ID), fingerprint, severity (high critical, medium major, low minor) and
// location.path / location.lines.begin. A live finding has no file: its
// path is "aws/ACCOUNT/REGION/NAME".
type GitLabCodeQuality struct {
	SourceRoot, WorkDir string
}

const gitlabSASTVersion = "15.0.7"

type glVendor struct {
	Name string `json:"name"`
}

type glTool struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Vendor  glVendor `json:"vendor"`
	URL     string   `json:"url,omitempty"`
}

type glIdentifier struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

type glLocation struct {
	File      string `json:"file,omitempty"`
	StartLine int    `json:"start_line,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
}

type glVulnerability struct {
	ID          string         `json:"id"`
	Category    string         `json:"category"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Severity    string         `json:"severity"`
	Solution    string         `json:"solution,omitempty"`
	Location    glLocation     `json:"location"`
	Identifiers []glIdentifier `json:"identifiers"`
}

type glMessage struct {
	Level string `json:"level"`
	Value string `json:"value"`
}

type glScan struct {
	Analyzer  glTool      `json:"analyzer"`
	Scanner   glTool      `json:"scanner"`
	Type      string      `json:"type"`
	StartTime string      `json:"start_time"`
	EndTime   string      `json:"end_time"`
	Status    string      `json:"status"`
	Messages  []glMessage `json:"messages,omitempty"`
}

type glSASTReport struct {
	Version         string            `json:"version"`
	Vulnerabilities []glVulnerability `json:"vulnerabilities"`
	Scan            glScan            `json:"scan"`
}

// isReported says whether GitLab reports list a finding: fails and
// unknowns.
func isReported(f *finding.Finding) bool {
	return f.Status == finding.Fail || f.Status == finding.Unknown
}

// gitlabTime is the scan time in GitLab's format (UTC, no zone suffix).
func gitlabTime(r *finding.Result) string {
	t := time.Unix(0, 0).UTC()
	if r.Scope != nil {
		if parsed, err := time.Parse(time.RFC3339, r.Scope.Time); err == nil {
			t = parsed.UTC()
		}
	}
	return t.Format("2006-01-02T15:04:05")
}

// findingPath is the file a GitLab report names: relative to the source
// root when one is set.
func findingPath(root, wd string, f finding.Finding) string {
	if f.Location.File == "" {
		return ""
	}
	if rel, ok := rootRelative(root, wd, f.Location.File); ok {
		return rel
	}
	return slashPath(f.Location.File)
}

func findingName(f finding.Finding) string {
	name := controlTitle(f.ControlID)
	if f.Status == finding.Unknown {
		name = "Could not decide: " + name
	}
	return name
}

func findingMessage(f finding.Finding) string {
	if f.Message != "" {
		return f.Message
	}
	return controlTitle(f.ControlID)
}

// Format implements Formatter. The vulnerabilities are written as the
// findings are read (StreamsFindings) into the report encoded around them,
// in the bytes json.Encoder would give the whole report.
func (g GitLabSAST) Format(w io.Writer, r *finding.Result) error {
	tool := glTool{ID: "sagefence", Name: "sagefence", Version: r.Tool.Version, Vendor: glVendor{Name: "sagefence"},
		URL: "https://github.com/sagefence/sagefence"}
	if tool.Version == "" {
		tool.Version = "unknown"
	}
	when := gitlabTime(r)
	rep := glSASTReport{
		Version:         gitlabSASTVersion,
		Vulnerabilities: []glVulnerability{},
		Scan:            glScan{Analyzer: tool, Scanner: tool, Type: "sast", StartTime: when, EndTime: when, Status: "success"},
	}
	for _, e := range r.Errors {
		rep.Scan.Status = "failure"
		rep.Scan.Messages = append(rep.Scan.Messages, glMessage{Level: "error", Value: e.Error()})
	}
	return streamIntoDocument(w, rep, "vulnerabilities", jsonIndent, r, func(f *finding.Finding) (any, bool) {
		if !isReported(f) {
			return nil, false
		}
		return g.vulnerability(*f), true
	})
}

// streamsFindings: GitLabSAST writes each vulnerability as it reads its
// finding (StreamsFindings).
func (GitLabSAST) streamsFindings() {}

func (g GitLabSAST) vulnerability(f finding.Finding) glVulnerability {
	fp := rootedFingerprint(f, g.SourceRoot, g.WorkDir)
	v := glVulnerability{
		ID: uuidFromHex(fp), Category: "sast", Name: findingName(f), Description: findingMessage(f),
		Severity: gitlabSeverity(f.Severity), Solution: f.Remediation,
		Location:    glLocation{File: findingPath(g.SourceRoot, g.WorkDir, f), StartLine: f.Location.StartLine, EndLine: f.Location.EndLine},
		Identifiers: []glIdentifier{{Type: "sagefence_control", Name: "sagefence " + f.ControlID, Value: f.ControlID}},
	}
	if v.Location.EndLine < v.Location.StartLine {
		v.Location.EndLine = 0
	}
	if c, ok := control.Lookup(f.ControlID); ok {
		for _, a := range c.Aliases {
			v.Identifiers = append(v.Identifiers, glIdentifier{Type: identifierType(a.Tool), Name: a.Tool + " " + a.ID, Value: a.ID})
		}
	}
	return v
}

// gitlabSeverity is the SAST report's severity.
func gitlabSeverity(s finding.Severity) string {
	switch s {
	case finding.High:
		return "High"
	case finding.Medium:
		return "Medium"
	case finding.Low:
		return "Low"
	}
	return "Unknown"
}

// identifierType turns a tool name into an identifier type: "Security
// Hub" -> "security_hub".
func identifierType(tool string) string {
	return strings.ToLower(strings.NewReplacer(" ", "_", "-", "_", ".", "_").Replace(tool))
}

// uuidFromHex shapes 32 hex digits as a UUID (8-4-4-4-12).
func uuidFromHex(h string) string {
	h = (h + strings.Repeat("0", 32))[:32]
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

type cqLines struct {
	Begin int `json:"begin"`
}

type cqLocation struct {
	Path  string  `json:"path"`
	Lines cqLines `json:"lines"`
}

type cqIssue struct {
	Description string     `json:"description"`
	CheckName   string     `json:"check_name"`
	Fingerprint string     `json:"fingerprint"`
	Severity    string     `json:"severity"`
	Location    cqLocation `json:"location"`
}

// Format implements Formatter. The issues are written as the findings are
// read (StreamsFindings), in the bytes json.Encoder would give the array.
func (g GitLabCodeQuality) Format(w io.Writer, r *finding.Result) error {
	s := newJSONStream(w)
	streamArray(s, r, "", func(f *finding.Finding) (any, bool) {
		if !isReported(f) {
			return nil, false
		}
		return g.issue(*f), true
	})
	s.raw("\n")
	return s.flush()
}

// streamsFindings: GitLabCodeQuality writes each issue as it reads its
// finding (StreamsFindings).
func (GitLabCodeQuality) streamsFindings() {}

func (g GitLabCodeQuality) issue(f finding.Finding) cqIssue {
	path := findingPath(g.SourceRoot, g.WorkDir, f)
	fp := rootedFingerprint(f, g.SourceRoot, g.WorkDir)
	if path == "" {
		path = "aws/" + f.Resource.Account + "/" + f.Resource.Region + "/" + f.Resource.Address
	}
	line := f.Location.StartLine
	if line < 1 {
		line = 1
	}
	return cqIssue{
		Description: findingName(f) + ": " + findingMessage(f) + " (" + f.Resource.Address + ")",
		CheckName:   f.ControlID,
		Fingerprint: fp,
		Severity:    codeQualitySeverity(f.Severity),
		Location:    cqLocation{Path: path, Lines: cqLines{Begin: line}},
	}
}

func codeQualitySeverity(s finding.Severity) string {
	switch s {
	case finding.High:
		return "critical"
	case finding.Medium:
		return "major"
	case finding.Low:
		return "minor"
	}
	return "info"
}
