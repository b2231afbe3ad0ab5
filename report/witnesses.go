package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sagefence/sagefence/finding"
)

// witnessOutcomes is the order outcomes are counted and shown in (the
// outcome strings of finding.Witness).
var witnessOutcomes = []string{"agrees", "disagrees", "not_enabled", "not_evaluated", "inconclusive", "error"}

// witnessDigest condenses the witnesses of a result (audit --witnesses) for
// the human formats: counts per outcome, every disagreement by resource, and
// the gaps (not enabled, not evaluated, inconclusive, errors) grouped per
// account, region, witness and status, so a region without the Config rule
// is one line, not one per notebook.
type witnessDigest struct {
	Total         int
	Counts        map[string]int
	Disagreements []witnessRow
	Gaps          []witnessGap
}

type witnessRow struct {
	F finding.Finding
	W finding.Witness
}

type witnessGap struct {
	Account, Region, Source, Rule, Status, Outcome, Note string
	Resources                                            []string
}

// witnessDigester builds a witnessDigest from findings given one at a time.
type witnessDigester struct {
	d    witnessDigest
	gaps map[string]*witnessGap
	keys []string
}

func (dg *witnessDigester) add(f *finding.Finding) {
	d := &dg.d
	for _, w := range f.Witnesses {
		if d.Counts == nil {
			d.Counts, dg.gaps = map[string]int{}, map[string]*witnessGap{}
		}
		d.Total++
		d.Counts[w.Outcome]++
		switch w.Outcome {
		case "agrees":
		case "disagrees":
			d.Disagreements = append(d.Disagreements, witnessRow{*f, w})
		default:
			key := strings.Join([]string{f.Resource.Account, f.Resource.Region, w.Source, w.Rule, w.Status, w.Outcome}, "|")
			g, ok := dg.gaps[key]
			if !ok {
				g = &witnessGap{Account: f.Resource.Account, Region: f.Resource.Region, Source: w.Source, Rule: w.Rule,
					Status: w.Status, Outcome: w.Outcome, Note: w.Note}
				dg.gaps[key] = g
				dg.keys = append(dg.keys, key)
			}
			g.Resources = appendUnique(g.Resources, f.Resource.Address)
		}
	}
}

func (dg *witnessDigester) digest() witnessDigest {
	d := dg.d
	if d.Counts == nil {
		d.Counts = map[string]int{}
	}
	keys := append([]string(nil), dg.keys...)
	sort.Strings(keys)
	for _, k := range keys {
		d.Gaps = append(d.Gaps, *dg.gaps[k])
	}
	return d
}

func appendUnique(xs []string, s string) []string {
	for _, x := range xs {
		if x == s {
			return xs
		}
	}
	return append(xs, s)
}

// CountsLine is "4 agree, 1 disagrees, ..." over the outcomes present.
func (d witnessDigest) CountsLine() string {
	var parts []string
	for _, o := range witnessOutcomes {
		if n := d.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(o, "_", " ")))
		}
	}
	return strings.Join(parts, ", ")
}

// witnessText is one witness in a line: who, what it says, and when.
func witnessText(w finding.Witness) string {
	name := "AWS Config rule " + w.Rule
	if w.Source == "security-hub" {
		name = "Security Hub " + w.Rule
	}
	s := name + ": " + w.Status
	if w.Evaluated != "" {
		s += " (evaluated " + w.Evaluated + ")"
	}
	if w.WorkflowStatus != "" || w.RecordState != "" {
		s += fmt.Sprintf(" [workflow %s, record %s]", orDash(w.WorkflowStatus), orDash(w.RecordState))
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// gapText is one grouped gap in a line.
func gapText(g witnessGap) string {
	res := strings.Join(g.Resources, ", ")
	if len(g.Resources) > 5 {
		res = strings.Join(g.Resources[:5], ", ") + fmt.Sprintf(" and %d more", len(g.Resources)-5)
	}
	return fmt.Sprintf("%s %s: %s for %s: %s", g.Source, g.Rule, g.Status, res, g.Note)
}
