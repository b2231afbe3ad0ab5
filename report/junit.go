package report

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
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

// Format implements Formatter. The findings are read once (a streamed
// result's one at a time, never all in memory): each is encoded as its
// control's next test case and counted, the cases going to a spool per
// control (memory, then a private temporary file removed before Format
// returns). Then the document around the cases is encoded whole, with one placeholder case per control suite, and each placeholder
// is replaced by the control's cases. The bytes are those of xml.Encoder on
// the whole document (TestJUnitStreamMatchesEncoder).
func (JUnit) Format(w io.Writer, r *finding.Result) error {
	var sp spools
	defer sp.close()
	suites, groups, err := junitControlSuites(r, &sp)
	if err != nil {
		return err
	}
	var nonce [8]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	// The placeholder of suite i; the nonce keeps scanned text (in the
	// inputs and gaps suites) from ever matching one.
	placeholder := func(i int) junitCase {
		return junitCase{Name: fmt.Sprintf("sagefence-cases-%x-%d", nonce, i), Time: "0"}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(junitDocument(r, suites, placeholder)); err != nil {
		return fmt.Errorf("encoding JUnit XML: %w", err)
	}
	buf.WriteString("\n")
	rest := buf.Bytes()
	bw := bufio.NewWriter(w)
	for i := range suites {
		var ph bytes.Buffer
		if err := encodeCase(&ph, placeholder(i)); err != nil {
			return err
		}
		before, after, ok := bytes.Cut(rest, ph.Bytes())
		if !ok {
			return errors.New("junit: a suite's placeholder is missing")
		}
		bw.Write(before)
		if err := groups[i].rows.copyTo(bw); err != nil {
			return err
		}
		rest = after
	}
	bw.Write(rest)
	return bw.Flush()
}

// junitCasePrefix begins the lines of a test case: it sits two levels deep
// (testsuites > testsuite > testcase).
const junitCasePrefix = "    "

// testcaseElement is a case's element, as junitSuite's Cases name it.
var testcaseElement = xml.StartElement{Name: xml.Name{Local: "testcase"}}

// encodeCase writes one test case as it appears in its suite.
func encodeCase(w io.Writer, tc junitCase) error {
	enc := xml.NewEncoder(w)
	enc.Indent(junitCasePrefix, "  ")
	if err := enc.EncodeElement(tc, testcaseElement); err != nil {
		return fmt.Errorf("encoding JUnit XML: %w", err)
	}
	return enc.Flush()
}

// junitControlSuites reads the findings once (groupByControl) and returns
// the suites of the controls they name, in report order, with their counts
// and properties but no cases, and the groups whose rows are each suite's
// cases, encoded one after the other as they appear in the suite.
func junitControlSuites(r *finding.Result, sp *spools) ([]junitSuite, []*controlGroup, error) {
	encoders := map[io.Writer]*xml.Encoder{} // one per control's rows
	groups, err := groupByControl(r, sp, func(f *finding.Finding, rows io.Writer) error {
		enc := encoders[rows]
		if enc == nil {
			enc = xml.NewEncoder(rows)
			enc.Indent(junitCasePrefix, "  ")
			encoders[rows] = enc
		}
		if err := enc.EncodeElement(junitCaseFor(*f), testcaseElement); err != nil {
			return fmt.Errorf("encoding JUnit XML: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for _, enc := range encoders {
		if err := enc.Flush(); err != nil {
			return nil, nil, err
		}
	}
	var suites []junitSuite
	for _, g := range groups {
		suites = append(suites, junitSuite{Name: g.ID, Time: "0",
			Tests: g.Total, Failures: g.Fail, Errors: g.Unknown, Skipped: g.Suppressed,
			Properties: &junitPropsList{Props: []junitProp{
				{Name: "title", Value: controlTitle(g.ID)},
				{Name: "severity", Value: string(g.Severity)},
			}}})
	}
	return suites, groups, nil
}

// junitDocument is the whole document: the control suites, each holding the
// one case placeholder gives it, then the inputs and gaps suites, with the
// totals.
func junitDocument(r *finding.Result, controls []junitSuite, placeholder func(int) junitCase) junitSuites {
	timestamp := ""
	if r.Scope != nil && len(r.Scope.Time) >= 19 {
		timestamp = r.Scope.Time[:19]
	}
	doc := junitSuites{Name: "sagefence", Time: "0"}
	for i, suite := range controls {
		suite.Timestamp = timestamp
		suite.Cases = []junitCase{placeholder(i)}
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
		suite.Tests, suite.Errors = len(suite.Cases), len(suite.Cases)
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
		suite.Tests, suite.Errors = len(suite.Cases), len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	return doc
}

// streamsFindings: JUnit reads the findings one at a time
// (StreamsFindings).
func (JUnit) streamsFindings() {}

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
