package control

import (
	"fmt"
	"iter"
	"sync"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// Unit is one model.Set under evaluation, with the results that several
// controls need computed once for the Set and shared by every control's
// Pass (the network analysis of a notebook). Make one Unit per Set; it is
// safe for concurrent use.
type Unit struct {
	Set *model.Set

	mu       sync.Mutex
	networks map[*model.NotebookInstance]network
	// analyses counts network analyses (tests check the memo).
	analyses int
}

// NewUnit starts the evaluation of a set.
func NewUnit(set *model.Set) *Unit {
	return &Unit{Set: set, networks: map[*model.NotebookInstance]network{}}
}

// network returns the memoised network analysis of a notebook of the Set.
func (u *Unit) network(nb *model.NotebookInstance) network {
	u.mu.Lock()
	defer u.mu.Unlock()
	if n, ok := u.networks[nb]; ok {
		return n
	}
	n := analyzeNetwork(u.Set, nb)
	u.analyses++
	u.networks[nb] = n
	return n
}

// Pass is one control's evaluation of one Set, in the spirit of
// golang.org/x/tools/go/analysis: the check reads p.Set, asks the Unit's
// shared results (p.Network), and reports one finding per evaluated resource
// with p.Report, which fills every documented field. A check ranges over the
// resources it judges with p.Notebooks() / p.Domains(), so that a panic can
// name the resource it happened on.
type Pass struct {
	Control *Control
	Set     *model.Set

	unit *Unit
	// findings are the reported findings, appended to RunAppend's dst.
	findings []finding.Finding
	// current is the resource the check is looking at, for panic reports.
	current *model.Meta
}

// Verdict is what a check decides about one resource. Report turns it into
// a finding; the documentation fields (severity, remediation, aliases,
// frameworks, replacement, resource, location) come from the control and
// the resource, never from the check.
type Verdict struct {
	Status finding.Status
	// Attribute is the attribute judged, as the resource's surface spells it (Pass.Attr).
	Attribute string
	Expected  string
	// Observed is the resolved value; nil when unknown.
	Observed   *string
	Resolution model.Resolution
	Provenance []finding.ProvenanceStep
	// Message explains the verdict; Report appends the resource's notes.
	Message  string
	Evidence []string
}

// Observe sets observed value, resolution and provenance from a string value.
func (v *Verdict) Observe(s model.Str) {
	v.Resolution = s.Resolution
	v.Provenance = finding.Provenance(s.Provenance)
	if s.Known() {
		d := s.Display()
		v.Observed = &d
	}
}

// Unknown makes the verdict unknown with a message: no observed value.
func (v *Verdict) Unknown(msg string) {
	v.Status = finding.Unknown
	v.Resolution = model.Unknown
	v.Observed = nil
	v.Message = msg
}

// Notebooks ranges over the Set's notebook instances.
func (p *Pass) Notebooks() iter.Seq[*model.NotebookInstance] {
	return func(yield func(*model.NotebookInstance) bool) {
		for _, nb := range p.Set.Notebooks {
			p.current = &nb.Meta
			if !yield(nb) {
				return
			}
		}
		p.current = nil
	}
}

// Domains ranges over the Set's Studio domains.
func (p *Pass) Domains() iter.Seq[*model.Domain] {
	return func(yield func(*model.Domain) bool) {
		for _, d := range p.Set.Domains {
			p.current = &d.Meta
			if !yield(d) {
				return
			}
		}
		p.current = nil
	}
}

// Network is the analysis of a notebook's network (subnet, route table, NAT
// path, endpoints), computed once per notebook per Set for every control.
func (p *Pass) Network(nb *model.NotebookInstance) network { return p.unit.network(nb) }

// Attr spells field f the way the resource's surface writes it.
func (p *Pass) Attr(m model.Meta, f model.Field) string { return model.AttributeName(m.Surface, f) }

// Report records the finding of the control on resource m.
func (p *Pass) Report(m model.Meta, v Verdict) {
	if v.Status == "" {
		panic(fmt.Sprintf("control %s reported no status for %s", p.Control.ID, m.Address))
	}
	f := p.Control.New(m, v.Status)
	f.Attribute = v.Attribute
	f.Expected = v.Expected
	f.Observed = v.Observed
	f.Resolution = v.Resolution
	f.Provenance = v.Provenance
	f.Message = withNotes(v.Message, m)
	f.Evidence = v.Evidence
	p.findings = append(p.findings, f)
}

// Run evaluates the control on the unit's Set. A panic in the check does
// not crash the run: it is returned as an input error naming the control
// and the resource it was checking, beside the findings reported before it.
func (c *Control) Run(u *Unit) ([]finding.Finding, *model.Error) { return c.RunAppend(u, nil) }

// RunAppend is Run appending the findings to dst, as append does: it
// returns dst extended by the control's findings (those reported before a
// panic included), so that a caller running several controls on a Set can
// gather their findings in one buffer it reuses.
func (c *Control) RunAppend(u *Unit, dst []finding.Finding) (findings []finding.Finding, err *model.Error) {
	p := &Pass{Control: c, Set: u.Set, unit: u, findings: dst}
	defer func() {
		if r := recover(); r != nil {
			e := model.Error{Message: fmt.Sprintf("internal error: control %s failed on a %s set: %v (please report this)",
				c.ID, u.Set.Surface, r)}
			if m := p.current; m != nil {
				e.File, e.Line, e.Region, e.Account = m.Range.File, m.Range.StartLine, m.Region, m.Account
				e.Message = fmt.Sprintf("internal error: control %s failed on %s: %v (please report this)", c.ID, m.Address, r)
			}
			findings, err = p.findings, &e
		}
	}()
	c.Check(p)
	return p.findings, nil
}

// Evaluate runs the control on one set on its own (no shared Unit): for
// callers that check a single control. A panic is returned as the error.
func (c *Control) Evaluate(set *model.Set) ([]finding.Finding, error) {
	fs, err := c.Run(NewUnit(set))
	if err != nil {
		return fs, *err
	}
	return fs, nil
}
