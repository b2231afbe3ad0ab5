// Package cdk reads AWS CDK cloud assemblies (the cdk.out directory that
// `cdk synth` writes) into model.Sets, one Set per stack template.
//
// Contract:
//   - manifest.json is read; every artifact of type aws:cloudformation:stack
//     is loaded from properties.templateFile with the CloudFormation
//     evaluator, and every cdk:cloud-assembly artifact (a Stage) is read
//     recursively from properties.directoryName.
//   - Findings carry surface "cdk"; Meta.Address is the logical ID, Meta.Path
//     the construct path (Metadata aws:cdk:path), Meta.Stack the stack name
//     (properties.stackName, else the artifact ID).
//   - The stack environment (aws://ACCOUNT/REGION) resolves AWS::AccountId
//     and AWS::Region unless it is unknown-account/unknown-region; then
//     --account/--region apply.
//   - CDK nested stacks (AWS::CloudFormation::Stack whose Metadata
//     aws:asset:path names a template in the assembly) are loaded too, with
//     the stack name "<parent>/<logical ID>".
//   - A missing or broken manifest or template is a model.Error; the other
//     stacks are still loaded.
package cdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
	"github.com/sagefence/sagefence/surface/cloudformation"
)

// manifest is the part of manifest.json sagefence reads.
type manifest struct {
	Version   string              `json:"version"`
	Artifacts map[string]artifact `json:"artifacts"`
}

type artifact struct {
	Type        string `json:"type"`
	Environment string `json:"environment"`
	DisplayName string `json:"displayName"`
	Properties  struct {
		TemplateFile  string `json:"templateFile"`
		StackName     string `json:"stackName"`
		DirectoryName string `json:"directoryName"`
	} `json:"properties"`
}

// maxNesting bounds Stage and nested-stack recursion.
const maxNesting = 16

// Load reads the cloud assembly in dir with the user's inputs.
func Load(ctx context.Context, dir string, opts surface.Options) surface.Result {
	l, errs := cloudformation.NewLoader(ctx, opts)
	r := LoadWith(ctx, l, dir)
	r.Errors = append(errs, r.Errors...)
	return r
}

// LoadWith reads the cloud assembly in dir with an existing loader (whose
// parameter files were already read).
func LoadWith(ctx context.Context, l *cloudformation.Loader, dir string) surface.Result {
	return loadAssembly(ctx, l, dir, 0)
}

func loadAssembly(ctx context.Context, l *cloudformation.Loader, dir string, depth int) surface.Result {
	var res surface.Result
	mpath := filepath.Join(dir, "manifest.json")
	data, err := l.Jail().ReadFile(mpath, 0)
	if err != nil {
		res.Errors = append(res.Errors, model.Error{File: mpath, Message: fmt.Sprintf("reading cloud assembly manifest: %s", describeReadError(err))})
		return res
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		res.Errors = append(res.Errors, model.Error{File: mpath, Line: jsonErrorLine(data, err), Message: fmt.Sprintf("invalid cloud assembly manifest: %v", err)})
		return res
	}
	ids := make([]string, 0, len(m.Artifacts))
	for id := range m.Artifacts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if ctx.Err() != nil {
			res.Errors = append(res.Errors, model.Error{File: mpath, Message: ctx.Err().Error()})
			return res
		}
		a := m.Artifacts[id]
		switch a.Type {
		case "aws:cloudformation:stack":
			if a.Properties.TemplateFile == "" {
				res.Errors = append(res.Errors, model.Error{File: mpath, Message: fmt.Sprintf("stack artifact %s has no templateFile", id)})
				continue
			}
			name := a.Properties.StackName
			if name == "" {
				name = id
			}
			account, region := environment(a.Environment)
			stack := cloudformation.Stack{Surface: model.SurfaceCDK, Name: name, Region: region, Account: account}
			path, err := inAssembly(dir, a.Properties.TemplateFile, l.Jail())
			if errors.Is(err, fs.ErrNotExist) {
				path, err = filepath.Join(dir, a.Properties.TemplateFile), nil // loadStack reports it
			}
			if err != nil {
				res.Errors = append(res.Errors, model.Error{File: mpath, Message: fmt.Sprintf("stack artifact %s: templateFile %s", id, err)})
				continue
			}
			merge(&res, loadStack(ctx, l, path, stack, depth))
		case "cdk:cloud-assembly":
			if depth >= maxNesting || a.Properties.DirectoryName == "" {
				continue
			}
			sub, err := inAssembly(dir, a.Properties.DirectoryName, l.Jail())
			if err != nil {
				res.Errors = append(res.Errors, model.Error{File: mpath, Message: fmt.Sprintf("nested cloud assembly %s: directory %s", id, err)})
				continue
			}
			merge(&res, loadAssembly(ctx, l, sub, depth+1))
		}
	}
	return res
}

