package cloudformation

import (
	"fmt"
	"time"

	"github.com/sagefence/sagefence/model"
)

// suppressions reads the suppression forms people write in a resource's
// Metadata. IDs are kept as written; the engine matches them against control
// IDs and aliases.
//
//	checkov:   {skip: [{id, comment}]}
//	cfn_nag:   {rules_to_suppress: [{id, reason}]}
//	cdk_nag:   {rules_to_suppress: [{id, reason}]}   (written by cdk-nag's NagSuppressions)
//	guard:     {SuppressedRules: [rule, ...]}
//	sagefence: {ignore: [{id, reason, expires}]}     (reason required; expires YYYY-MM-DD)
func (b *builder) suppressions(md value) []model.Suppression {
	var out []model.Suppression
	idReason := func(tool, source, listKey, reasonKey string) {
		t, ok := md.get(tool)
		if !ok {
			return
		}
		list, _ := t.get(listKey)
		for _, it := range list.items {
			id, _ := it.get("id")
			reason, _ := it.get(reasonKey)
			if id.kind != kScalar {
				continue
			}
			out = append(out, model.Suppression{Source: source, IDs: []string{id.s}, Reason: reason.s, Range: it.rangeIn(b.file)})
		}
	}
	idReason("checkov", "checkov", "skip", "comment")
	idReason("cfn_nag", "cfn_nag", "rules_to_suppress", "reason")
	idReason("cdk_nag", "cdk-nag", "rules_to_suppress", "reason")
	if g, ok := md.get("guard"); ok {
		if rules, ok := g.get("SuppressedRules"); ok {
			s := model.Suppression{Source: "cfn-guard", Reason: "Metadata.guard.SuppressedRules", Range: rules.rangeIn(b.file)}
			for _, r := range rules.items {
				if r.kind == kScalar {
					s.IDs = append(s.IDs, r.s)
				}
			}
			out = append(out, s)
		}
	}
	if sf, ok := md.get("sagefence"); ok {
		list, _ := sf.get("ignore")
		for _, it := range list.items {
			if s, ok := b.ownSuppression(it); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// ownSuppression reads one sagefence.ignore entry. A missing reason or a
// malformed expiry date is an error, and the entry does not apply.
func (b *builder) ownSuppression(it value) (model.Suppression, bool) {
	s := model.Suppression{Source: "sagefence", Range: it.rangeIn(b.file)}
	if id, ok := it.get("id"); ok && id.kind == kScalar {
		s.IDs = append(s.IDs, id.s)
	}
	if ids, ok := it.get("ids"); ok {
		for _, id := range ids.items {
			if id.kind == kScalar {
				s.IDs = append(s.IDs, id.s)
			}
		}
	}
	fail := func(msg string) (model.Suppression, bool) {
		b.errs = append(b.errs, model.Error{File: b.file, Line: it.start, Message: msg})
		return model.Suppression{}, false
	}
	if len(s.IDs) == 0 {
		return fail("sagefence.ignore entry has no id: name the control (id: CKV_AWS_122)")
	}
	reason, _ := it.get("reason")
	if reason.kind != kScalar || reason.s == "" {
		return fail(fmt.Sprintf("sagefence.ignore of %s has no reason: a suppression must say why", s.IDs[0]))
	}
	s.Reason = reason.s
	if exp, ok := it.get("expires"); ok {
		if _, err := time.Parse("2006-01-02", exp.s); exp.kind != kScalar || err != nil {
			return fail(fmt.Sprintf("sagefence.ignore of %s: expires %q is not a date (YYYY-MM-DD)", s.IDs[0], exp.s))
		}
		s.Expires = exp.s
	}
	return s, true
}
