package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// CSV writes one row per finding (passes included) under a fixed header, as
// the findings are read (a streamed result's are never all in memory),
// quoted per RFC 4180 by encoding/csv. Lists (frameworks, aliases,
// evidence) are joined with "; ". observed is empty when the value is
// unknown; the resolution column says so. Values are written as they are:
// spreadsheet users opening untrusted results should import, not open.
type CSV struct{}

// csvHeader is the column contract; add columns at the end only.
var csvHeader = []string{
	"control_id", "status", "severity", "surface",
	"resource_type", "address", "name", "arn", "account", "region",
	"file", "start_line", "end_line",
	"attribute", "observed", "expected", "resolution", "message", "remediation",
	"suppression_source", "suppression_reason", "suppression_expires",
	"frameworks", "aliases", "evidence",
}

// Format implements Formatter.
func (CSV) Format(w io.Writer, r *finding.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	err := r.EachFinding(func(f *finding.Finding) error {
		var sSource, sReason, sExpires string
		if f.Suppression != nil {
			sSource, sReason, sExpires = f.Suppression.Source, f.Suppression.Reason, f.Suppression.Expires
		}
		observed := ""
		if f.Observed != nil {
			observed = *f.Observed
		}
		row := []string{
			f.ControlID, string(f.Status), string(f.Severity), f.Surface,
			f.Resource.Type, f.Resource.Address, f.Resource.Name, f.Resource.ARN, f.Resource.Account, f.Resource.Region,
			f.Location.File, lineText(f.Location.StartLine), lineText(f.Location.EndLine),
			f.Attribute, observed, f.Expected, string(f.Resolution), f.Message, f.Remediation,
			sSource, sReason, sExpires,
			strings.Join(frameworkRefs(f.Frameworks), "; "), strings.Join(f.Aliases, "; "), strings.Join(f.Evidence, "; "),
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// streamsFindings: CSV writes each finding as it reads it (StreamsFindings).
func (CSV) streamsFindings() {}

func lineText(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
