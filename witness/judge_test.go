package witness

import (
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
)

// TestDisagreementMatrix: every way a witness can agree, disagree or be
// missing gives the documented outcome (Judge's table, docs/audit.md).
func TestDisagreementMatrix(t *testing.T) {
	tests := []struct {
		verdict      finding.Status
		source       string
		status       string
		record       string
		wantOutcome  string
		wantAgrees   bool
		noteContains string
	}{
		{finding.Pass, SourceConfig, "COMPLIANT", "", OutcomeAgrees, true, "says COMPLIANT too"},
		{finding.Fail, SourceConfig, "NON_COMPLIANT", "", OutcomeAgrees, true, "NON_COMPLIANT too"},
		{finding.Pass, SourceSecurityHub, "PASSED", "ACTIVE", OutcomeAgrees, true, "PASSED too"},
		{finding.Fail, SourceSecurityHub, "FAILED", "ACTIVE", OutcomeAgrees, true, "FAILED too"},
		{finding.Fail, SourceConfig, "COMPLIANT", "", OutcomeDisagrees, false, "stale or the rule checks less"},
		{finding.Fail, SourceSecurityHub, "PASSED", "ACTIVE", OutcomeDisagrees, false, "stale"},
		{finding.Pass, SourceConfig, "NON_COMPLIANT", "", OutcomeDisagrees, false, "predates a fix"},
		{finding.Pass, SourceSecurityHub, "FAILED", "ACTIVE", OutcomeDisagrees, false, "re-evaluate"},
		{finding.Fail, SourceConfig, StatusNotDeployed, "", OutcomeNotEnabled, false, "evidence gap"},
		{finding.Pass, SourceSecurityHub, StatusNotEnabled, "", OutcomeNotEnabled, false, "not enabled"},
		{finding.Fail, SourceSecurityHub, StatusControlNotEnabled, "", OutcomeNotEnabled, false, "not enabled in any enabled standard"},
		{finding.Pass, SourceConfig, StatusNoResult, "", OutcomeNotEvaluated, false, "no evaluation of this resource"},
		{finding.Fail, SourceSecurityHub, StatusNoFinding, "", OutcomeNotEvaluated, false, "no finding for this resource"},
		{finding.Pass, SourceConfig, "NOT_APPLICABLE", "", OutcomeInconclusive, false, "no verdict to compare"},
		{finding.Pass, SourceConfig, "INSUFFICIENT_DATA", "", OutcomeInconclusive, false, "no verdict"},
		{finding.Fail, SourceSecurityHub, "WARNING", "ACTIVE", OutcomeInconclusive, false, "no verdict"},
		{finding.Fail, SourceSecurityHub, "NOT_AVAILABLE", "ACTIVE", OutcomeInconclusive, false, "no verdict"},
		{finding.Pass, SourceSecurityHub, "PASSED", "ARCHIVED", OutcomeInconclusive, false, "ARCHIVED"},
		{finding.Unknown, SourceConfig, "COMPLIANT", "", OutcomeInconclusive, false, "verdict is unknown"},
		{finding.Suppressed, SourceSecurityHub, "FAILED", "ACTIVE", OutcomeInconclusive, false, "verdict is suppressed"},
		{finding.Pass, SourceConfig, StatusError, "", OutcomeError, false, "could not be read"},
	}
	for _, tt := range tests {
		t.Run(string(tt.verdict)+"/"+tt.source+"/"+tt.status+"/"+tt.record, func(t *testing.T) {
			got := Judge(tt.verdict, finding.Witness{Source: tt.source, Rule: "r", Status: tt.status, RecordState: tt.record})
			if got.Outcome != tt.wantOutcome || got.Agrees != tt.wantAgrees || !strings.Contains(got.Note, tt.noteContains) {
				t.Errorf("Judge = outcome %q agrees %v note %q; want %q %v containing %q",
					got.Outcome, got.Agrees, got.Note, tt.wantOutcome, tt.wantAgrees, tt.noteContains)
			}
			if got.Status != tt.status {
				t.Errorf("Judge changed the witness's status to %q", got.Status)
			}
		})
	}
}

// TestJudgeKeepsAnnotationAndSuppressedWorkflow: a Config annotation stays on
// the note, and a suppressed Security Hub workflow is said.
func TestJudgeKeepsAnnotationAndSuppressedWorkflow(t *testing.T) {
	w := Judge(finding.Fail, finding.Witness{Source: SourceConfig, Rule: "r", Status: "NON_COMPLIANT", Note: "annotation: direct access on"})
	if !strings.HasSuffix(w.Note, "; annotation: direct access on") || !w.Agrees {
		t.Errorf("note %q agrees %v", w.Note, w.Agrees)
	}
	w = Judge(finding.Fail, finding.Witness{Source: SourceSecurityHub, Rule: "SageMaker.1", Status: "FAILED", WorkflowStatus: "SUPPRESSED", RecordState: "ACTIVE"})
	if !strings.Contains(w.Note, "SUPPRESSED") || w.Outcome != OutcomeAgrees {
		t.Errorf("note %q outcome %q", w.Note, w.Outcome)
	}
}
