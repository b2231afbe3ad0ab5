package engine

import (
	"fmt"
	"path"
	"time"

	"github.com/sagefence/sagefence/control"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// ConfigSuppression is a suppression written in the configuration file
// rather than in the source. Resource is a glob matched against the
// resource address and name ("module.ml.*", "legacy-nb").
type ConfigSuppression struct {
	Control  string
	Resource string
	Reason   string
	Expires  string
}

// suppressionIndex maps resource addresses to their in-source suppressions.
func suppressionIndex(set *model.Set) map[string][]model.Suppression {
	idx := map[string][]model.Suppression{}
	add := func(m model.Meta) {
		if len(m.Suppressions) > 0 {
			idx[m.Address] = append(idx[m.Address], m.Suppressions...)
		}
	}
	for _, r := range set.Notebooks {
		add(r.Meta)
	}
	for _, r := range set.Domains {
		add(r.Meta)
	}
	return idx
}

// applySuppression turns a fail into suppressed when a suppression naming the
// control applies and has not expired. An expired suppression leaves the fail
// and says so. Passes and unknowns are never changed: a suppression waives a
// known violation, it does not decide an unknown.
func applySuppression(f *finding.Finding, c *control.Control, inSource []model.Suppression, cfg []ConfigSuppression, now time.Time) {
	if f.Status != finding.Fail {
		return
	}
	candidates := make([]model.Suppression, 0, len(inSource)+len(cfg))
	for _, s := range inSource {
		for _, id := range s.IDs {
			if c.Matches(id) {
				candidates = append(candidates, s)
				break
			}
		}
	}
	for _, s := range cfg {
		if !c.Matches(s.Control) && s.Control != "*" {
			continue
		}
		if globMatch(s.Resource, f.Resource.Address) || globMatch(s.Resource, f.Resource.Name) {
			candidates = append(candidates, model.Suppression{Source: "config", Reason: s.Reason, Expires: s.Expires})
		}
	}
	today := now.UTC().Format("2006-01-02")
	for _, s := range candidates {
		if s.Expires != "" && today >= s.Expires {
			f.Message += fmt.Sprintf("; the %s suppression expired on %s", s.Source, s.Expires)
			continue
		}
		s := s
		f.Status = finding.Suppressed
		f.Suppression = &s
		return
	}
}

func globMatch(pattern, s string) bool {
	if pattern == "" || s == "" {
		return false
	}
	ok, err := path.Match(pattern, s)
	return err == nil && ok || pattern == s
}
