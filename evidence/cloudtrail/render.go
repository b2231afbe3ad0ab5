package cloudtrail

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Formats are the formats Write accepts.
var Formats = []string{"table", "json", "csv"}

// Write renders the history: json (the History), csv (one row per event and
// per window, a "kind" column tells them apart) or table (per resource).
func Write(w io.Writer, h *History, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	case "csv":
		return writeCSV(w, h)
	case "table":
		return writeTable(w, h)
	}
	return fmt.Errorf("unknown format %q: one of %s", format, strings.Join(Formats, ", "))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func writeCSV(w io.Writer, h *History) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"kind", "account", "region", "resource_type", "resource", "time", "end", "event", "action", "principal",
		"source_ip", "user_agent", "direct_internet_access", "subnet_id", "security_group_ids", "app_network_access_type",
		"error_code", "control", "setting", "ended_by", "end_reason", "event_id", "source"})
	for _, r := range h.Resources {
		for _, e := range r.Events {
			_ = cw.Write([]string{"event", e.Account, e.Region, e.ResourceType, e.Resource, ts(e.Time), "", e.EventName, e.Action, e.Principal,
				e.SourceIP, e.UserAgent, deref(e.DirectInternetAccess), deref(e.SubnetID), strings.Join(e.SecurityGroupIDs, " "),
				deref(e.AppNetworkAccessType), e.ErrorCode, "", "", "", "", e.EventID, e.Source})
		}
		for _, v := range r.Windows {
			_ = cw.Write([]string{"violation_window", r.Account, r.Region, r.Type, r.Name, ts(v.Start), ts(v.End), "", "", v.StartedBy,
				"", "", "", "", "", "", "", v.Control, v.Setting, v.EndedBy, v.EndReason, v.StartEvent, ""})
		}
		for _, g := range r.Gaps {
			_ = cw.Write([]string{"gap", r.Account, r.Region, r.Type, r.Name, ts(g.From), ts(g.To), "", "", "",
				"", "", "", "", "", "", "", g.Control, g.Reason, "", "", "", ""})
		}
	}
	for _, g := range h.Gaps {
		_ = cw.Write([]string{"gap", g.Account, g.Region, "", "", ts(g.From), ts(g.To), "", "", "",
			"", "", "", "", "", "", "", "", g.Reason, "", "", "", ""})
	}
	cw.Flush()
	return cw.Error()
}

func writeTable(w io.Writer, h *History) error {
	var b strings.Builder
	fmt.Fprintf(&b, "CloudTrail history %s to %s (%s)\n\n", ts(h.Period.From), ts(h.Period.To), strings.Join(h.Sources, ", "))
	for _, r := range h.Resources {
		name := r.Name
		if r.DomainName != "" && r.DomainName != r.Name {
			name += " (" + r.DomainName + ")"
		}
		state := ""
		if r.Deleted {
			state = " [deleted]"
		}
		fmt.Fprintf(&b, "%s %s  %s/%s%s\n", shortType(r.Type), name, r.Account, r.Region, state)
		for _, e := range r.Events {
			status := e.Action
			if e.Failed() {
				status = "FAILED " + e.ErrorCode
			}
			fmt.Fprintf(&b, "  %s  %-22s %-18s by %s", ts(e.Time), e.EventName, status, e.Principal)
			if e.SourceIP != "" {
				fmt.Fprintf(&b, " from %s", e.SourceIP)
			}
			b.WriteString("\n")
			if s := settings(e); s != "" {
				fmt.Fprintf(&b, "  %20s  %s\n", "", s)
			}
		}
		for _, v := range r.Windows {
			end := ts(v.End) + " (" + v.EndReason
			if v.EndedBy != "" {
				end += " by " + v.EndedBy
			}
			end += ")"
			fmt.Fprintf(&b, "  VIOLATION %s: %s from %s (by %s) to %s\n", v.Control, v.Setting, ts(v.Start), v.StartedBy, end)
		}
		for _, g := range r.Gaps {
			fmt.Fprintf(&b, "  GAP %s: %s to %s: %s\n", g.Control, ts(g.From), ts(g.To), g.Reason)
		}
		b.WriteString("\n")
	}
	for _, g := range h.Gaps {
		fmt.Fprintf(&b, "GAP %s/%s %s to %s: %s\n", g.Account, g.Region, ts(g.From), ts(g.To), g.Reason)
	}
	for _, e := range h.Errors {
		fmt.Fprintf(&b, "ERROR %s: %s\n", e.Source, e.Message)
	}
	s := h.Summary
	fmt.Fprintf(&b, "Summary: %d resource(s), %d event(s), %d failed call(s), %d violation window(s), %d gap(s), %d error(s)\n",
		s.Resources, s.Events, s.FailedCalls, s.ViolationWindows, s.Gaps, len(h.Errors))
	_, err := io.WriteString(w, b.String())
	return err
}

func shortType(t string) string {
	if t == TypeDomain {
		return "domain"
	}
	return "notebook"
}

// settings is the network settings an event carried, "" when none.
func settings(e Event) string {
	var parts []string
	if e.DirectInternetAccess != nil {
		parts = append(parts, "DirectInternetAccess="+*e.DirectInternetAccess)
	} else if e.ResourceType == TypeNotebook && e.Action == "created" {
		parts = append(parts, "DirectInternetAccess omitted (default Enabled)")
	}
	if e.SubnetID != nil {
		parts = append(parts, "subnet "+*e.SubnetID)
	}
	if len(e.SecurityGroupIDs) > 0 {
		parts = append(parts, "security groups "+strings.Join(e.SecurityGroupIDs, ","))
	}
	if e.AppNetworkAccessType != nil {
		parts = append(parts, "AppNetworkAccessType="+*e.AppNetworkAccessType)
	}
	if e.ErrorMessage != "" {
		parts = append(parts, "error: "+e.ErrorMessage)
	}
	return strings.Join(parts, "; ")
}
