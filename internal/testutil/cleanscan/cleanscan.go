// Package cleanscan checks that sagefence's own prevention artefacts (the
// Terraform module under modules/, the CloudFormation template under
// templates/) scan clean. It is a separate package from internal/testutil
// because it runs the engine, which the surfaces' own tests cannot import.
package cleanscan

import (
	"context"
	"testing"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
)

// Require scans path with every control and requires no scan error, no
// fail, at least one notebook instance, and every notebook passing direct
// internet access. A scan that sees no notebook never counts as clean;
// surfaceName names the surface expected to read path in that message.
func Require(t testing.TB, path, surfaceName string) {
	t.Helper()
	res := engine.Scan(context.Background(), []string{path}, engine.Options{})
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
		t.Fatalf("the scan of %s found no notebook instance (is the %s surface wired into engine.Scan?)", path, surfaceName)
	}
}