// loadStack loads one stack template and the CDK nested stacks it declares.
func loadStack(ctx context.Context, l *cloudformation.Loader, path string, stack cloudformation.Stack, depth int) surface.Result {
	data, err := l.Jail().ReadFile(path, 0)
	if err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: fmt.Sprintf("reading stack template: %s", describeReadError(err))}}}
	}
	res := l.Load(ctx, path, data, stack)
	if depth >= maxNesting {
		return res
	}
	for _, n := range nestedStacks(data) {
		child, err := inAssembly(filepath.Dir(path), n.file, l.Jail())
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // an asset that is not in this assembly
			}
			res.Errors = append(res.Errors, model.Error{File: path, Message: fmt.Sprintf("nested stack %s: template %s", n.logicalID, err)})
			continue
		}
		cs := stack
		cs.Name = stack.Name + "/" + n.logicalID
		merge(&res, loadStack(ctx, l, child, cs, depth+1))
	}
	return res
}

// inAssembly resolves a path the manifest or a template names relative to
// the assembly directory dir. It must stay inside dir once symlinks are
// resolved (CDK writes every template there) and inside jail; anything else
// is an error naming the path, and nothing is read.
func inAssembly(dir, rel string, jail *safefs.Jail) (string, error) {
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("%q is an absolute path, outside the cloud assembly %s: not read", rel, dir)
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("%q: %s", rel, safefs.Describe(err))
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("%q: %w", rel, err)
	}
	inside := false
	if r, err := filepath.Rel(realDir, real); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r) {
		inside = true
	}
	if !inside {
		return "", fmt.Errorf("%q resolves to %s, outside the cloud assembly %s: not read", rel, real, dir)
	}
	if _, err := jail.Check(p); err != nil {
		return "", fmt.Errorf("%q: %s", rel, describeReadError(err))
	}
	return p, nil
}

// describeReadError renders a refused or failed read without repeating the path.
func describeReadError(err error) string {
	var oe *safefs.OutsideError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return safefs.Describe(err)
}

type nested struct{ logicalID, file string }

// nestedStacks lists the CDK nested stacks of a template: resources of type
// AWS::CloudFormation::Stack whose aws:asset:path is a local template.
func nestedStacks(data []byte) []nested {
	var t struct {
		Resources map[string]struct {
			Type     string         `json:"Type"`
			Metadata map[string]any `json:"Metadata"`
		} `json:"Resources"`
	}
	if json.Unmarshal(data, &t) != nil {
		return nil
	}
	var out []nested
	for id, r := range t.Resources {
		if r.Type != "AWS::CloudFormation::Stack" {
			continue
		}
		p, _ := r.Metadata["aws:asset:path"].(string)
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "..") || !strings.HasSuffix(p, ".json") {
			continue
		}
		out = append(out, nested{logicalID: id, file: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].logicalID < out[j].logicalID })
	return out
}

// environment splits aws://ACCOUNT/REGION; unknown parts are "".
func environment(env string) (account, region string) {
	rest, ok := strings.CutPrefix(env, "aws://")
	if !ok {
		return "", ""
	}
	account, region, _ = strings.Cut(rest, "/")
	if strings.HasPrefix(account, "unknown-") {
		account = ""
	}
	if strings.HasPrefix(region, "unknown-") {
		region = ""
	}
	return account, region
}

func merge(dst *surface.Result, src surface.Result) {
	dst.Sets = append(dst.Sets, src.Sets...)
	dst.Errors = append(dst.Errors, src.Errors...)
}

// jsonErrorLine turns a json.SyntaxError offset into a line number.
func jsonErrorLine(data []byte, err error) int {
	se, ok := err.(*json.SyntaxError)
	if !ok || se.Offset <= 0 || int(se.Offset) > len(data) {
		return 0
	}
	return strings.Count(string(data[:se.Offset]), "\n") + 1
}
