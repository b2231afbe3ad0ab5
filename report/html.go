package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// HTML writes one self-contained evidence report: the template and its CSS
// are embedded, the chart is inline SVG, and nothing is loaded from
// elsewhere, so the file opens offline and can be archived as evidence.
// It holds the scope (what was scanned, when, by which version), a summary
// with a chart per control and per surface, the framework table
// (requirement → controls → status), every finding with its resolved value,
// where that value came from and the fix, the suppressions with reasons and
// expiry, and the input errors. It is printable (print CSS) and readable by
// screen readers (landmarks, table headers, the chart's text alternative).
type HTML struct{}

//go:embed htmlreport/report.html.tmpl
var htmlTemplateText string

//go:embed htmlreport/report.css
var htmlCSS string

// htmlFuncs are the template's per-value helpers.
var htmlFuncs = template.FuncMap{
	"place":      place,
	"observed":   observedText,
	"supText":    suppressionText,
	"title":      controlTitle,
	"hasAnyFail": func(s finding.Summary) bool { return s.Fail > 0 },
	"witness":    witnessText,
	"gapText":    gapText,
	"gapLine":    gapLine,
}

var htmlTemplate = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlTemplateText))

// htmlView is what the parts of the template around the rows show ("head",
// "middle", "tail"), computed in Go so the template only lays it out.
type htmlView struct {
	R          *finding.Result
	CSS        template.CSS
	Controls   []htmlControl
	Charts     []htmlChart
	Frameworks []htmlFramework
	// Suppressed is how many findings are suppressed (rows in the
	// suppressions table).
	Suppressed int
	// Witnesses digests audit --witnesses; its section is shown only when
	// Total > 0.
	Witnesses witnessDigest
}

// htmlControl is a control's block ("control-head" and "control-tail") and
// its line in the counts table.
type htmlControl struct {
	ID       string
	Title    string
	Severity finding.Severity
	Doc      *control.Doc
	Counts   finding.Summary
}

// htmlChart is one stacked horizontal bar chart.
type htmlChart struct {
	ID     string
	Title  string
	Height int
	Rows   []htmlBar
}

type htmlBar struct {
	Label string
	Y     int
	Total int
	Parts []htmlSegment
	Text  string
}

type htmlSegment struct {
	Status string
	Count  int
	X      float64
	Width  float64
}

type htmlFramework struct {
	Name string
	Rows []htmlRequirement
}

type htmlRequirement struct {
	ID       string
	Controls []htmlRequirementControl
	Status   string
}

type htmlRequirementControl struct {
	ID     string
	Status string
}

// chart geometry, in SVG user units.
const (
	chartBarX     = 480.0
	chartBarWidth = 440.0
	chartRowH     = 28
)

var chartStatuses = []finding.Status{finding.Fail, finding.Unknown, finding.Suppressed, finding.Pass}

// htmlPart executes one part of the template (see its opening comment).
func htmlPart(w io.Writer, name string, data any) error {
	if err := htmlTemplate.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("rendering HTML report: %w", err)
	}
	return nil
}

// Format implements Formatter. The findings are read once, one at a time
// (StreamsFindings): each is rendered as its control's next row (and, when
// suppressed, as the next row of the suppressions table) into a spool,
// while the counts, charts, framework table and witnesses are tallied; then
// the document is written part by part with the spooled rows in place. The
// bytes are those of the template executed over every finding at once
// (TestHTMLStreamMatchesWhole).
func (HTML) Format(w io.Writer, r *finding.Result) error {
	var sp spools
	defer sp.close()
	v := htmlView{R: r, CSS: template.CSS(htmlCSS)}
	suppressed := sp.new()
	bySurface := map[string]*tally{}
	var witnesses witnessDigester
	groups, err := groupByControl(r, &sp, func(f *finding.Finding, rows io.Writer) error {
		t := bySurface[f.Surface]
		if t == nil {
			t = &tally{}
			bySurface[f.Surface] = t
		}
		t.add(f.Status)
		witnesses.add(f)
		if f.Status == finding.Suppressed {
			v.Suppressed++
			if err := htmlPart(suppressed, "suppression", f); err != nil {
				return err
			}
		}
		return htmlPart(rows, "finding", f)
	})
	if err != nil {
		return err
	}
	v.Witnesses = witnesses.digest()
	controlStatus := map[string]string{}
	var controlRows, surfaceRows []htmlBar
	for _, g := range groups {
		hc := htmlControl{ID: g.ID, Title: controlTitle(g.ID), Severity: g.Severity, Counts: g.Summary}
		if c, ok := control.Lookup(g.ID); ok {
			hc.Doc = &c.Doc
		}
		v.Controls = append(v.Controls, hc)
		controlStatus[g.ID] = aggregateStatus(g.Summary)
		controlRows = append(controlRows, bar(g.ID, g.tally))
	}
	surfaces := make([]string, 0, len(bySurface))
	for s := range bySurface {
		surfaces = append(surfaces, s)
	}
	sort.Strings(surfaces)
	for _, s := range surfaces {
		surfaceRows = append(surfaceRows, bar(s, *bySurface[s]))
	}
	v.Charts = []htmlChart{layoutChart("chart-controls", "Findings per control", controlRows), layoutChart("chart-surfaces", "Findings per surface", surfaceRows)}
	v.Frameworks = frameworkTable(controlStatus)

	bw := bufio.NewWriter(w)
	if err := htmlPart(bw, "head", v); err != nil {
		return err
	}
	for i, g := range groups {
		if err := htmlPart(bw, "control-head", v.Controls[i]); err != nil {
			return err
		}
		if err := g.rows.copyTo(bw); err != nil {
			return err
		}
		if err := htmlPart(bw, "control-tail", v.Controls[i]); err != nil {
			return err
		}
	}
	if len(groups) == 0 {
		if err := htmlPart(bw, "no-controls", v); err != nil {
			return err
		}
	}
	if err := htmlPart(bw, "middle", v); err != nil {
		return err
	}
	if err := suppressed.copyTo(bw); err != nil {
		return err
	}
	if err := htmlPart(bw, "tail", v); err != nil {
		return err
	}
	return bw.Flush()
}

