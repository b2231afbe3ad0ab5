// Package policy decides what a finished result means for a CI run, after
// the controls have spoken: which fails are new against a baseline, which
// severities change, and the exit code. `scan` and `audit` share it, so a
// gate behaves the same on IaC and on live accounts.
//
// Contract:
//   - A baseline is a previous JSON result (`--format json`). A fail whose
//     finding.Key (control, surface, account, region, address, file — no
//     line) was failing or suppressed in the baseline is removed from the
//     result and counted in Result.Baseline.MatchedFails. Passes, unknowns
//     and suppressed findings are always kept: an unknown is never hidden,
//     and a fail that is new, or that the baseline had as pass/unknown, is
//     reported.
//   - The severity threshold does not hide anything: every finding is still
//     reported; only fails at or above the threshold (and, with strict,
//     unknowns at or above it) make the exit code 1.
package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// Exit codes, as in OUTPUT.md.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitError = 2
)

// Baseline is the set of finding keys that were failing in a previous run.
type Baseline struct {
	File    string
	failing map[string]bool
}

// LoadBaseline reads a previous JSON result.
func LoadBaseline(path string) (*Baseline, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	var prev finding.Result
	if err := json.Unmarshal(raw, &prev); err != nil {
		return nil, fmt.Errorf("baseline %s is not a sagefence JSON result (write one with --format json): %w", path, err)
	}
	if prev.FormatVersion == "" || !strings.HasPrefix(prev.FormatVersion, "1.") {
		return nil, fmt.Errorf("baseline %s: format_version %q is not a sagefence 1.x JSON result", path, prev.FormatVersion)
	}
	b := &Baseline{File: path, failing: map[string]bool{}}
	for _, f := range prev.Findings {
		if f.Status == finding.Fail || f.Status == finding.Suppressed {
			b.failing[f.Key()] = true
		}
	}
	return b, nil
}

// Apply removes the fails the baseline already had, records how many in
// res.Baseline and recomputes the summary.
func (b *Baseline) Apply(res *finding.Result) {
	matched := res.Filter(func(f *finding.Finding) bool {
		return f.Status != finding.Fail || !(b.failing[f.Key()] || b.failing[f.LegacyKey()])
	})
	res.Baseline = &finding.Baseline{File: b.File, MatchedFails: matched}
	res.Finalize()
}

// ParseSeverity accepts low, medium, high or critical (any case; critical
// is high, sagefence's top severity); "" is "low", the threshold that
// counts every fail.
func ParseSeverity(s string) (finding.Severity, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return finding.Low, nil
	}
	if s == "critical" {
		return finding.High, nil
	}
	sev := finding.Severity(s)
	if sev.Rank() == 0 {
		return "", fmt.Errorf("severity %q: expected low, medium, high or critical", s)
	}
	return sev, nil
}

// ParseGate reads a --severity value: one level is a threshold (fails at or
// above it count: "medium" counts medium and high); a comma-separated list
// counts exactly the levels it names ("LOW,HIGH" counts low and high, not
// medium). Levels are case-insensitive and critical is high.
func ParseGate(s string) (Gate, error) {
	if !strings.Contains(s, ",") {
		sev, err := ParseSeverity(s)
		return Gate{Threshold: sev}, err
	}
	g := Gate{Only: map[finding.Severity]bool{}}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			return Gate{}, fmt.Errorf("severity list %q has an empty entry", s)
		}
		sev, err := ParseSeverity(part)
		if err != nil {
			return Gate{}, err
		}
		g.Only[sev] = true
	}
	return g, nil
}

// Gate turns a result into an exit code.
type Gate struct {
	// Threshold: only fails at or above it exit 1; empty means low.
	Threshold finding.Severity
	// Only, when not empty, replaces Threshold: only fails (and, strict,
	// unknowns and gaps) of these severities exit 1.
	Only map[finding.Severity]bool
	// Strict: unknowns and gaps (by the highest severity of the controls a
	// gap concerns) at or above the threshold exit 1 too.
	Strict bool
}

// counts reports whether a finding of this severity is gated.
func (g Gate) counts(s finding.Severity) bool {
	rank := rankOrHigh(s)
	if len(g.Only) > 0 {
		for sev := range g.Only {
			if sev.Rank() == rank {
				return true
			}
		}
		return false
	}
	min := g.Threshold.Rank()
	if min == 0 {
		min = finding.Low.Rank()
	}
	return rank >= min
}

// ExitCode is OUTPUT.md's table with the threshold applied: 1 when a
// counted fail (or, strict, unknown or gap) exists, else 2 when there were input
// errors, else 0.
func (g Gate) ExitCode(res *finding.Result) int {
	if g.Strict {
		for _, gap := range res.Gaps {
			if g.counts(gap.Severity) {
				return ExitFail
			}
		}
	}
	gated, err := res.AnyFinding(func(f *finding.Finding) bool {
		counts := f.Status == finding.Fail || (g.Strict && f.Status == finding.Unknown)
		return counts && g.counts(f.Severity)
	})
	if gated {
		return ExitFail
	}
	if err != nil || len(res.Errors) > 0 {
		// A streamed result's findings that cannot be read again are an
		// error, never a pass.
		return ExitError
	}
	return ExitOK
}

// FailCode maps ExitCode's answer for users who choose what failing
// findings exit with: with soft set, failing findings exit 0 (or 2 when
// the run also had input errors, which are never softened); otherwise they
// exit failCode. Codes other than ExitFail pass through.
func FailCode(code int, res *finding.Result, soft bool, failCode int) int {
	if code != ExitFail {
		return code
	}
	if soft || failCode == ExitOK {
		if len(res.Errors) > 0 {
			return ExitError
		}
		return ExitOK
	}
	return failCode
}

// rankOrHigh treats a finding without a known severity as high, so a
// missing severity can never lower the gate.
func rankOrHigh(s finding.Severity) int {
	if r := s.Rank(); r > 0 {
		return r
	}
	return finding.High.Rank()
}
