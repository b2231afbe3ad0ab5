// Package casespec is the format of testdata/cases/<name>/expected.json,
// shared by the tests that run the cases: engine.TestCases (every case
// through the whole engine) and internal/agreement (Terraform cases through
// real terraform plan). No production code imports it.
//
// The scan runs with the case directory as the working directory and "." as
// the path (or Paths when given), so files are relative to the case. The
// comparison is exact over Controls (all controls when empty): every actual
// finding of those controls must be expected and every expected one must occur.
// Gaps are compared exactly too: a case without "gaps" expects none.
package casespec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sagefence/sagefence/model"
)

// Spec is one expected.json.
type Spec struct {
	Description string   `json:"description"`
	Paths       []string `json:"paths"`
	Args        Args     `json:"args"`
	// SkipTerraform, when set, says why real Terraform cannot plan this case
	// (unknown values, data sources, registry modules); the agreement tests
	// that run terraform skip it.
	SkipTerraform string    `json:"skip_terraform,omitempty"`
	Controls      []string  `json:"controls"`
	Findings      []Finding `json:"findings"`
	Errors        []Error   `json:"errors"`
	Gaps          []Gap     `json:"gaps,omitempty"`
}

// Args are the command-line inputs of the case's scan.
type Args struct {
	Vars           []string          `json:"vars"`
	VarFiles       []string          `json:"var_files"`
	Env            map[string]string `json:"env"`
	Parameters     map[string]string `json:"parameters"`
	ParameterFiles []string          `json:"parameter_files"`
	Region         string            `json:"region"`
	Account        string            `json:"account"`
	// Now is the date suppression expiry is judged against (YYYY-MM-DD).
	Now string `json:"now"`
}

// Gap is one expected gap (OUTPUT.md format 1.2), matched by kind and address.
type Gap struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	// Optional checks.
	Root           string   `json:"root,omitempty"`
	File           string   `json:"file,omitempty"`
	Line           int      `json:"line,omitempty"`
	Source         string   `json:"source,omitempty"`
	Hides          []string `json:"hides,omitempty"`
	Controls       []string `json:"controls,omitempty"`
	ReasonContains string   `json:"reason_contains,omitempty"`
}

// Finding is one expected finding, matched by control, address and status.
type Finding struct {
	ControlID string `json:"control_id"`
	Address   string `json:"address"`
	Status    string `json:"status"`
	// Root, when any finding of the case gives one, is part of the
	// finding's identity: the same address may then occur once per root.
	Root string `json:"root,omitempty"`
	// Optional checks.
	Surface         string  `json:"surface,omitempty"`
	Resolution      string  `json:"resolution,omitempty"`
	File            string  `json:"file,omitempty"`
	StartLine       int     `json:"start_line,omitempty"`
	Observed        *string `json:"observed,omitempty"`
	Path            string  `json:"path,omitempty"`
	MessageContains string  `json:"message_contains,omitempty"`
	SuppressionFrom string  `json:"suppression_source,omitempty"`
}

// Error is one expected input error: its file relative to the case, its
// line (0: any) and part of its message.
type Error struct {
	File            string `json:"file"`
	Line            int    `json:"line,omitempty"`
	MessageContains string `json:"message_contains,omitempty"`
}

// Read parses an expected.json; an unknown field is an error (a typo
// would otherwise silently check nothing).
func Read(path string) (Spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, err
	}
	var spec Spec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// Glob returns the expected.json files of the cases matching pattern
// (e.g. "tf-*") under the cases directory casesDir.
func Glob(casesDir string, patterns ...string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		matches, err := filepath.Glob(filepath.Join(casesDir, p, "expected.json"))
		if err != nil {
			return nil, err
		}
		out = append(out, matches...)
	}
	return out, nil
}

// Matches reports whether e is the input error want describes.
func (want Error) Matches(e model.Error) bool {
	return strings.HasSuffix(filepath.ToSlash(e.File), "/"+want.File) && (want.Line == 0 || e.Line == want.Line) &&
		strings.Contains(e.Message, want.MessageContains)
}

// ExpectsError reports whether the spec lists the input error e.
func (s Spec) ExpectsError(e model.Error) bool {
	for _, want := range s.Errors {
		if want.Matches(e) {
			return true
		}
	}
	return false
}
