package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// controlGroup is one control's findings as the grouped formats (HTML,
// table) show them: tallied, with the severity of its first finding, and
// its rows as the format rendered them, in the order of its findings.
type controlGroup struct {
	ID       string
	Severity finding.Severity
	tally
	rows *spool
}

// tally counts findings by status; Total counts every finding.
type tally struct {
	finding.Summary
	Total int
}

func (t *tally) add(st finding.Status) {
	t.Summary = addStatus(t.Summary, st)
	t.Total++
}

// groupByControl reads the findings once, in report order (a streamed
// result's one at a time), calling visit with each and the spool of its
// control's rows, and returns the controls in report order (orderControls)
// with their tallies and rows. The spools come from sp.
func groupByControl(r *finding.Result, sp *spools, visit func(f *finding.Finding, rows io.Writer) error) ([]*controlGroup, error) {
	byID := map[string]*controlGroup{}
	var seen []string
	err := r.EachFinding(func(f *finding.Finding) error {
		g := byID[f.ControlID]
		if g == nil {
			g = &controlGroup{ID: f.ControlID, Severity: f.Severity, rows: sp.new()}
			byID[f.ControlID] = g
			seen = append(seen, f.ControlID)
		}
		g.add(f.Status)
		return visit(f, g.rows)
	})
	if err != nil {
		return nil, err
	}
	groups := make([]*controlGroup, 0, len(seen))
	for _, id := range orderControls(seen) {
		groups = append(groups, byID[id])
	}
	return groups, nil
}

// orderControls puts control IDs, given in order of first appearance, in
// report order: catalog order (severity, then ID) first, then IDs the
// catalog does not know, in order of first appearance. Every grouped format
// uses it, so they agree.
func orderControls(firstSeen []string) []string {
	present := map[string]bool{}
	for _, id := range firstSeen {
		present[id] = true
	}
	var ids []string
	listed := map[string]bool{}
	for _, c := range control.All() {
		if present[c.ID] {
			ids = append(ids, c.ID)
			listed[c.ID] = true
		}
	}
	for _, id := range firstSeen {
		if !listed[id] {
			ids = append(ids, id)
		}
	}
	return ids
}

// controlTitle is the control's title, or its ID when the catalog does not
// know it.
func controlTitle(id string) string {
	if c, ok := control.Lookup(id); ok {
		return c.Title
	}
	return id
}

// isLive reports whether a finding is about a live AWS resource (audit)
// rather than a file.
func isLive(f finding.Finding) bool {
	return f.Surface == model.SurfaceAWS || (f.Location.File == "" && f.Resource.ARN != "")
}

// resourceLabel names the resource for people: the address, and for live
// resources the account and region it lives in.
func resourceLabel(f finding.Finding) string {
	if isLive(f) {
		if where := place(f); where != "" {
			return f.Resource.Address + " (" + where + ")"
		}
	}
	return f.Resource.Address
}

// fingerprint is a stable identity for a finding across runs: a hash of its
// Key (control, surface, account, region, address, file — no line numbers,
// so edits above a resource do not change it).
func fingerprint(f finding.Finding) string {
	sum := sha256.Sum256([]byte(f.Key()))
	return hex.EncodeToString(sum[:16])
}

// observedText renders the resolved value: "(unknown)" when it could not be
// resolved, "(not set)" when it is absent and the service default applies.
func observedText(f finding.Finding) string {
	switch {
	case f.Observed != nil:
		return *f.Observed
	case f.Resolution == model.Default:
		return "(not set)"
	}
	return "(unknown)"
}

// slashPath turns a finding's file into a forward-slash relative path,
// without a leading "./".
func slashPath(file string) string {
	p := filepath.ToSlash(filepath.Clean(file))
	return strings.TrimPrefix(p, "./")
}

// rootedFingerprint is fingerprint with the finding's file and Terraform
// root taken relative to sourceRoot (when set), so the same finding keeps
// its fingerprint whatever directory, or path form, the scan started from.
func rootedFingerprint(f finding.Finding, sourceRoot, workDir string) string {
	if rel, ok := rootRelative(sourceRoot, workDir, f.Location.File); ok && f.Location.File != "" {
		f.Location.File = rel
	}
	if rel, ok := rootRelative(sourceRoot, workDir, f.Resource.Root); ok && f.Resource.Root != "" {
		f.Resource.Root = rel
	}
	return fingerprint(f)
}

// rootRelative is file's forward-slash path relative to sourceRoot (a
// relative file is first resolved against workDir, or the process's working
// directory when it is ""); ok is false when sourceRoot is "".
func rootRelative(sourceRoot, workDir, file string) (string, bool) {
	if sourceRoot == "" {
		return "", false
	}
	abs := file
	if !filepath.IsAbs(abs) {
		if workDir == "" {
			workDir, _ = filepath.Abs(".")
		}
		abs = filepath.Join(workDir, file)
	}
	rel, err := filepath.Rel(sourceRoot, abs)
	if err != nil {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// suppressionText renders "source: reason (until YYYY-MM-DD)".
func suppressionText(s *model.Suppression) string {
	if s == nil {
		return ""
	}
	t := s.Source + ": " + s.Reason
	if s.Expires != "" {
		t += " (until " + s.Expires + ")"
	}
	return t
}

// frameworkRefs renders "PCI DSS v4.0 1.3" style references, one per ID.
func frameworkRefs(fws []finding.Framework) []string {
	var out []string
	for _, fw := range fws {
		for _, id := range fw.IDs {
			out = append(out, fw.Framework+" "+id)
		}
	}
	return out
}

// gapLine renders a scan gap as one line for people: what was not seen and
// why, which controls it leaves unchecked, and what to do about it.
func gapLine(g finding.Gap) string {
	var b strings.Builder
	b.WriteString(g.Address)
	if g.Source != "" {
		b.WriteString(" (" + g.Source)
		if g.Version != "" {
			b.WriteString(" " + g.Version)
		}
		b.WriteString(")")
	}
	if g.Root != "" {
		b.WriteString(" in root " + g.Root)
	}
	b.WriteString(": " + g.Reason)
	b.WriteString(" [" + string(g.Kind))
	switch {
	case len(g.Controls) > 0 && len(g.Controls) == len(control.All()):
		b.WriteString("; not checked: every control")
	case len(g.Controls) > 0:
		b.WriteString("; not checked: " + strings.Join(g.Controls, ", "))
	}
	b.WriteString("]")
	if g.Hint != "" {
		b.WriteString("; " + g.Hint)
	}
	return b.String()
}

// encodeJSON writes v as the whole-document formats do: indented by two
// spaces, with <, > and & left as they are, and a final newline.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
