package evidence

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFiles embed.FS

// TemplateFuncs are the helpers the HTML templates (export and serve) use.
var TemplateFuncs = template.FuncMap{
	"pct": func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
	},
	"days": func(secs float64) string { return strconv.FormatFloat(secs/86400, 'f', 1, 64) },
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	},
	"tsp": func(t *time.Time) string {
		if t == nil {
			return "open"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	},
	"flex":  func(s Segment) string { return strconv.FormatFloat(s.End.Sub(s.Start).Seconds(), 'f', 0, 64) },
	"join":  strings.Join,
	"short": short,
	"deref": func(s *string) string {
		if s == nil {
			return "(unknown)"
		}
		return *s
	},
}

// ParseTemplates parses an embedded template set with TemplateFuncs.
func ParseTemplates(fsys embed.FS, patterns ...string) (*template.Template, error) {
	return template.New("").Funcs(TemplateFuncs).ParseFS(fsys, patterns...)
}

// ExportFormats are the formats WriteReport accepts.
var ExportFormats = []string{"html", "json", "csv"}

// WriteReport renders the report as html, json or csv.
func WriteReport(w io.Writer, rep *Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "csv":
		return writeCSV(w, rep)
	case "html":
		t, err := ParseTemplates(templateFiles, "templates/export.html")
		if err != nil {
			return err
		}
		return t.ExecuteTemplate(w, "export.html", rep)
	}
	return fmt.Errorf("unknown export format %q (one of %s)", format, strings.Join(ExportFormats, ", "))
}

// writeCSV writes one row per finding key, with seconds per state, the
// compliant share and the number of regressions.
func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	regs := map[string]int{}
	for _, r := range rep.Regressions {
		regs[r.Key]++
	}
	frameworks := map[string]string{}
	for _, c := range rep.Controls {
		var parts []string
		for _, f := range c.Frameworks {
			parts = append(parts, f.Framework+" "+strings.Join(f.IDs, "/"))
		}
		frameworks[c.ControlID] = strings.Join(parts, "; ")
	}
	_ = cw.Write([]string{"control_id", "frameworks", "surface", "account", "region", "file", "address",
		"pass_s", "fail_s", "suppressed_s", "unknown_s", "error_s", "no_evidence_s", "absent_s", "compliant_share", "regressions",
		"period_from", "period_to", "violation_windows", "caused_by", "witnesses"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }
	windows, causes := map[string]int{}, map[string][]string{}
	for _, w := range rep.Windows {
		windows[w.Key]++
		if w.CausedBy != "" && !slices.Contains(causes[w.Key], w.CausedBy) {
			causes[w.Key] = append(causes[w.Key], w.CausedBy)
		}
	}
	for _, r := range rep.Resources {
		share := ""
		if r.Share != nil {
			share = strconv.FormatFloat(*r.Share, 'f', 6, 64)
		}
		d := r.Durations
		_ = cw.Write([]string{r.ControlID, frameworks[r.ControlID], r.Surface, r.Account, r.Region, r.File, r.Address,
			f(d.Pass), f(d.Fail), f(d.Suppressed), f(d.Unknown), f(d.Error), f(d.NoEvidence), f(d.Absent), share,
			strconv.Itoa(regs[r.Key]), rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339),
			strconv.Itoa(windows[r.Key]), strings.Join(causes[r.Key], " "), witnessCell(r.Witnesses)})
	}
	cw.Flush()
	return cw.Error()
}

// witnessCell is a key's witness marks in one CSV cell:
// "2026-03-01T00:00:00Z aws-config rule COMPLIANT disagrees; ...".
func witnessCell(ms []WitnessMark) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, strings.Join([]string{m.At.UTC().Format(time.RFC3339), m.Source, m.Rule, m.Status, m.Outcome}, " "))
	}
	return strings.Join(parts, "; ")
}
