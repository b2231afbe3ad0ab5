package modules_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/internal/testutil"
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
//
// INTEGRATION TEST: it is only meaningful once the Terraform surface is part of
// engine.Scan (it is built in parallel). Until then the scan finds no notebook
// and this test FAILS on purpose: a scan that sees nothing must never count as
// clean.
func TestNotebookModuleScansClean(t *testing.T) {
	for _, dir := range []string{notebookModule, filepath.Join(notebookModule, "examples/basic")} {
		t.Run(dir, func(t *testing.T) {
			res := engine.Scan(context.Background(), []string{dir}, engine.Options{})
			for _, e := range res.Errors {
				t.Errorf("scan error: %s", e.Error())
			}
			notebooks := 0
			for _, f := range res.Findings {
				if f.ControlID == control.DirectInternetAccessID {
					notebooks++
					if f.Status != finding.Pass {
						t.Errorf("%s on %s: %s, want pass: %s", f.ControlID, f.Resource.Address, f.Status, f.Message)
					}
				}
				if f.Status == finding.Fail {
					t.Errorf("%s on %s fails: %s", f.ControlID, f.Resource.Address, f.Message)
				}
			}
			if notebooks == 0 {
				t.Fatalf("the scan of %s found no notebook instance (is the Terraform surface wired into engine.Scan?)", dir)
			}
		})
	}
}
