package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TrendPoint is one run's counts for one control.
type TrendPoint struct {
	Seq                                int64
	Time                               time.Time
	Pass, Fail, Unknown, Suppressed, N int
}

// ControlTrend is a control's counts over the runs, with its chart.
type ControlTrend struct {
	ControlID string
	Points    []TrendPoint
	SVG       template.HTML
}

// NewHandler serves the read-only web view of the store: "/" (verify status,
// trend per control, recent runs), "/runs/{seq}" (a run's findings) and
// "/resources" (per-resource timelines over the whole history). It only
// reads; every page is rendered on the server with no external assets.
func NewHandler(st Store, maxRuns int) (http.Handler, error) {
	t, err := ParseTemplates(templateFiles, "templates/web_*.html")
	if err != nil {
		return nil, err
	}
	render := func(w http.ResponseWriter, name string, data any) {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		_, _ = w.Write(buf.Bytes())
	}
	fail := func(w http.ResponseWriter, err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		rep, err := st.Verify(ctx)
		if err != nil {
			fail(w, err)
			return
		}
		trends, runs, err := trends(ctx, st, maxRuns)
		if err != nil {
			fail(w, err)
			return
		}
		render(w, "web_index.html", map[string]any{"Chain": rep, "Trends": trends, "Runs": runs, "Location": st.Location()})
	})
	mux.HandleFunc("GET /runs/{seq}", func(w http.ResponseWriter, r *http.Request) {
		seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		run, err := st.Run(r.Context(), seq)
		if errors.Is(err, ErrNoRun) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			fail(w, err)
			return
		}
		render(w, "web_run.html", run)
	})
	mux.HandleFunc("GET /resources", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		infos, err := st.Runs(ctx, RunQuery{Desc: true, Limit: maxRuns})
		if err != nil {
			fail(w, err)
			return
		}
		if len(infos) == 0 {
			render(w, "web_resources.html", &Report{})
			return
		}
		from := infos[len(infos)-1].StartedAt
		to := infos[0].StartedAt.Add(24 * time.Hour)
		var runs []*Run
		if err := st.Each(ctx, RunQuery{MinSeq: infos[len(infos)-1].Seq}, func(r *Run) error { runs = append(runs, r); return nil }); err != nil {
			fail(w, err)
			return
		}
		render(w, "web_resources.html", ComputeReport(runs, ExportOptions{From: from, To: to}))
	})
	return mux, nil
}

// trends counts statuses per control for the newest maxRuns runs.
func trends(ctx context.Context, st Store, maxRuns int) ([]ControlTrend, []RunInfo, error) {
	infos, err := st.Runs(ctx, RunQuery{Desc: true, Limit: maxRuns})
	if err != nil || len(infos) == 0 {
		return nil, infos, err
	}
	byControl := map[string]*ControlTrend{}
	err = st.Each(ctx, RunQuery{MinSeq: infos[len(infos)-1].Seq}, func(r *Run) error {
		points := map[string]*TrendPoint{}
		for _, f := range r.FindingList {
			p, ok := points[f.ControlID]
			if !ok {
				p = &TrendPoint{Seq: r.Seq, Time: r.StartedAt}
				points[f.ControlID] = p
			}
			p.N++
			switch State(f.Status) {
			case StatePass:
				p.Pass++
			case StateFail:
				p.Fail++
			case StateSuppressed:
				p.Suppressed++
			default:
				p.Unknown++
			}
		}
		for id, p := range points {
			c, ok := byControl[id]
			if !ok {
				c = &ControlTrend{ControlID: id}
				byControl[id] = c
			}
			c.Points = append(c.Points, *p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]ControlTrend, 0, len(byControl))
	for _, c := range byControl {
		c.SVG = trendSVG(c.Points)
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ControlID < out[j].ControlID })
	return out, infos, nil
}

// trendSVG draws pass, fail and unknown counts per run as three polylines
// over time, with the run times as the x axis.
func trendSVG(ps []TrendPoint) template.HTML {
	const w, h, pad = 720.0, 180.0, 30.0
	maxN := 1
	for _, p := range ps {
		maxN = max(maxN, p.N)
	}
	t0, t1 := ps[0].Time, ps[len(ps)-1].Time
	span := t1.Sub(t0).Seconds()
	x := func(p TrendPoint) float64 {
		if span == 0 {
			return pad + (w-2*pad)/2
		}
		return pad + (w-2*pad)*p.Time.Sub(t0).Seconds()/span
	}
	y := func(n int) float64 { return h - pad - (h-2*pad)*float64(n)/float64(maxN) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img">`, w, h, w, h)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#8c959f"/>`, pad, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<text x="4" y="%.0f" font-size="10">%d</text><text x="4" y="%.0f" font-size="10">0</text>`, pad+4, maxN, h-pad)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10">%s</text>`, pad, h-8, t0.Format("2006-01-02"))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="10" text-anchor="end">%s</text>`, w-pad, h-8, t1.Format("2006-01-02"))
	for _, s := range []struct {
		name, color string
		v           func(TrendPoint) int
	}{
		{"pass", "#2da44e", func(p TrendPoint) int { return p.Pass }},
		{"fail", "#cf222e", func(p TrendPoint) int { return p.Fail }},
		{"unknown", "#d4a72c", func(p TrendPoint) int { return p.Unknown + p.Suppressed }},
	} {
		var pts []string
		for _, p := range ps {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p), y(s.v(p))))
		}
		fmt.Fprintf(&b, `<polyline class="series-%s" fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.name, s.color, strings.Join(pts, " "))
		for _, p := range ps {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>run %d %s: %d %s</title></circle>`,
				x(p), y(s.v(p)), s.color, p.Seq, p.Time.Format(TimeLayout), s.v(p), s.name)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers and fixed strings only
}
