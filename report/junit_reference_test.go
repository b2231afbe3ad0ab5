package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// junitWhole is how JUnit.Format wrote the document before it streamed:
// every case built into the document, which is encoded at once. It is the
// reference TestJUnitStreamMatchesEncoder holds the streaming Format to, and
// must not share Format's code.
func junitWhole(w io.Writer, r *finding.Result) error {
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
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// TestJUnitStreamMatchesEncoder: the document written a control's cases at
// a time has the bytes of the whole document encoded at once, in memory and
// from a store that spilled every finding, also when scanned text looks like
// a placeholder. The spools are made small, so the cases go through their
// temporary files.
func TestJUnitStreamMatchesEncoder(t *testing.T) {
	defer func(limit int) { spoolMemLimit = limit }(spoolMemLimit)
	spoolMemLimit = 64
	variants := map[string]func(r *finding.Result){
		"fixture":     func(*finding.Result) {},
		"no findings": func(r *finding.Result) { r.Findings = []finding.Finding{} },
		"only errors and gaps": func(r *finding.Result) {
			r.Findings = nil
			r.Errors = append(r.Errors, model.Error{File: "a.tf", Line: 3, Message: `<testcase name="sagefence-cases-0" time="0"></testcase>`})
		},
		"unknown control and markup": func(r *finding.Result) {
			r.Findings[0].ControlID = "CUSTOM_1"
			r.Findings[1].Message = "<script>&]]></script> sagefence-cases-"
		},
	}
	for name, change := range variants {
		t.Run(name, func(t *testing.T) {
			r := fixtureResult()
			change(r)
			var want bytes.Buffer
			if err := junitWhole(&want, r); err != nil {
				t.Fatal(err)
			}
			formatsAs(t, JUnit{}, r, want.Bytes(), "streamed JUnit differs from the encoder's")
			formatsAs(t, JUnit{}, spilled(t, r), want.Bytes(), "JUnit from a spilled store differs")
		})
	}
}
