// Package control holds the control catalog. A control is plain data (its
// documentation: title, rationale, aliases, frameworks, remediation) plus a
// Check that receives a Pass over one model.Set and reports one finding per
// evaluated resource (p.Report fills the documented fields). Results several
// controls need, such as a notebook's network analysis, are computed once per
// Set (Unit) and shared. Checks never read files or call AWS; surfaces fill
// the model. The catalog is an explicit list (catalog.go).
//
// The same Doc feeds `sagefence explain`, `sagefence controls`, every report
// format and the findings' remediation, aliases and framework fields.
package control

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Alias is the control's identifier in another tool or standard.
type Alias struct {
	Tool string
	ID   string
}

// Remediation is the fix per surface.
type Remediation struct {
	// Generic applies on every surface without text of its own; SARIF rule
	// help shows it.
	Generic string
	// BySurface is the text per surface (model.Surface* names). A surface
	// without an entry uses the text of its Base surface (a plan uses
	// Terraform's, a CDK assembly CloudFormation's), then Generic.
	BySurface map[string]string
}

// For returns the remediation text for a surface.
func (r Remediation) For(surface string) string {
	for name := surface; name != ""; {
		if s := r.BySurface[name]; s != "" {
			return s
		}
		info, ok := model.Surface(name)
		if !ok {
			break
		}
		name = info.Base
	}
	return r.Generic
}

// MarshalJSON keeps the shape `controls --json` has always printed
// (Generic, Terraform, CloudFormation, AWS) and adds by_surface: the text
// each surface's findings carry.
func (r Remediation) MarshalJSON() ([]byte, error) {
	by := map[string]string{}
	for _, s := range model.Surfaces() {
		by[s] = r.For(s)
	}
	return json.Marshal(struct {
		Generic        string
		Terraform      string
		CloudFormation string
		AWS            string
		BySurface      map[string]string `json:"by_surface"`
	}{r.Generic, r.BySurface[model.SurfaceTerraform], r.BySurface[model.SurfaceCloudFormation], r.BySurface[model.SurfaceAWS], by})
}

// Doc is a control's documentation as data.
type Doc struct {
	ID       string
	Title    string
	Severity finding.Severity
	// Kind is "security" or "operability".
	Kind string
	// Rationale: why the control matters, a paragraph.
	Rationale string
	// Checks: exactly when it fails, passes or is unknown.
	Checks string
	// ResourceTypes per surface family, for documentation.
	ResourceTypes []string
	Aliases       []Alias
	Frameworks    []finding.Framework
	Remediation   Remediation
	// ForcesReplacement: fixing it destroys and recreates the resource.
	ForcesReplacement bool
	// Example is a compliant snippet per language ("terraform", "cloudformation").
	Example map[string]string
	HelpURI string
}

// AliasIDs returns the alias identifiers only.
func (d *Doc) AliasIDs() []string {
	out := make([]string, 0, len(d.Aliases))
	for _, a := range d.Aliases {
		out = append(out, a.ID)
	}
	return out
}

// aliases is AliasIDs, shared by the control's findings when the control
// is in the catalog (read-only: the slice has no spare capacity, so an
// append copies it).
func (c *Control) aliases() []string {
	if c.aliasIDs != nil {
		return c.aliasIDs
	}
	return c.AliasIDs()
}

func init() {
	for _, c := range catalog {
		ids := c.AliasIDs()
		c.aliasIDs = ids[:len(ids):len(ids)]
	}
}

// Control is a Doc plus its check.
type Control struct {
	Doc
	// aliasIDs is AliasIDs computed once (see aliases).
	aliasIDs []string
	// Reads declares what the check reads, so that the engine can tell which
	// gaps of a set concern the control.
	Reads Reads
	// Check evaluates the control on every applicable resource of p.Set and
	// reports one finding per evaluated resource with p.Report (see Pass).
	// Gaps are not findings: the engine reports each once (see Touches).
	Check func(p *Pass)
}

// Reads declares the model kinds a check reads.
type Reads struct {
	// Subjects are the kinds the control reports on. A gap that may hide a
	// subject always concerns the control: the hidden resource is unchecked.
	Subjects []model.Kind
	// Context are the kinds read around a subject (a notebook's subnet, route
	// tables, endpoints). A gap that hides only context concerns the control
	// when ContextNeeded says the set holds a subject that reads it.
	Context []model.Kind
	// ContextNeeded reports whether some subject of the set depends on
	// context (a notebook with direct internet access disabled); nil: always.
	ContextNeeded func(set *model.Set) bool
}

