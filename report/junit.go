package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// JUnit writes JUnit XML in the shape Jenkins, GitLab and the Ant junit
// schema read: <testsuites> with one <testsuite> per control and one
// <testcase> per control × resource.
//
//   - classname is the control ID; name is the resource address, followed by
//     "(file)" for IaC or "(account/region)" for live resources, so the same
//     resource in two roots or regions stays two test cases;
//   - fail → <failure type="<severity>" message="...">, with the details;
//   - unknown → <error type="unknown" message="...">: the check could not
//     run to a verdict, which is what JUnit's "error" means (a test that
//     could not complete), and CI shows errors as red, never as passed;
//   - suppressed → <skipped message="suppressed: <source>: <reason> (until ...)">;
//   - pass → an empty <testcase>;
//   - input errors (files that could not be parsed, regions not reached) →
//     a "sagefence.inputs" suite with one <error> test case each;
//   - gaps (what could not be looked at, once per cause) → a
//     "sagefence.gaps" suite with one <error type="<gap kind>"> test case
//     each: a check that could not run.
//
// time is "0" (sagefence does not time single checks); timestamp is the
// scan's start (Scope.Time) without the zone, as the Ant schema wants.
type JUnit struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties *junitPropsList `xml:"properties,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitPropsList struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// Format implements Formatter.
func (JUnit) Format(w io.Writer, r *finding.Result) error {
	timestamp := ""
	if r.Scope != nil && len(r.Scope.Time) >= 19 {
		timestamp = r.Scope.Time[:19]
	}
	byControl := map[string][]finding.Finding{}
	for _, f := range r.Findings {
		byControl[f.ControlID] = append(byControl[f.ControlID], f)
	}
	doc := junitSuites{Name: "sagefence", Time: "0"}
	for _, id := range controlOrder(r.Findings) {
		suite := junitSuite{Name: id, Time: "0", Timestamp: timestamp}
		suite.Properties = &junitPropsList{Props: []junitProp{
			{Name: "title", Value: controlTitle(id)},
			{Name: "severity", Value: string(byControl[id][0].Severity)},
		}}
		for _, f := range byControl[id] {
			suite.Cases = append(suite.Cases, junitCaseFor(f))
		}
		doc.Suites = append(doc.Suites, suite)
	}
	if len(r.Errors) > 0 {
		suite := junitSuite{Name: "sagefence.inputs", Time: "0", Timestamp: timestamp}
		for _, e := range r.Errors {
			where := e.File
			if where == "" {
				where = strings.Trim(e.Account+"/"+e.Region, "/")
			}
			suite.Cases = append(suite.Cases, junitCase{
				Name: where, Classname: "sagefence.inputs", File: e.File, Time: "0",
				Error: &junitProblem{Message: e.Message, Type: "input", Text: e.Error()},
			})
		}
		doc.Suites = append(doc.Suites, suite)
	}
	if len(r.Gaps) > 0 {
		suite := junitSuite{Name: "sagefence.gaps", Time: "0", Timestamp: timestamp}
		for _, g := range r.Gaps {
			suite.Cases = append(suite.Cases, junitCase{
				Name: g.Address + " (" + g.Where() + ")", Classname: "sagefence.gaps", File: slashPath(g.File), Time: "0",
				Error: &junitProblem{Message: g.Reason, Type: string(g.Kind), Text: gapLine(g)},
			})
		}
		doc.Suites = append(doc.Suites, suite)
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding JUnit XML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCaseFor(f finding.Finding) junitCase {
	name := f.Resource.Address
	switch {
	case f.Location.File != "":
		name += " (" + slashPath(f.Location.File) + ")"
	case isLive(f):
		name = resourceLabel(f)
	}
	c := junitCase{Name: name, Classname: f.ControlID, Time: "0"}
	if f.Location.File != "" {
		c.File = slashPath(f.Location.File)
	}
	switch f.Status {
	case finding.Fail:
		c.Failure = &junitProblem{Message: f.Message, Type: string(f.Severity), Text: junitDetails(f)}
	case finding.Unknown:
		c.Error = &junitProblem{Message: f.Message, Type: "unknown", Text: junitDetails(f)}
	case finding.Suppressed:
		c.Skipped = &junitSkipped{Message: "suppressed: " + suppressionText(f.Suppression)}
	}
	return c
}

// junitDetails is the body of a failure or error: where, what was observed
// and the fix.
func junitDetails(f finding.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", f.Message)
	if where := place(f); where != "" {
		fmt.Fprintf(&b, "where: %s\n", where)
	}
	if f.Resource.ARN != "" {
		fmt.Fprintf(&b, "arn: %s\n", f.Resource.ARN)
	}
	if f.Attribute != "" {
		fmt.Fprintf(&b, "%s: %s", f.Attribute, observedText(f))
		if f.Observed != nil {
			fmt.Fprintf(&b, " (%s)", f.Resolution)
		}
		fmt.Fprintf(&b, "; expected %s\n", f.Expected)
	}
	for _, e := range f.Evidence {
		fmt.Fprintf(&b, "| %s\n", e)
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, "fix: %s\n", f.Remediation)
	}
	return b.String()
}
