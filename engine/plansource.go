package engine

import (
	"context"
	"path/filepath"
	"regexp"

	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
	"github.com/sagefence/sagefence/surface/terraform"
)

// Plan findings mapped to source.
//
// A plan (terraform show -json) knows addresses but not where the resource
// blocks are written, nor the comments above them. When the Terraform
// configuration the plan came from is on disk — PlanSource (scan --source
// DIR), or else the plan file's own directory when it holds .tf files —
// the configuration is loaded with the Terraform surface and each plan
// resource whose address matches a source resource, instance keys ignored
// (module.a["x"].aws_sagemaker_notebook_instance.nb[0] is the block
// module.a.aws_sagemaker_notebook_instance.nb), takes that block's file and
// lines and its inline suppressions. A plan resource without a matching
// block (count or for_each unknown in the source, a module not on disk)
// keeps the plan's location: nothing is dropped.

// instanceKeys matches the instance keys of an address: [0], ["a"].
var instanceKeys = regexp.MustCompile(`\[(?:"(?:[^"\\]|\\.)*"|[0-9]+)\]`)

// blockAddress is an address without instance keys: the resource block.
func blockAddress(addr string) string { return instanceKeys.ReplaceAllString(addr, "") }

// planSourceDir is the configuration directory of a plan file: dir when
// given, else the plan's directory when it holds Terraform files, else "".
func planSourceDir(planFile, dir string) string {
	if dir != "" {
		return dir
	}
	if d := filepath.Dir(planFile); hasTerraformFiles(d) {
		return d
	}
	return ""
}

// mapPlanToSource rewrites the location and suppressions of the plan's
// notebooks and domains from the configuration in dir.
func mapPlanToSource(ctx context.Context, plan surface.Result, dir string, opts Options) surface.Result {
	if dir == "" || len(plan.Sets) == 0 {
		return plan
	}
	in := DiscoverIn(ctx, []string{dir}, opts.Jail)
	if len(in.TerraformDirs) == 0 {
		return plan
	}
	src := terraform.Load(ctx, terraform.Input{Dirs: in.TerraformDirs, Args: []string{filepath.Clean(dir)}}, opts.Options)
	blocks := map[string]model.Meta{}
	for _, set := range src.Sets {
		add := func(m model.Meta) {
			key := m.Type + " " + blockAddress(m.Address)
			if _, seen := blocks[key]; !seen {
				blocks[key] = m
			}
		}
		for _, nb := range set.Notebooks {
			add(nb.Meta)
		}
		for _, d := range set.Domains {
			add(d.Meta)
		}
	}
	relocate := func(m *model.Meta) {
		b, ok := blocks[m.Type+" "+blockAddress(m.Address)]
		if !ok || b.Range.File == "" {
			return
		}
		m.Range = b.Range
		m.Suppressions = append(m.Suppressions, b.Suppressions...)
	}
	for _, set := range plan.Sets {
		for _, nb := range set.Notebooks {
			relocate(&nb.Meta)
		}
		for _, d := range set.Domains {
			relocate(&d.Meta)
		}
	}
	return plan
}
