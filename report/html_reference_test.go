package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
)

// testdata/html_reference.html.tmpl is the HTML report's template as it was
// before the report streamed: one document executed over every finding at
// once. With htmlWhole it is the reference TestHTMLStreamMatchesWhole holds
// the streaming HTML.Format to; neither may share Format's document code
// (the per-value helpers — place, observedText, layoutChart,
// frameworkTable... — are shared: they are not what streaming changed).
//
//go:embed testdata/html_reference.html.tmpl
var htmlReferenceText string

var htmlReference = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlReferenceText))

type htmlWholeView struct {
	R          *finding.Result
	CSS        template.CSS
	Controls   []htmlWholeControl
	Charts     []htmlChart
	Frameworks []htmlFramework
	Suppressed []finding.Finding
	Witnesses  witnessDigest
}

type htmlWholeControl struct {
	ID       string
	Title    string
	Severity finding.Severity
	Doc      *control.Doc
	Counts   finding.Summary
	Findings []finding.Finding
}

// htmlWhole is how HTML.Format wrote the report before it streamed: every
// finding in memory (r.Findings), grouped, then the one template executed
// over the whole view.
func htmlWhole(w io.Writer, r *finding.Result) error {
	v := htmlWholeView{R: r, CSS: template.CSS(htmlCSS), Witnesses: digestWitnesses(r)}
	byControl := map[string][]finding.Finding{}
	bySurface := map[string][]finding.Finding{}
	var surfaces []string
	for _, f := range r.Findings {
		byControl[f.ControlID] = append(byControl[f.ControlID], f)
		if _, ok := bySurface[f.Surface]; !ok {
			surfaces = append(surfaces, f.Surface)
		}
		bySurface[f.Surface] = append(bySurface[f.Surface], f)
		if f.Status == finding.Suppressed {
			v.Suppressed = append(v.Suppressed, f)
		}
	}
	sort.Strings(surfaces)
	controlStatus := map[string]string{}
	var controlRows, surfaceRows []htmlBar
	for _, id := range controlOrder(r.Findings) {
		fs := byControl[id]
		hc := htmlWholeControl{ID: id, Title: controlTitle(id), Severity: fs[0].Severity, Counts: finding.Summarize(fs, 0), Findings: fs}
		if c, ok := control.Lookup(id); ok {
			hc.Doc = &c.Doc
		}
		v.Controls = append(v.Controls, hc)
		controlStatus[id] = aggregateStatus(hc.Counts)
		controlRows = append(controlRows, wholeBar(id, fs))
	}
	for _, s := range surfaces {
		surfaceRows = append(surfaceRows, wholeBar(s, bySurface[s]))
	}
	v.Charts = []htmlChart{layoutChart("chart-controls", "Findings per control", controlRows), layoutChart("chart-surfaces", "Findings per surface", surfaceRows)}
	v.Frameworks = frameworkTable(controlStatus)
	if err := htmlReference.Execute(w, v); err != nil {
		return fmt.Errorf("rendering HTML report: %w", err)
	}
	return nil
}

// wholeBar is bar over findings in memory, counted at once.
func wholeBar(label string, fs []finding.Finding) htmlBar {
	return bar(label, tally{Summary: finding.Summarize(fs, 0), Total: len(fs)})
}

// controlOrder returns the control IDs the findings mention, in the order
// the grouped formats show them (orderControls, by first appearance): the
// reference renderers' grouping.
func controlOrder(fs []finding.Finding) []string {
	present := map[string]bool{}
	var firstSeen []string
	for _, f := range fs {
		if !present[f.ControlID] {
			present[f.ControlID] = true
			firstSeen = append(firstSeen, f.ControlID)
		}
	}
	return orderControls(firstSeen)
}

// digestWitnesses is the witness digest of a result's findings in memory.
func digestWitnesses(r *finding.Result) witnessDigest {
	var dg witnessDigester
	for i := range r.Findings {
		dg.add(&r.Findings[i])
	}
	return dg.digest()
}
