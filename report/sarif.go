package report

import (
	"fmt"
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
//   - one rule per control of the catalog (and per unknown control ID a
//     finding names), whether it fired or not, with title, rationale, help (text and
//     Markdown), helpUri, defaultConfiguration.level and the properties
//     GitHub reads: security-severity ("8.0" high, "5.0" medium, "2.0"
//     low), tags and precision;
//   - fail: level error (high), warning (medium) or note (low);
//   - suppressed: left out by default, because GitHub code scanning ignores
//     SARIF suppressions and would open an alert for each (counted in
//     runs[0].properties.summary). With IncludeSuppressed they are listed
//     at their level with a suppression (kind inSource for a comment in
//     the file, external for the configuration file) and the reason as
//     justification, and every other result carries "suppressions": [] —
//     SARIF 2.1.0 §3.27.23 wants the property on all results or none;
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
// Locations: with SourceRoot set (the CLI sets the git top level,
// --repo-root, or the working directory), every artifact URI is relative to
// it with uriBaseId "SRCROOT", and originalUriBaseIds gives SRCROOT's
// absolute file: URI, so code scanning places results whatever directory
// was scanned from; relative file paths are resolved against WorkDir.
//
// partialFingerprints["sagefence/v1"] hashes the finding Key (control,
// surface, account, region, address, file and Terraform root — paths from
// SourceRoot when it is set), so it survives line moves and scans from
// other directories.
// Live findings have a logical location (the ARN) and no physical one.
//
// The log is written with local types rather than go-sarif: go-sarif v2.3.3
// serializes a suppression's unset status, location and guid as null, which
// the SARIF 2.1.0 schema rejects.
type SARIF struct {
	// IncludeSuppressed lists suppressed findings (with suppressions on
	// every result); by default they are left out.
	IncludeSuppressed bool
	// SourceRoot is the absolute directory artifact URIs are relative to
	// ("" keeps the paths as reached, an absolute one as a file: URI).
	SourceRoot string
	// WorkDir is the absolute directory relative file paths were reached
	// from; "" means the process's working directory.
	WorkDir string
}

// srcRootID is the uriBaseId of SourceRoot.
const srcRootID = "SRCROOT"

const sarifSchema = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                `json:"tool"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Invocations        []sarifInvocation        `json:"invocations"`
	Results            []sarifResult            `json:"results"`
	Properties         map[string]any           `json:"properties,omitempty"`
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
	RuleID              string              `json:"ruleId"`
	RuleIndex           int                 `json:"ruleIndex"`
	Level               string              `json:"level"`
	Message             sarifText           `json:"message"`
	Locations           []sarifLocation     `json:"locations"`
	RelatedLocations    []sarifLocation     `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string   `json:"partialFingerprints"`
	Suppressions        *[]sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any      `json:"properties"`
}

