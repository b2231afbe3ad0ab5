// Package cloudformation turns CloudFormation templates (YAML with short-form
// tags, or JSON) into model.Sets, one Set per template.
//
// Contract:
//   - A file is a template when its top level has a Resources mapping holding
//     at least one resource whose Type starts with AWS:: (or it declares
//     AWSTemplateFormatVersion or a Transform beside a Resources mapping). Any other file
//     gives an empty Result and no error. A file that fails to parse but reads
//     like a template (it mentions Resources and AWS::) is a model.Error with
//     its file and line.
//   - Intrinsic functions are evaluated as CloudFormation would before
//     deploy: parameters (--parameter, parameter files, Default), pseudo
//     parameters (from --region/--account or the CDK environment),
//     Conditions, Fn::If, AWS::NoValue, Mappings, Fn::Sub, Fn::Join,
//     Fn::Select, Fn::Split, Fn::Base64. A value that is only known at deploy
//     time (Fn::GetAtt, Fn::ImportValue, an SSM parameter, a parameter with no
//     value) is model.Unknown with a reason naming it.
//   - Ref to a resource, and Fn::GetAtt of an attribute that is the
//     resource's ID (GroupId, SubnetId, NotebookInstanceLifecycleConfigName,
//     ...), become a model.Str whose Ref is that logical ID (Meta.Key), so
//     look-ups between resources of the template work.
//   - A resource whose Condition is false is not in the Set; one whose
//     Condition cannot be resolved is kept with a note saying so.
//   - Lines are exact: a resource's Range runs from its logical ID to the
//     last line of its body (the closing brace in JSON); an attribute's Range
//     from its key to the end of its value.
//   - Suppressions are read from each resource's Metadata: checkov.skip,
//     cfn_nag.rules_to_suppress, cdk_nag.rules_to_suppress,
//     guard.SuppressedRules and sagefence.ignore.
//   - Nested stacks (AWS::CloudFormation::Stack) are not followed: a local
//     child template is found and scanned on its own by discovery, so it is
//     reported once. SAM (AWS::Serverless::*) resources are not SageMaker
//     resources and are skipped.
package cloudformation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagefence/sagefence/internal/safefs"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// Loader loads templates with one set of user inputs. Parameter files are
// read once, when the Loader is made. A Loader is safe for concurrent use.
type Loader struct {
	opts       surface.Options
	fileParams map[string]override
}

// NewLoader reads the parameter files of opts. Files that cannot be read or
// parsed are returned as errors; the Loader still uses the others.
func NewLoader(ctx context.Context, opts surface.Options) (*Loader, []model.Error) {
	fp, errs := readParameterFiles(ctx, opts.ParameterFiles)
	return &Loader{opts: opts, fileParams: fp}, errs
}

// Jail is the confinement of the loader's reads (surface.Options.Jail).
func (l *Loader) Jail() *safefs.Jail { return l.opts.Jail }

// LoadFile loads one file with a fresh Loader; parameter file errors are
// part of the result. Prefer NewLoader when loading many files.
func LoadFile(ctx context.Context, path string, opts surface.Options) surface.Result {
	l, errs := NewLoader(ctx, opts)
	r := l.LoadFile(ctx, path)
	r.Errors = append(errs, r.Errors...)
	return r
}

// Stack describes where a template is deployed, when known (CDK).
type Stack struct {
	// Surface is the surface named in findings; empty means cloudformation.
	Surface string
	// Name is the stack name; it resolves AWS::StackName.
	Name string
	// Region and Account override the user's --region/--account (a CDK
	// stack's environment is more specific); empty means use those.
	Region, Account string
}

// LoadFile reads and loads one file. A file that is not a template gives an
// empty result.
func (l *Loader) LoadFile(ctx context.Context, path string) surface.Result {
	if err := ctx.Err(); err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: err.Error()}}}
	}
	data, err := l.opts.Jail.ReadFile(path, 0)
	if err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: fmt.Sprintf("reading template: %s", describeReadError(err))}}}
	}
	return l.Load(ctx, path, data, Stack{})
}

// Load loads a template's bytes; path is used for locations only.
func (l *Loader) Load(ctx context.Context, path string, data []byte, stack Stack) surface.Result {
	root, err := parse(data)
	if err != nil {
		if looksLikeTemplate(data) {
			return surface.Result{Errors: []model.Error{{File: path, Line: problemLine(data, err), Message: cleanYAMLError(err)}}}
		}
		return surface.Result{}
	}
	if !isTemplate(root) {
		return surface.Result{}
	}
	if err := ctx.Err(); err != nil {
		return surface.Result{Errors: []model.Error{{File: path, Message: err.Error()}}}
	}
	return l.build(ctx, path, data, root, stack)
}

