package cloudtrail

import (
	"sort"
	"time"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/control"
)

// FormatVersion is the version of the History JSON.
const FormatVersion = "1.0"

// History is the change history of every notebook and domain in a period.
type History struct {
	Kind          string     `json:"kind"` // "sagefence-cloudtrail-history"
	FormatVersion string     `json:"format_version"`
	Period        Period     `json:"period"`
	Sources       []string   `json:"sources"`
	Summary       Summary    `json:"summary"`
	Resources     []Resource `json:"resources"`
	// Gaps are periods a source could not cover (LookupEvents' 90 days, a
	// day of log files that could not be read): changes may be missing there.
	Gaps   []Gap         `json:"gaps"`
	Errors []SourceError `json:"errors"`
}

// Period is [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Summary counts the history.
type Summary struct {
	Resources        int `json:"resources"`
	Events           int `json:"events"`
	FailedCalls      int `json:"failed_calls"`
	ViolationWindows int `json:"violation_windows"`
	Gaps             int `json:"gaps"`
}

// Resource is one notebook or domain with its events, in time order.
type Resource struct {
	Type       string  `json:"type"`
	Name       string  `json:"name"`
	DomainName string  `json:"domain_name,omitempty"`
	ARN        string  `json:"arn,omitempty"`
	Account    string  `json:"account"`
	Region     string  `json:"region"`
	Events     []Event `json:"events"`
	// Windows are the periods the resource violated a control.
	Windows []Window `json:"windows"`
	// Gaps are periods whose state no event shows.
	Gaps []Gap `json:"gaps"`
	// Timeline is, per control, the period cut into spans of one state:
	// absent (before creation, after deletion), compliant, violating or
	// unknown (a gap), covering [From, To) without overlap.
	Timeline []Span `json:"timeline"`
	// Deleted is true when the last successful event deleted it.
	Deleted bool `json:"deleted"`
}

// Window is one period a resource violated a control.
type Window struct {
	Control string    `json:"control"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// OpenAtEnd: still violating when the period (or the history) ends.
	OpenAtEnd bool `json:"open_at_end"`
	// Setting is the violating value ("DirectInternetAccess=Enabled (default)").
	Setting string `json:"setting"`
	// StartedBy and EndedBy are the principals of the events that opened
	// and closed the window; EndEvent is empty when it is open at the end.
	StartedBy  string `json:"started_by"`
	StartEvent string `json:"start_event"`
	EndedBy    string `json:"ended_by,omitempty"`
	EndEvent   string `json:"end_event,omitempty"`
	// EndReason: deleted, fixed, or end of period.
	EndReason string `json:"end_reason"`
}

// Span states, as in Span.State.
const (
	SpanAbsent    = "absent"
	SpanCompliant = "compliant"
	SpanViolating = "violating"
	SpanUnknown   = "unknown"
)

// Span is a stretch of one control's state.
type Span struct {
	Control string    `json:"control"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	State   string    `json:"state"`
}

// Gap is a period without evidence.
type Gap struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Account  string    `json:"account,omitempty"`
	Region   string    `json:"region,omitempty"`
	Control  string    `json:"control,omitempty"`
	Reason   string    `json:"reason"`
	Resource string    `json:"resource,omitempty"`
}

// SourceError is a source (an API call, an object, a file) that could not be read.
type SourceError struct {
	Source  string `json:"source"`
	Message string `json:"message"`
}

// controlsOf are the controls a resource type's history decides.
func controlsOf(typ string) []string {
	if typ == TypeDomain {
		return []string{control.DomainVpcOnlyID}
	}
	return []string{control.DirectInternetAccessID, control.InVPCID}
}

// state of one control of one resource.
type state int

const (
	stateUnknown state = iota
	stateAbsent
	stateCompliant
	stateViolating
)

// judge is the state an event sets for a control, and the setting text;
// changed is false when the event does not touch the control's setting.
func judge(e Event, controlID string) (st state, setting string, changed bool) {
	if e.Action == "deleted" {
		return stateAbsent, "", true
	}
	switch controlID {
	case control.DirectInternetAccessID:
		if e.Action != "created" {
			return 0, "", false
		}
		v, note := awsfacts.DefaultDirectInternetAccess, " (default)"
		if e.DirectInternetAccess != nil {
			v, note = *e.DirectInternetAccess, ""
		}
		if v == awsfacts.DirectInternetAccessDisabled {
			return stateCompliant, "DirectInternetAccess=Disabled", true
		}
		return stateViolating, "DirectInternetAccess=" + v + note, true
	case control.InVPCID:
		if e.Action != "created" {
			return 0, "", false
		}
		if e.SubnetID != nil && *e.SubnetID != "" {
			return stateCompliant, "SubnetId=" + *e.SubnetID, true
		}
		return stateViolating, "no SubnetId", true
	case control.DomainVpcOnlyID:
		v, note := "", ""
		switch {
		case e.AppNetworkAccessType != nil:
			v = *e.AppNetworkAccessType
		case e.Action == "created":
			v, note = awsfacts.DefaultAppNetworkAccessType, " (default)"
		default:
			return 0, "", false // UpdateDomain without it leaves it unchanged
		}
		if v == awsfacts.AppNetworkAccessVpcOnly {
			return stateCompliant, "AppNetworkAccessType=VpcOnly", true
		}
		return stateViolating, "AppNetworkAccessType=" + v + note, true
	}
	return 0, "", false
}

