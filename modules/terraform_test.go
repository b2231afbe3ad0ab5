package modules_test

import (
	"path/filepath"
	"testing"

	"github.com/sagefence/sagefence/internal/testutil"
	"github.com/sagefence/sagefence/internal/testutil/cleanscan"
)

const notebookModule = "terraform/sagemaker-notebook"

// TestNotebookModuleValidates runs terraform validate (offline provider) on the
// module and on each example, on a copy of the module tree so the examples'
// relative source ("../..") still resolves.
func TestNotebookModuleValidates(t *testing.T) {
	for _, dir := range []string{".", "examples/basic"} {
		t.Run(dir, func(t *testing.T) {
			tmp := t.TempDir()
			testutil.CopyDir(t, notebookModule, tmp)
			testutil.TerraformValidate(t, filepath.Join(tmp, dir))
		})
	}
}

// TestNotebookModuleScansClean scans the module and its example with the
// engine and expects no fail.
// A scan that sees no notebook never counts as clean (cleanscan.Require).
func TestNotebookModuleScansClean(t *testing.T) {
	for _, dir := range []string{notebookModule, filepath.Join(notebookModule, "examples/basic")} {
		t.Run(dir, func(t *testing.T) { cleanscan.Require(t, dir, "Terraform") })
	}
}
