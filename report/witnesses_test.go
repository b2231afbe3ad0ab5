package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
)

// witnessResult: a failing notebook whose Config rule says COMPLIANT, a
// passing notebook Security Hub agrees on, and two domains in a region
// without the domain rule.
func witnessResult() *finding.Result {
	live := func(addr string, st finding.Status, ws ...finding.Witness) finding.Finding {
		return finding.Finding{ControlID: "sagemaker_notebook_instance_direct_internet_access_disabled", Status: st, Severity: finding.High, Surface: "aws",
			Resource: finding.Resource{Type: "AWS::SageMaker::NotebookInstance", Address: addr, Account: "111111111111", Region: "eu-west-1", ARN: "arn:aws:sagemaker:eu-west-1:111111111111:notebook-instance/" + addr},
			Message:  "m", Remediation: "r.", Witnesses: ws}
	}
	gap := finding.Witness{Source: "aws-config", Rule: "SAGEMAKER_DOMAIN_IN_VPC", Status: "NOT_DEPLOYED", Outcome: "not_enabled", Note: "no rule: an evidence gap"}
	dom := func(id string) finding.Finding {
		return finding.Finding{ControlID: "sagemaker_domain_vpc_only", Status: finding.Fail, Severity: finding.High, Surface: "aws",
			Resource: finding.Resource{Type: "AWS::SageMaker::Domain", Address: id, Account: "111111111111", Region: "eu-west-1"}, Witnesses: []finding.Witness{gap}}
	}
	r := &finding.Result{FormatVersion: finding.FormatVersion, Findings: []finding.Finding{
		live("stale-nb", finding.Fail, finding.Witness{Source: "aws-config", Rule: "sagemaker-notebook-no-direct-internet-access", Status: "COMPLIANT",
			Evaluated: "2026-11-20T10:00:00Z", Outcome: "disagrees", Note: "stale evaluation"}),
		live("good-nb", finding.Pass, finding.Witness{Source: "security-hub", Rule: "SageMaker.1", Status: "PASSED", Agrees: true, Outcome: "agrees",
			WorkflowStatus: "RESOLVED", RecordState: "ACTIVE", Note: "agrees"}),
		dom("d-one"), dom("d-two"),
	}}
	r.Finalize()
	return r
}

// TestWitnessesRendered: every human format shows the counts, the
// disagreement with both verdicts and the evaluation time, and the region's
// missing rule once with both domains.
func TestWitnessesRendered(t *testing.T) {
	for name, f := range map[string]Formatter{"table": Table{}, "markdown": Markdown{}, "html": HTML{}} {
		var buf bytes.Buffer
		if err := f.Format(&buf, witnessResult()); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"1 agrees, 1 disagrees, 2 not enabled", "stale-nb", "COMPLIANT (evaluated 2026-11-20T10:00:00Z)", "stale evaluation",
			"SAGEMAKER_DOMAIN_IN_VPC", "NOT_DEPLOYED", "d-one", "d-two"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
		if n := strings.Count(out, "NOT_DEPLOYED for d-one, d-two"); name != "html" && n != 1 {
			t.Errorf("%s: the gap is shown %d times, want once for both domains:\n%s", name, n, out)
		}
	}
}

// TestNoWitnessSectionWithout: a result without witnesses renders no
// witness section.
func TestNoWitnessSectionWithout(t *testing.T) {
	r := witnessResult()
	for i := range r.Findings {
		r.Findings[i].Witnesses = nil
	}
	for name, f := range map[string]Formatter{"table": Table{}, "markdown": Markdown{}, "html": HTML{}} {
		var buf bytes.Buffer
		if err := f.Format(&buf, r); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "AWS witnesses") {
			t.Errorf("%s shows a witness section without witnesses", name)
		}
	}
}