// Build groups events (any order, duplicates allowed) into one history per
// resource and derives its windows and gaps over [from, to).
func Build(events []Event, from, to time.Time) []Resource {
	byKey := map[string]*Resource{}
	seen := map[string]bool{}
	var keys []string
	for _, e := range events {
		if e.Time.Before(from) || !e.Time.Before(to) || seen[e.EventID] {
			continue
		}
		seen[e.EventID] = true
		k := e.key()
		r, ok := byKey[k]
		if !ok {
			r = &Resource{Type: e.ResourceType, Name: e.Resource, Account: e.Account, Region: e.Region}
			byKey[k] = r
			keys = append(keys, k)
		}
		r.Events = append(r.Events, e)
		if r.ARN == "" {
			r.ARN = e.ARN
		}
		if r.DomainName == "" {
			r.DomainName = e.DomainName
		}
	}
	sort.Strings(keys)
	out := make([]Resource, 0, len(keys))
	for _, k := range keys {
		r := byKey[k]
		sort.SliceStable(r.Events, func(i, j int) bool {
			if !r.Events[i].Time.Equal(r.Events[j].Time) {
				return r.Events[i].Time.Before(r.Events[j].Time)
			}
			return r.Events[i].EventID < r.Events[j].EventID
		})
		r.Windows, r.Gaps, r.Timeline = []Window{}, []Gap{}, []Span{}
		for _, c := range controlsOf(r.Type) {
			w, g, sp := timeline(r, c, from, to)
			r.Windows = append(r.Windows, w...)
			r.Gaps = append(r.Gaps, g...)
			r.Timeline = append(r.Timeline, sp...)
		}
		for _, e := range r.Events {
			if !e.Failed() {
				r.Deleted = e.Action == "deleted"
			}
		}
		out = append(out, *r)
	}
	return out
}

var spanNames = map[state]string{stateUnknown: SpanUnknown, stateAbsent: SpanAbsent, stateCompliant: SpanCompliant, stateViolating: SpanViolating}

// timeline walks one control's states over the period.
func timeline(r *Resource, controlID string, from, to time.Time) ([]Window, []Gap, []Span) {
	var windows []Window
	var gaps []Gap
	var spans []Span
	cur := stateUnknown
	var started bool
	for _, e := range r.Events {
		if !e.Failed() {
			started = true
			if e.Action == "created" {
				cur = stateAbsent // before its creation it did not exist
			}
			break
		}
	}
	if !started {
		// Only failed calls: a failed create made nothing; failed updates or
		// deletes are calls on a resource whose settings no event shows.
		for _, e := range r.Events {
			if e.Action != "created" {
				gaps = append(gaps, Gap{From: from, To: to, Control: controlID, Resource: r.Name, Account: r.Account, Region: r.Region,
					Reason: "only failed calls in the period: the resource's settings are not in this history"})
				spans = append(spans, Span{Control: controlID, From: from, To: to, State: SpanUnknown})
				return []Window{}, gaps, spans
			}
		}
		// Only failed creates: the resource never existed.
		return []Window{}, gaps, []Span{{Control: controlID, From: from, To: to, State: SpanAbsent}}
	}
	since := from
	var open *Window
	var curSetting string
	closeSpan := func(until time.Time, by Event, reason string) {
		if until.After(since) {
			if n := len(spans); n > 0 && spans[n-1].State == spanNames[cur] && spans[n-1].To.Equal(since) {
				spans[n-1].To = until
			} else {
				spans = append(spans, Span{Control: controlID, From: since, To: until, State: spanNames[cur]})
			}
		}
		switch cur {
		case stateUnknown:
			if until.After(since) {
				gaps = append(gaps, Gap{From: since, To: until, Control: controlID, Resource: r.Name, Account: r.Account, Region: r.Region,
					Reason: "no event in the period shows this setting before " + until.Format(time.RFC3339) + " (the resource existed before the first event)"})
			}
		case stateViolating:
			if open != nil && reason != "" {
				open.End, open.EndedBy, open.EndEvent, open.EndReason = until, by.Principal, by.EventID, reason
				windows = append(windows, *open)
				open = nil
			}
		}
		since = until
	}
	for _, e := range r.Events {
		if e.Failed() {
			continue
		}
		next, setting, changed := judge(e, controlID)
		if !changed {
			continue
		}
		switch {
		case next == stateViolating && cur == stateViolating:
			// still violating (perhaps another violating value): one window
			if setting != curSetting && open != nil {
				open.Setting += "; then " + setting
			}
		case next == stateViolating:
			closeSpan(e.Time, e, "")
			open = &Window{Control: controlID, Start: e.Time, Setting: setting, StartedBy: e.Principal, StartEvent: e.EventID}
		case cur == stateViolating:
			reason := "fixed"
			if next == stateAbsent {
				reason = "deleted"
			}
			closeSpan(e.Time, e, reason)
		default:
			closeSpan(e.Time, e, "")
		}
		cur, curSetting = next, setting
	}
	closeSpan(to, Event{}, "")
	if open != nil {
		open.End, open.OpenAtEnd, open.EndReason = to, true, "end of period"
		windows = append(windows, *open)
	}
	if windows == nil {
		windows = []Window{}
	}
	return windows, gaps, spans
}

// Summarize fills h.Summary.
func (h *History) Summarize() {
	s := Summary{Resources: len(h.Resources), Gaps: len(h.Gaps)}
	for _, r := range h.Resources {
		s.Events += len(r.Events)
		s.ViolationWindows += len(r.Windows)
		s.Gaps += len(r.Gaps)
		for _, e := range r.Events {
			if e.Failed() {
				s.FailedCalls++
			}
		}
	}
	h.Summary = s
}
