package report

import (
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// SARIF writes a SARIF 2.1.0 log that GitHub code scanning accepts.
//
// Mapping (docs/formats.md):
//   - one rule per control present, with title, rationale, help (text and
//     Markdown), helpUri, defaultConfiguration.level and the properties
//     GitHub reads: security-severity ("8.0" high, "5.0" medium, "2.0"
//     low), tags and precision;
//   - fail: level error (high), warning (medium) or note (low);
//   - suppressed: the same level plus a suppression (kind inSource for a
//     comment in the file, external for the configuration file) with the
//     reason as justification, so viewers show it as dismissed;
//   - unknown: level warning with properties.status "unknown" and the
//     message prefixed "Could not decide:". SARIF's kind "review" would
//     say it literally but forces level "none", the lowest rank in code
//     scanning; an unknown must stay as visible as a real problem;
//   - pass: not listed — SARIF results are problems, and code scanning
//     closes an alert when its result disappears; the counts are in
//     runs[0].properties.summary;
//   - input errors: invocations[0].toolExecutionNotifications, and
//     executionSuccessful false;
//   - gaps (what could not be looked at, once per cause): notifications of
//     level warning with the gap's kind as descriptor and its fields in
//     properties; they do not make the execution unsuccessful.
//
// partialFingerprints["sagefence/v1"] hashes the finding Key (control,
// surface, account, region, address, file), so it survives line moves.
// Live findings have a logical location (the ARN) and no physical one.
//
// The log is written with local types rather than go-sarif: go-sarif v2.3.3
// serializes a suppression's unset status, location and guid as null, which
// the SARIF 2.1.0 schema rejects.
type SARIF struct{}

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string           `json:"id"`
	Name                 string           `json:"name,omitempty"`
	ShortDescription     sarifText        `json:"shortDescription"`
	FullDescription      sarifText        `json:"fullDescription"`
	Help                 sarifText        `json:"help"`
	HelpURI              string           `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleDefault `json:"defaultConfiguration"`
	Properties           map[string]any   `json:"properties"`
}

type sarifRuleDefault struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string              `json:"level"`
	Message    sarifText           `json:"message"`
	Locations  []sarifLocation     `json:"locations,omitempty"`
	Descriptor *sarifDescriptorRef `json:"descriptor,omitempty"`
	Properties map[string]any      `json:"properties,omitempty"`
}

type sarifDescriptorRef struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// sarifLevel maps a control severity to a SARIF level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's numeric severity: critical ≥ 9.0, high ≥ 7.0,
// medium ≥ 4.0, low > 0.
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.0"
	}
	return "2.0"
}

// problemSeverity is the older code-scanning property for non-security rules.
func problemSeverity(s finding.Severity) string {
	switch s {
	case finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "recommendation"
}

// Format implements Formatter.
func (SARIF) Format(w io.Writer, r *finding.Result) error {
	ids := controlOrder(r.Findings)
	ruleIndex := map[string]int{}
	rules := make([]sarifRule, 0, len(ids))
	for i, id := range ids {
		ruleIndex[id] = i
		rules = append(rules, sarifRuleFor(id, severityOf(r.Findings, id)))
	}
	results := []sarifResult{}
	for _, f := range r.Findings {
		if f.Status == finding.Pass {
			continue
		}
		results = append(results, sarifResultFor(f, ruleIndex[f.ControlID]))
	}
	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: e.Error()}}
		if e.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: physical(e.File, e.Line, 0)}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, g := range r.Gaps {
		n := sarifNotification{Level: "warning", Message: sarifText{Text: "Not checked: " + gapLine(g)},
			Descriptor: &sarifDescriptorRef{ID: string(g.Kind)}, Properties: map[string]any{"gap": g}}
		if g.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: physical(g.File, g.Line, 0)}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	props := map[string]any{"summary": r.Summary}
	if r.Scope != nil {
		props["scope"] = r.Scope
	}
	if r.Baseline != nil {
		props["baseline"] = r.Baseline
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name: r.Tool.Name, Version: r.Tool.Version, SemanticVersion: semver(r.Tool.Version),
				InformationURI: "https://github.com/sagefence/sagefence",
				Rules:          rules,
			}},
			Invocations: []sarifInvocation{inv},
			Results:     results,
			Properties:  props,
		}},
	}
	if log.Runs[0].Tool.Driver.Name == "" {
		log.Runs[0].Tool.Driver.Name = "sagefence"
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// severityOf is the severity findings of a control carry (a configuration
// override may differ from the catalog's).
func severityOf(fs []finding.Finding, id string) finding.Severity {
	for _, f := range fs {
		if f.ControlID == id {
			return f.Severity
		}
	}
	return ""
}

func sarifRuleFor(id string, sev finding.Severity) sarifRule {
	rule := sarifRule{
		ID:                   id,
		ShortDescription:     sarifText{Text: id},
		FullDescription:      sarifText{Text: id},
		Help:                 sarifText{Text: id},
		DefaultConfiguration: sarifRuleDefault{Level: sarifLevel(sev)},
		Properties: map[string]any{
			"security-severity": securitySeverity(sev),
			"problem.severity":  problemSeverity(sev),
			"precision":         "very-high",
			"tags":              []string{"security", "sagemaker"},
		},
	}
	c, ok := control.Lookup(id)
	if !ok {
		return rule
	}
	rule.Name = ruleName(c.ID)
	rule.ShortDescription = sarifText{Text: c.Title}
	rule.FullDescription = sarifText{Text: c.Rationale}
	rule.Help = sarifText{Text: helpText(&c.Doc), Markdown: helpMarkdown(&c.Doc)}
	rule.HelpURI = c.HelpURI
	tags := []string{"security", "sagemaker"}
	if c.Kind != "" && c.Kind != "security" {
		tags = append(tags, c.Kind)
	}
	for _, fw := range c.Frameworks {
		tags = append(tags, fw.Framework)
	}
	rule.Properties["tags"] = tags
	rule.Properties["aliases"] = c.AliasIDs()
	return rule
}

// ruleName is the PascalCase form SARIF suggests for rule names.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func helpText(d *control.Doc) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n\n" + d.Rationale + "\n")
	if d.Checks != "" {
		b.WriteString("\n" + d.Checks + "\n")
	}
	if fix := d.Remediation.Generic; fix != "" {
		b.WriteString("\nFix: " + fix + "\n")
	}
	if refs := frameworkRefs(d.Frameworks); len(refs) > 0 {
		b.WriteString("\nFrameworks: " + strings.Join(refs, ", ") + "\n")
	}
	return b.String()
}

func helpMarkdown(d *control.Doc) string {
	var b strings.Builder
	b.WriteString("## " + d.Title + "\n\n" + d.Rationale + "\n")
	if d.Checks != "" {
		b.WriteString("\n### What is checked\n\n" + d.Checks + "\n")
	}
	if fix := d.Remediation.Generic; fix != "" {
		b.WriteString("\n### Fix\n\n" + fix + "\n")
	}
	if ex, ok := d.Example["terraform"]; ok {
		b.WriteString("\n```hcl\n" + strings.TrimRight(ex, "\n") + "\n```\n")
	}
	if refs := frameworkRefs(d.Frameworks); len(refs) > 0 {
		b.WriteString("\n### Frameworks\n\n")
		for _, r := range refs {
			b.WriteString("- " + r + "\n")
		}
	}
	if d.HelpURI != "" {
		b.WriteString("\n[AWS documentation](" + d.HelpURI + ")\n")
	}
	return b.String()
}

func sarifResultFor(f finding.Finding, ruleIndex int) sarifResult {
	msg := f.Message
	if msg == "" {
		msg = controlTitle(f.ControlID)
	}
	res := sarifResult{
		RuleID:              f.ControlID,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: msg},
		PartialFingerprints: map[string]string{"sagefence/v1": fingerprint(f)},
		Properties: map[string]any{
			"status":     string(f.Status),
			"surface":    f.Surface,
			"resolution": string(f.Resolution),
			"address":    f.Resource.Address,
		},
	}
	if f.Observed != nil {
		res.Properties["observed"] = *f.Observed
	}
	if f.Attribute != "" {
		res.Properties["attribute"] = f.Attribute
	}
	for k, v := range map[string]string{"account": f.Resource.Account, "region": f.Resource.Region, "arn": f.Resource.ARN} {
		if v != "" {
			res.Properties[k] = v
		}
	}
	if f.Status == finding.Unknown {
		res.Level = "warning"
		res.Message.Text = "Could not decide: " + msg
	}
	if f.Status == finding.Suppressed && f.Suppression != nil {
		kind := "inSource"
		if f.Suppression.Source == "config" {
			kind = "external"
		}
		res.Suppressions = []sarifSuppression{{Kind: kind, Justification: suppressionText(f.Suppression)}}
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{
		Name: f.Resource.Address, FullyQualifiedName: f.Resource.ARN, Kind: "resource",
	}}}
	if f.Location.File != "" {
		loc.PhysicalLocation = physical(f.Location.File, f.Location.StartLine, f.Location.EndLine)
	}
	res.Locations = []sarifLocation{loc}
	return res
}

// physical builds a physical location: a relative forward-slash URI (an
// absolute path becomes a file: URI) and the line region when known.
func physical(file string, start, end int) *sarifPhysical {
	uri := slashPath(file)
	if filepath.IsAbs(file) {
		uri = (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	} else {
		uri = (&url.URL{Path: uri}).EscapedPath()
	}
	p := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}
	if start > 0 {
		p.Region = &sarifRegion{StartLine: start}
		if end >= start {
			p.Region.EndLine = end
		}
	}
	return p
}

// semver returns v when it looks like a semantic version, else "".
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if parts := strings.SplitN(v, ".", 3); len(parts) == 3 {
		return v
	}
	return ""
}
