package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/engine"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// TestNoise scans configurations in the style of big public module
// repositories (testdata/noise): remote module calls, counts and for_each
// that depend on data sources, optional() objects, no SageMaker resource or
// a notebook with access enabled. Each must give no error and no unknown
// finding, no finding at all without a SageMaker resource, and exactly the
// gaps its gaps.txt lists ("ROOT ADDRESS" lines): one module_not_downloaded
// per remote module call, per root, and nothing for what no control reads.
func TestNoise(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/noise/*/gaps.txt")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no noise fixtures: %v", err)
	}
	for _, g := range dirs {
		dir := filepath.Dir(g)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(g)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					want = append(want, line)
				}
			}
			t.Chdir(dir)
			res := engine.Scan(context.Background(), []string{"."}, engine.Options{Options: surface.Options{Getenv: func(string) string { return "" }}})
			for _, e := range res.Errors {
				t.Errorf("error: %s", e.Error())
			}
			sageMaker := hasSageMaker(t)
			for _, f := range res.Findings {
				if f.Status == finding.Unknown || !sageMaker {
					t.Errorf("finding %s %s %s: %s", f.ControlID, f.Resource.Address, f.Status, f.Message)
				}
			}
			var got []string
			for _, gap := range res.Gaps {
				if gap.Kind != model.GapModuleNotDownloaded {
					t.Errorf("gap %s %s (%s): %s", gap.Kind, gap.Address, gap.Root, gap.Reason)
				}
				got = append(got, gap.Root+" "+gap.Address)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("gaps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// hasSageMaker reports whether a .tf file under the working directory
// declares a SageMaker resource.
func hasSageMaker(t *testing.T) bool {
	found := false
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		b, err := os.ReadFile(p)
		found = found || strings.Contains(string(b), `resource "aws_sagemaker_`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
