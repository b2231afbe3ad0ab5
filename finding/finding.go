// Package finding defines the result of a scan or audit: the findings, the
// errors and the summary, in the shape of the JSON contract (OUTPUT.md). Every
// report format renders a *Result; the JSON format is its direct encoding.
package finding

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/model"
)

// FormatVersion is the JSON contract version; bump the minor on additions.
const FormatVersion = "1.4"

// Status of one control on one resource.
type Status string

const (
	Fail       Status = "fail"
	Pass       Status = "pass"
	Unknown    Status = "unknown"
	Suppressed Status = "suppressed"
)

// Severity of a control.
type Severity string

const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Rank orders severities: high 3, medium 2, low 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// Resource identifies what a finding is about.
type Resource struct {
	Type    string `json:"type"`
	Address string `json:"address"`
	Name    string `json:"name"`
	ARN     string `json:"arn"`
	Region  string `json:"region"`
	Account string `json:"account"`
	Path    string `json:"path,omitempty"`
	Stack   string `json:"stack,omitempty"`
	// Root is the Terraform root module's directory as reached from the
	// scanned argument; added in format 1.2.
	Root string `json:"root,omitempty"`
}

// Location is where the resource is written; empty for live resources.
type Location struct {
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// Framework is one compliance framework mapping.
type Framework struct {
	Framework string   `json:"framework"`
	IDs       []string `json:"ids"`
}

// Finding is one control evaluated on one resource.
type Finding struct {
	ControlID string   `json:"control_id"`
	Status    Status   `json:"status"`
	Severity  Severity `json:"severity"`
	Surface   string   `json:"surface"`
	Resource  Resource `json:"resource"`
	Location  Location `json:"location"`
	Attribute string   `json:"attribute"`
	// Observed is the resolved value, nil when unknown.
	Observed   *string          `json:"observed"`
	Expected   string           `json:"expected"`
	Resolution model.Resolution `json:"resolution"`
	// Provenance is where the observed value came from (variables, tfvars,
	// module arguments, parameters), step by step; absent for a literal
	// written in the attribute and for omitted values. Added in format 1.2.
	Provenance []ProvenanceStep `json:"provenance,omitempty"`
	Message    string           `json:"message"`
	// Evidence lists the facts the verdict rests on, one line each (script
	// lines, routes, rules); optional.
	Evidence    []string           `json:"evidence,omitempty"`
	Remediation string             `json:"remediation"`
	Frameworks  []Framework        `json:"frameworks"`
	Aliases     []string           `json:"aliases"`
	Suppression *model.Suppression `json:"suppression,omitempty"`
	// Replacement is true when fixing this finding destroys and recreates the resource.
	Replacement bool `json:"replacement,omitempty"`
	// Witnesses are what AWS services themselves say about the same resource
	// and control (audit --witnesses); added in format 1.3. Absent without
	// --witnesses.
	Witnesses []Witness `json:"witnesses,omitempty"`
}

// Witness is one AWS service's own verdict on a finding's resource and
// control: an AWS Config rule evaluation or a Security Hub control finding.
// A witness never changes the finding's Status; it corroborates it (Agrees)
// or is reported as a disagreement or an evidence gap (Outcome).
type Witness struct {
	// Source is "aws-config" or "security-hub".
	Source string `json:"source"`
	// Rule is the Config rule name (or the managed rule identifier when no
	// rule is deployed) or the Security Hub control ID (SageMaker.1).
	Rule string `json:"rule"`
	// Status is the witness's own word: COMPLIANT, NON_COMPLIANT,
	// NOT_APPLICABLE, INSUFFICIENT_DATA (Config); PASSED, FAILED, WARNING,
	// NOT_AVAILABLE (Security Hub); or NOT_DEPLOYED, NOT_ENABLED,
	// CONTROL_NOT_ENABLED, NO_RESULT, NO_FINDING, ERROR when the witness has
	// nothing to say (see Outcome).
	Status string `json:"status"`
	// Evaluated is when the witness last evaluated the resource (RFC 3339
	// UTC), "" when it never did.
	Evaluated string `json:"evaluated"`
	// Agrees is true only when the witness decided the same way as the
	// finding (COMPLIANT/PASSED on a pass, NON_COMPLIANT/FAILED on a fail).
	Agrees bool `json:"agrees"`
	// Outcome classifies the comparison: agrees, disagrees, not_enabled (the
	// rule or control is not deployed there: an evidence gap), not_evaluated
	// (the witness does not know the resource), inconclusive (one side did
	// not decide), error (the witness could not be read).
	Outcome string `json:"outcome"`
	// Note explains the outcome in one sentence.
	Note string `json:"note"`
	// Link opens the rule or control in the AWS console.
	Link string `json:"link"`
	// WorkflowStatus and RecordState are the Security Hub finding's
	// (NEW|NOTIFIED|RESOLVED|SUPPRESSED, ACTIVE|ARCHIVED).
	WorkflowStatus string `json:"workflow_status,omitempty"`
	RecordState    string `json:"record_state,omitempty"`
}

// Summary counts findings by status and errors.
type Summary struct {
	Fail       int `json:"fail"`
	Pass       int `json:"pass"`
	Unknown    int `json:"unknown"`
	Suppressed int `json:"suppressed"`
	Errors     int `json:"errors"`
	// Gaps counts Result.Gaps; added in format 1.2.
	Gaps int `json:"gaps"`
}

// Tool names the producer.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Scope records what was scanned, for evidence.
type Scope struct {
	Command  string   `json:"command"`
	Paths    []string `json:"paths,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
	Regions  []string `json:"regions,omitempty"`
	// Time is RFC 3339 UTC.
	Time string `json:"time"`
	// Config is the configuration file the run applied (.sagefence.yaml
	// found by discovery, or --config); null when none.
	Config *string `json:"config"`
}

// Result is the whole output of one run.
type Result struct {
	FormatVersion string        `json:"format_version"`
	Tool          Tool          `json:"tool"`
	Scope         *Scope        `json:"scope,omitempty"`
	Summary       Summary       `json:"summary"`
	Findings      []Finding     `json:"findings"`
	Errors        []model.Error `json:"errors"`
	// Gaps are what the scan could not look at, once per cause; added in
	// format 1.2. Never nil after Finalize.
	Gaps []Gap `json:"gaps"`
	// Baseline is set when fails were compared with a previous result
	// (--baseline); added in format 1.1.
	Baseline *Baseline `json:"baseline,omitempty"`
	// Sensitive are the values the scanned configuration declares sensitive
	// (model.Set.Sensitive of every set). Never serialised: package redact
	// replaces them in every string of the result, then clears the list.
	Sensitive []string `json:"-"`

	// gapIndex maps each listed gap's identity to its index in Gaps (AddGap).
	gapIndex map[string]int
	// store holds the findings instead of Findings when the result is
	// streamed (UseStore, stream.go).
	store *Store
}

// Baseline records a comparison with a previous result: the fails whose Key
// was already failing there were removed from Findings and are only counted.
type Baseline struct {
	// File is the baseline result the run was compared with.
	File string `json:"file"`
	// MatchedFails is the number of fails left out because the baseline
	// already had them failing.
	MatchedFails int `json:"matched_fails"`
}

// Finalize sorts findings and errors into a stable order, replaces nil slices
// with empty ones and recomputes the summary. A streamed result's store
// keeps its findings in order and counts them itself.
func (r *Result) Finalize() {
	if r.Findings == nil && r.store == nil {
		r.Findings = []Finding{}
	}
	if r.Errors == nil {
		r.Errors = []model.Error{}
	}
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}
	for i := range r.Gaps {
		if r.Gaps[i].Hides == nil {
			r.Gaps[i].Hides = []string{}
		}
		if r.Gaps[i].Controls == nil {
			r.Gaps[i].Controls = []string{}
		}
	}
	sort.SliceStable(r.Gaps, func(i, j int) bool { return r.Gaps[i].less(&r.Gaps[j]) })
	r.gapIndex = nil
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.Frameworks == nil {
			f.Frameworks = []Framework{}
		}
		if f.Aliases == nil {
			f.Aliases = []string{}
		}
	}
	sort.SliceStable(r.Findings, func(i, j int) bool { return Less(r.Findings[i], r.Findings[j]) })
	sort.SliceStable(r.Errors, func(i, j int) bool {
		a, b := r.Errors[i], r.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Message < b.Message
	})
	if r.store != nil {
		r.Summary = r.store.Counts()
		r.Summary.Errors = len(r.Errors)
	} else {
		r.Summary = Summarize(r.Findings, len(r.Errors))
	}
	r.Summary.Gaps = len(r.Gaps)
}

// Summarize counts findings by status.
func Summarize(fs []Finding, errors int) Summary {
	s := Summary{Errors: errors}
	for _, f := range fs {
		switch f.Status {
		case Fail:
			s.Fail++
		case Pass:
			s.Pass++
		case Unknown:
			s.Unknown++
		case Suppressed:
			s.Suppressed++
		}
	}
	return s
}

// Less orders findings by file, line, account, region, address, control.
func Less(a, b Finding) bool {
	if a.Location.File != b.Location.File {
		return a.Location.File < b.Location.File
	}
	if a.Location.StartLine != b.Location.StartLine {
		return a.Location.StartLine < b.Location.StartLine
	}
	if a.Resource.Account != b.Resource.Account {
		return a.Resource.Account < b.Resource.Account
	}
	if a.Resource.Region != b.Resource.Region {
		return a.Resource.Region < b.Resource.Region
	}
	if a.Resource.Address != b.Resource.Address {
		return a.Resource.Address < b.Resource.Address
	}
	return a.ControlID < b.ControlID
}

// Key identifies a finding across runs (baselines, fingerprints, evidence
// history): control, surface, account, region, address and file, and the
// Terraform root when there is one (the same module reached from two roots
// is two findings).
func (f Finding) Key() string {
	k := f.LegacyKey()
	if f.Resource.Root != "" {
		k += "|root=" + f.Resource.Root
	}
	return k
}

// LegacyKey is Key without the root, as results before format 1.4 (which
// had no resource.root) computed it; baselines written then match by it.
func (f Finding) LegacyKey() string {
	return f.ControlID + "|" + f.Surface + "|" + f.Resource.Account + "|" + f.Resource.Region + "|" + f.Resource.Address + "|" + f.Location.File
}

// Gap is one scope a run could not look at (a module not on disk, a count
// unknown before apply, a region that could not be read), reported once per
// cause instead of as one unknown finding per control (OUTPUT.md, format 1.2).
type Gap struct {
	// Kind is module_not_downloaded, unknown_count, unknown_for_each,
	// input_unreadable, outside_scan_root, region_unreachable or access_denied.
	Kind    model.GapKind `json:"kind"`
	Surface string        `json:"surface"`
	// Address is the module call, resource or scope ("region eu-west-1").
	Address string `json:"address"`
	// Root is the Terraform root module's directory, as in Resource.Root.
	Root    string `json:"root,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
	// Source and Version are a module call's source and version constraint.
	Source  string `json:"source,omitempty"`
	Version string `json:"version,omitempty"`
	// Hides are the resource types the scope may hold, as the surface names them.
	Hides []string `json:"hides"`
	// Controls are the selected controls that read what the gap hides.
	Controls []string `json:"controls"`
	// Severity is the highest severity among Controls.
	Severity Severity `json:"severity"`
	Reason   string   `json:"reason"`
	Hint     string   `json:"hint,omitempty"`
}

// Where renders the gap's place: file:line, else account/region, else the address.
func (g Gap) Where() string {
	switch {
	case g.File != "" && g.Line > 0:
		return fmt.Sprintf("%s:%d", g.File, g.Line)
	case g.File != "":
		return g.File
	case g.Account != "" || g.Region != "":
		return strings.Trim(g.Account+"/"+g.Region, "/")
	}
	return g.Address
}

// identity is what makes two gaps the same cause.
func (g Gap) identity() string {
	return strings.Join([]string{string(g.Kind), g.Surface, g.Root, g.Account, g.Region, g.Address, g.File, strconv.Itoa(g.Line)}, "|")
}

// less orders gaps by file, line, then identity; it takes pointers, a Gap
// being a dozen strings.
func (g *Gap) less(o *Gap) bool {
	if g.File != o.File {
		return g.File < o.File
	}
	if g.Line != o.Line {
		return g.Line < o.Line
	}
	return g.identity() < o.identity()
}

// AddGap appends g unless the same cause (kind, place, root, address) is
// already listed; then the controls of both are merged. It keeps an index of
// the causes listed, so adding n gaps costs O(n); the index is rebuilt when
// Gaps was changed other than through AddGap.
func (r *Result) AddGap(g Gap) {
	if r.gapIndex == nil || len(r.gapIndex) != len(r.Gaps) {
		r.gapIndex = make(map[string]int, len(r.Gaps))
		for i := range r.Gaps {
			r.gapIndex[r.Gaps[i].identity()] = i
		}
	}
	id := g.identity()
	i, ok := r.gapIndex[id]
	if ok && (i >= len(r.Gaps) || r.Gaps[i].identity() != id) { // changed in place: index again
		r.gapIndex = nil
		r.AddGap(g)
		return
	}
	if !ok {
		r.gapIndex[id] = len(r.Gaps)
		r.Gaps = append(r.Gaps, g)
		return
	}
	x := &r.Gaps[i]
	for _, c := range g.Controls {
		if !slices.Contains(x.Controls, c) {
			x.Controls = append(x.Controls, c)
		}
	}
	if g.Severity.Rank() > x.Severity.Rank() {
		x.Severity = g.Severity
	}
}