type sarifLocation struct {
	// ID and Message are set on related locations only.
	ID               int            `json:"id,omitempty"`
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
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

// Format implements Formatter. The results are written one by one as the
// findings are read (a streamed result's are never all in memory): the
// rules, which come first, are taken in a pass over the findings before,
// and the rest of the log around them is encoded whole. The bytes are those
// of json.Encoder on the whole log (TestSARIFStreamMatchesEncoder).
func (s SARIF) Format(w io.Writer, r *finding.Result) error {
	rules, ruleIndex, err := sarifRules(r)
	if err != nil {
		return err
	}
	const runIndent = "      " // the run's keys: log > runs > run
	return streamIntoDocument(w, s.log(r, rules, []sarifResult{}), "results", runIndent, r,
		func(f *finding.Finding) (any, bool) {
			res, ok := s.result(f, ruleIndex)
			return res, ok
		})
}

// result is the SARIF result of a finding, its locations relative to the
// source root; false for a finding the log leaves out (a pass, and a
// suppressed one unless IncludeSuppressed).
func (s SARIF) result(f *finding.Finding, ruleIndex map[string]int) (sarifResult, bool) {
	if f.Status == finding.Pass || (f.Status == finding.Suppressed && !s.IncludeSuppressed) {
		return sarifResult{}, false
	}
	res := sarifResultFor(*f, ruleIndex[f.ControlID])
	res.PartialFingerprints["sagefence/v1"] = rootedFingerprint(*f, s.SourceRoot, s.WorkDir)
	if s.IncludeSuppressed && res.Suppressions == nil {
		res.Suppressions = &[]sarifSuppression{}
	}
	s.relocateAll(res.Locations)
	s.relocateAll(res.RelatedLocations)
	return res, true
}

// log is the whole log with the given rules and results; the locations of
// its notifications are made relative to the source root (the results'
// are already, see result).
func (s SARIF) log(r *finding.Result, rules []sarifRule, results []sarifResult) sarifLog {
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
	s.relocate(&log.Runs[0])
	return log
}

// streamsFindings: SARIF writes each result as it reads its finding
// (StreamsFindings).
func (SARIF) streamsFindings() {}

// sarifRules are the log's rules, with each one's index: every control of
// the catalog in catalog order, then the IDs findings name that the catalog
// does not know, in the order they first come; each at the severity its
// first finding carries (a configuration may override the catalog's), else
// the catalog's.
func sarifRules(r *finding.Result) ([]sarifRule, map[string]int, error) {
	first := map[string]finding.Severity{}
	var unknown []string
	err := r.EachFinding(func(f *finding.Finding) error {
		if _, seen := first[f.ControlID]; !seen {
			first[f.ControlID] = f.Severity
			if _, known := control.Lookup(f.ControlID); !known {
				unknown = append(unknown, f.ControlID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var ids []string
	for _, c := range control.All() {
		ids = append(ids, c.ID)
	}
	ids = append(ids, unknown...)
	rules := make([]sarifRule, 0, len(ids))
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
		sev, seen := first[id]
		if !seen {
			if c, ok := control.Lookup(id); ok {
				sev = finding.Severity(c.Severity)
			}
		}
		rules = append(rules, sarifRuleFor(id, sev))
	}
	return rules, index, nil
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
		res.Suppressions = &[]sarifSuppression{{Kind: kind, Justification: suppressionText(f.Suppression)}}
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{
		Name: f.Resource.Address, FullyQualifiedName: f.Resource.ARN, Kind: "resource",
	}}}
	if f.Location.File != "" {
		loc.PhysicalLocation = physical(f.Location.File, f.Location.StartLine, f.Location.EndLine)
	}
	res.Locations = []sarifLocation{loc}
	res.RelatedLocations = provenanceLocations(f)
	return res
}

// provenanceLocations are the steps of the finding's provenance that are
// written in a file (a variable default, a tfvars line, a module argument,
// a parameter Default), as SARIF related locations: a change that only
// touches a module input or a tfvars file still points at the place.
func provenanceLocations(f finding.Finding) []sarifLocation {
	var out []sarifLocation
	seen := map[string]bool{fmt.Sprintf("%s:%d", f.Location.File, f.Location.StartLine): true}
	for _, s := range f.Provenance {
		k := fmt.Sprintf("%s:%d", s.File, s.Line)
		if s.File == "" || s.Line == 0 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, sarifLocation{ID: len(out) + 1, PhysicalLocation: physical(s.File, s.Line, 0),
			Message: &sarifText{Text: s.Describe()}})
	}
	return out
}

// physical builds a physical location with the file path as reached
// (relocate turns it into a URI) and the line region when known.
func physical(file string, start, end int) *sarifPhysical {
	p := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: file}}
	if start > 0 {
		p.Region = &sarifRegion{StartLine: start}
		if end >= start {
			p.Region.EndLine = end
		}
	}
	return p
}

// relocate turns every physical location's file path into its URI: relative
// to SourceRoot with uriBaseId SRCROOT when it is set, else a relative
// forward-slash URI (an absolute path becomes a file: URI). Every place
// that holds a physical location must go through it or relocateAll (the
// results do, one by one: SARIF.result).
func (s SARIF) relocate(run *sarifRun) {
	if s.SourceRoot != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRootID: {URI: dirURI(s.SourceRoot)}}
	}
	for i := range run.Invocations {
		for j := range run.Invocations[i].ToolExecutionNotifications {
			s.relocateAll(run.Invocations[i].ToolExecutionNotifications[j].Locations)
		}
	}
}

// relocateAll makes the artifact locations of locs relative to the source
// root (see artifact).
func (s SARIF) relocateAll(locs []sarifLocation) {
	for i := range locs {
		if p := locs[i].PhysicalLocation; p != nil {
			p.ArtifactLocation = s.artifact(p.ArtifactLocation.URI)
		}
	}
}

// artifact is the artifact location of a file path as reached.
func (s SARIF) artifact(file string) sarifArtifact {
	if rel, ok := rootRelative(s.SourceRoot, s.WorkDir, file); ok {
		return sarifArtifact{URI: (&url.URL{Path: rel}).EscapedPath(), URIBaseID: srcRootID}
	}
	if filepath.IsAbs(file) {
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()}
	}
	return sarifArtifact{URI: (&url.URL{Path: slashPath(file)}).EscapedPath()}
}

// dirURI is the file: URI of a directory, with the trailing slash SARIF
// requires of a base URI.
func dirURI(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// semver returns v when it looks like a semantic version, else "".
func semver(v string) string {
	v = strings.TrimPrefix(v, "v")
	if parts := strings.SplitN(v, ".", 3); len(parts) == 3 {
		return v
	}
	return ""
}