// parse reads the first YAML document (JSON is YAML) into a node tree.
func parse(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 is robust, but a scanner should never take the scan down.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// looksLikeTemplate is the content sniff discovery uses, so that a broken
// template is reported and a broken unrelated YAML file is not.
func looksLikeTemplate(data []byte) bool {
	return bytes.Contains(data, []byte("Resources")) && bytes.Contains(data, []byte("AWS::"))
}

// isTemplate reports whether root is a CloudFormation template.
func isTemplate(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	res := mapValue(root, "Resources")
	if res == nil || res.Kind != yaml.MappingNode {
		return false
	}
	if mapValue(root, "AWSTemplateFormatVersion") != nil || mapValue(root, "Transform") != nil {
		return true
	}
	for i := 0; i+1 < len(res.Content); i += 2 {
		if strings.HasPrefix(res.Content[i].Value, "Fn::ForEach::") {
			return true
		}
	}
	for i := 1; i < len(res.Content); i += 2 {
		if t := mapValue(res.Content[i], "Type"); t != nil && strings.HasPrefix(t.Value, "AWS::") {
			return true
		}
	}
	return false
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// errorLine extracts the line from a yaml.v3 error ("yaml: line 7: ...").
func errorLine(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// problemLine finds the line where a parse error is, which is more useful
// than the line yaml.v3 reports (the start of the enclosing construct).
// JSON documents get encoding/json's exact offset. For YAML the first
// prefix of whole lines that fails with the same message is searched,
// starting at the reported line; very large files keep the reported line.
func problemLine(data []byte, err error) int {
	reported := errorLine(err)
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' {
		var v any
		if jerr := json.Unmarshal(data, &v); jerr != nil {
			var se *json.SyntaxError
			if errors.As(jerr, &se) && se.Offset > 0 && int(se.Offset) <= len(data) {
				return bytes.Count(data[:se.Offset], []byte("\n")) + 1
			}
		}
		return reported
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	if reported <= 0 || len(lines) > maxSearchLines {
		return reported
	}
	want := cleanYAMLError(err)
	for n := reported; n <= len(lines); n++ {
		prefix := bytes.Join(lines[:n], nil)
		if _, perr := parse(prefix); perr != nil && cleanYAMLError(perr) == want {
			return n
		}
	}
	return reported
}

// maxSearchLines bounds the work problemLine does on a broken file.
const maxSearchLines = 3000

// cleanYAMLError drops the "line N:" part, which is in model.Error.Line.
func cleanYAMLError(err error) string {
	msg := err.Error()
	if m := lineRE.FindStringIndex(msg); m != nil {
		msg = msg[:m[0]] + strings.TrimLeft(msg[m[1]:], ": ")
	}
	return "invalid template: " + strings.TrimSpace(msg)
}

// pseudoParameters resolves AWS::* pseudo parameters for one stack.
func pseudoParameters(region, account, stackName, regionFrom, accountFrom string) map[string]value {
	p := map[string]value{}
	if region != "" {
		p["AWS::Region"] = value{kind: kScalar, s: region, prov: model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::Region", Detail: region, Via: regionFrom}}}
	} else {
		p["AWS::Region"] = unknown("AWS::Region is resolved at deploy time (pass --region to set it)")
	}
	if account != "" {
		p["AWS::AccountId"] = value{kind: kScalar, s: account, prov: model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::AccountId", Detail: account, Via: accountFrom}}}
	} else {
		p["AWS::AccountId"] = unknown("AWS::AccountId is resolved at deploy time (pass --account to set it)")
	}
	partition, suffix := "aws", "amazonaws.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		partition, suffix = "aws-cn", "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-gov-"):
		partition = "aws-us-gov"
	}
	p["AWS::Partition"] = value{kind: kScalar, s: partition, prov: model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::Partition"}}}
	p["AWS::URLSuffix"] = value{kind: kScalar, s: suffix, prov: model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::URLSuffix"}}}
	if stackName != "" {
		p["AWS::StackName"] = value{kind: kScalar, s: stackName, prov: model.Provenance{{Kind: model.StepPseudoParameter, Name: "AWS::StackName", Detail: stackName}}}
	} else {
		p["AWS::StackName"] = unknown("AWS::StackName is set at deploy time")
	}
	p["AWS::StackId"] = unknown("AWS::StackId is assigned at deploy time")
	p["AWS::NotificationARNs"] = unknown("AWS::NotificationARNs is set at deploy time")
	return p
}

// describeReadError renders a refused or failed read without repeating the
// path (an *safefs.OutsideError keeps its explanation).
func describeReadError(err error) string {
	var oe *safefs.OutsideError
	if errors.As(err, &oe) {
		return oe.Error()
	}
	return safefs.Describe(err)
}