// streamsFindings: HTML reads the findings one at a time (StreamsFindings).
func (HTML) streamsFindings() {}

// aggregateStatus is a control's verdict over all its resources: any fail
// fails it, then any unknown, then any suppressed; pass only when every
// resource passed.
func aggregateStatus(c finding.Summary) string {
	switch {
	case c.Fail > 0:
		return string(finding.Fail)
	case c.Unknown > 0:
		return string(finding.Unknown)
	case c.Suppressed > 0:
		return string(finding.Suppressed)
	case c.Pass > 0:
		return string(finding.Pass)
	}
	return "not evaluated"
}

// bar is one row of a chart: a label's findings by status.
func bar(label string, t tally) htmlBar {
	s := t.Summary
	counts := map[finding.Status]int{finding.Fail: s.Fail, finding.Unknown: s.Unknown, finding.Suppressed: s.Suppressed, finding.Pass: s.Pass}
	b := htmlBar{Label: label, Total: t.Total}
	b.Text = fmt.Sprintf("%s: %d fail, %d unknown, %d suppressed, %d pass", label, s.Fail, s.Unknown, s.Suppressed, s.Pass)
	for _, st := range chartStatuses {
		if counts[st] > 0 {
			b.Parts = append(b.Parts, htmlSegment{Status: string(st), Count: counts[st]})
		}
	}
	return b
}

// layoutChart scales every bar to the largest total and places the rows.
func layoutChart(id, title string, rows []htmlBar) htmlChart {
	max := 1
	for _, r := range rows {
		if r.Total > max {
			max = r.Total
		}
	}
	for i := range rows {
		rows[i].Y = 8 + i*chartRowH
		x := chartBarX
		for j := range rows[i].Parts {
			p := &rows[i].Parts[j]
			p.X = x
			p.Width = chartBarWidth * float64(p.Count) / float64(max)
			x += p.Width
		}
	}
	return htmlChart{ID: id, Title: title, Rows: rows, Height: 16 + len(rows)*chartRowH}
}

// frameworkTable lists, for each framework of the catalog, each requirement
// with the controls mapping to it and the worst status among them.
func frameworkTable(controlStatus map[string]string) []htmlFramework {
	order := []string{control.SOC2, control.PCIDSS, control.HIPAA, control.NIST, control.FedRAMP}
	reqs := map[string]map[string][]htmlRequirementControl{}
	for _, c := range control.All() {
		for _, fw := range c.Frameworks {
			if reqs[fw.Framework] == nil {
				reqs[fw.Framework] = map[string][]htmlRequirementControl{}
				if !containsString(order, fw.Framework) {
					order = append(order, fw.Framework)
				}
			}
			st, ok := controlStatus[c.ID]
			if !ok {
				st = "not evaluated"
			}
			for _, id := range fw.IDs {
				reqs[fw.Framework][id] = append(reqs[fw.Framework][id], htmlRequirementControl{ID: c.ID, Status: st})
			}
		}
	}
	var out []htmlFramework
	for _, name := range order {
		m := reqs[name]
		if len(m) == 0 {
			continue
		}
		fw := htmlFramework{Name: name}
		ids := make([]string, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			fw.Rows = append(fw.Rows, htmlRequirement{ID: id, Controls: m[id], Status: worstStatus(m[id])})
		}
		out = append(out, fw)
	}
	return out
}

// worstStatus orders fail > unknown > suppressed > not evaluated > pass:
// a requirement is met only when every control mapped to it passed.
func worstStatus(cs []htmlRequirementControl) string {
	rank := map[string]int{"fail": 5, "unknown": 4, "suppressed": 3, "not evaluated": 2, "pass": 1}
	best := "pass"
	for _, c := range cs {
		if rank[c.Status] > rank[best] {
			best = c.Status
		}
	}
	return best
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
