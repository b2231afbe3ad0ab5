package templates_test

import (
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/internal/testutil/cleanscan"
)

const notebookTemplate = "cloudformation/sagemaker-notebook.yaml"

func TestNotebookTemplateLints(t *testing.T) {
	testutil.CfnLint(t, notebookTemplate)
}

// TestNotebookTemplateScansClean scans the template with the engine and
// expects the notebook to pass direct internet access and nothing to fail.
// A scan that sees no notebook never counts as clean (cleanscan.Require).
func TestNotebookTemplateScansClean(t *testing.T) {
	cleanscan.Require(t, notebookTemplate, "CloudFormation")
}