// Touches reports whether gap g of set may hide something this control
// would judge: a subject, or context that a subject of the set reads.
func (c *Control) Touches(g *model.Gap, set *model.Set) bool {
	for _, k := range c.Reads.Subjects {
		if g.HidesKind(k) {
			return true
		}
	}
	if c.Reads.ContextNeeded != nil && !c.Reads.ContextNeeded(set) {
		return false
	}
	for _, k := range c.Reads.Context {
		if g.HidesKind(k) {
			return true
		}
	}
	return false
}

// All returns every control in catalog order (see catalog.go: by severity,
// highest first).
func All() []*Control {
	return append([]*Control(nil), catalog...)
}

// Lookup finds a control by ID or any alias, case-insensitively; it also
// accepts the AWS Config rule name and the Powerpipe control name.
func Lookup(idOrAlias string) (*Control, bool) {
	q := strings.TrimSpace(idOrAlias)
	for _, c := range catalog {
		if strings.EqualFold(c.ID, q) {
			return c, true
		}
		for _, a := range c.Aliases {
			if strings.EqualFold(a.ID, q) {
				return c, true
			}
		}
	}
	return nil, false
}

// Select resolves a list of IDs/aliases; an empty list selects all controls.
func Select(ids []string) ([]*Control, error) {
	if len(ids) == 0 {
		return All(), nil
	}
	var out []*Control
	seen := map[*Control]bool{}
	for _, id := range ids {
		c, ok := Lookup(id)
		if !ok {
			return nil, fmt.Errorf("unknown control %q (run `sagefence controls` for the list)", id)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// Matches reports whether id names this control (its ID or an alias).
func (c *Control) Matches(id string) bool {
	if strings.EqualFold(c.ID, id) {
		return true
	}
	for _, a := range c.Aliases {
		if strings.EqualFold(a.ID, id) {
			return true
		}
	}
	return false
}

// New returns a finding for this control on a resource, with documentation
// fields filled. Status, attribute and message are set by the caller.
func (c *Control) New(m model.Meta, status finding.Status) finding.Finding {
	f := finding.Finding{
		ControlID: c.ID,
		Status:    status,
		Severity:  c.Severity,
		Surface:   m.Surface,
		Resource: finding.Resource{
			Type: m.Type, Address: m.Address, Name: m.Name, ARN: m.ARN,
			Region: m.Region, Account: m.Account, Path: m.Path, Stack: m.Stack, Root: m.Root,
		},
		Location:    finding.Location{File: m.Range.File, StartLine: m.Range.StartLine, EndLine: m.Range.EndLine},
		Remediation: c.Remediation.For(m.Surface),
		Frameworks:  c.Frameworks,
		Aliases:     c.aliases(),
		Replacement: c.ForcesReplacement,
	}
	return f
}

// origin renders " (from <provenance>)" when the value did not come from a literal.
func origin(v model.Str) string {
	d := finding.DescribeProvenance(v.Provenance)
	if d == "" {
		return ""
	}
	return " (from " + d + ")"
}

// withNotes appends the resource's surface notes to a message.
func withNotes(msg string, m model.Meta) string {
	for _, n := range m.Notes {
		msg += "; " + n
	}
	return msg
}

// enumAttribute is a case-sensitive two-valued attribute of which one value
// passes: DirectInternetAccess, AppNetworkAccessType.
type enumAttribute struct {
	pass, fail string
	// def is the service default applied when the attribute is omitted.
	def string
}

// judge sets the finding's status, attribute, expected/observed values and
// message from the resolved value: unknown when unresolved, fail when
// omitted (the default), when the failing value, or when not a valid value
// at all (the values are case-sensitive), pass only on the passing value.
func (e enumAttribute) judge(f *Verdict, attribute string, v model.Str) {
	f.Attribute = attribute
	f.Expected = e.pass
	f.Observe(v)
	f.Status = finding.Fail
	switch {
	case !v.Known():
		f.Status = finding.Unknown
		f.Message = fmt.Sprintf("%s cannot be resolved: %s", attribute, v.Reason)
	case v.Resolution == model.Default:
		f.Message = fmt.Sprintf("%s is omitted and defaults to %q", attribute, e.def)
	case v.V == e.pass:
		f.Status = finding.Pass
		f.Message = attribute + " is " + strconv.Quote(v.V) + origin(v)
	case v.V == e.fail:
		f.Message = attribute + " is " + strconv.Quote(v.V) + origin(v)
	default:
		f.Message = fmt.Sprintf("%s is %q%s, which is not a valid value: it must be exactly %q or %q "+
			"(case-sensitive); only %q passes", attribute, v.V, origin(v), e.fail, e.pass, e.pass)
	}
}
