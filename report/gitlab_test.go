package report

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
)

// TestGitLabSAST checks the fields GitLab's SAST report schema requires and
// the mapping: fails and unknowns are vulnerabilities, passes and
// suppressed findings are not; ids are stable UUIDs; errors make the scan
// a failure with messages.
func TestGitLabSAST(t *testing.T) {
	var rep struct {
		Version         string `json:"version"`
		Vulnerabilities []struct {
			ID, Category, Name, Description, Severity, Solution string
			Location                                            struct {
				File      string `json:"file"`
				StartLine int    `json:"start_line"`
			} `json:"location"`
			Identifiers []struct{ Type, Name, Value string } `json:"identifiers"`
		} `json:"vulnerabilities"`
		Scan struct {
			Analyzer, Scanner struct {
				ID, Name, Version string
				Vendor            struct{ Name string }
			}
			Type      string `json:"type"`
			Status    string `json:"status"`
			StartTime string `json:"start_time"`
			EndTime   string `json:"end_time"`
			Messages  []struct{ Level, Value string }
		} `json:"scan"`
	}
	if err := json.Unmarshal(render(t, "gitlab-sast", Options{}), &rep); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range fixtureResult().Findings {
		if f.Status == finding.Fail || f.Status == finding.Unknown {
			want++
		}
	}
	if rep.Version != "15.0.7" || len(rep.Vulnerabilities) != want {
		t.Fatalf("version %q, %d vulnerabilities, want %d", rep.Version, len(rep.Vulnerabilities), want)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	ids := map[string]bool{}
	files := 0
	for _, v := range rep.Vulnerabilities {
		if !uuid.MatchString(v.ID) || ids[v.ID] {
			t.Errorf("id %q not a unique UUID", v.ID)
		}
		ids[v.ID] = true
		if v.Category != "sast" || v.Name == "" || v.Description == "" || len(v.Identifiers) == 0 || v.Identifiers[0].Type != "sagefence_control" {
			t.Errorf("vulnerability lacks required fields: %+v", v)
		}
		switch v.Severity {
		case "High", "Medium", "Low":
		default:
			t.Errorf("severity %q", v.Severity)
		}
		if v.Location.File != "" {
			files++
			if v.Location.StartLine == 0 {
				t.Errorf("%s without start_line", v.Location.File)
			}
		}
	}
	if files == 0 {
		t.Error("no vulnerability has a file location")
	}
	s := rep.Scan
	if s.Type != "sast" || s.Analyzer.ID != "sagefence" || s.Scanner.Vendor.Name != "sagefence" || s.Status != "failure" ||
		len(s.Messages) != len(fixtureResult().Errors) || s.StartTime != "2026-11-25T12:00:00" || s.EndTime == "" {
		t.Errorf("scan: %+v", s)
	}
}

func TestGitLabCodeQuality(t *testing.T) {
	var issues []struct {
		Description string `json:"description"`
		CheckName   string `json:"check_name"`
		Fingerprint string `json:"fingerprint"`
		Severity    string `json:"severity"`
		Location    struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
	if err := json.Unmarshal(render(t, "gitlab-codequality", Options{}), &issues); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, f := range fixtureResult().Findings {
		if f.Status == finding.Fail || f.Status == finding.Unknown {
			want++
		}
	}
	if len(issues) != want {
		t.Fatalf("%d issues, want %d", len(issues), want)
	}
	seen := map[string]bool{}
	for _, is := range issues {
		if is.Description == "" || is.CheckName == "" || is.Location.Path == "" || is.Location.Lines.Begin < 1 || seen[is.Fingerprint] || len(is.Fingerprint) != 32 {
			t.Errorf("issue: %+v", is)
		}
		seen[is.Fingerprint] = true
		switch is.Severity {
		case "critical", "major", "minor":
		default:
			t.Errorf("severity %q", is.Severity)
		}
		if strings.HasPrefix(is.Location.Path, "/") {
			t.Errorf("absolute path %q", is.Location.Path)
		}
	}
}
