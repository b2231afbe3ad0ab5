package finding

import (
	"errors"
	"reflect"
	"slices"
)

// A Result holds its findings either in Findings (every command's default)
// or in a Store (a scan asked to stream them: engine.Options.StreamFindings),
// with Findings nil. The methods below work on both; code that needs the
// whole slice calls Materialize first.

// UseStore makes s hold the result's findings in place of Findings.
func (r *Result) UseStore(s *Store) {
	r.store = s
	r.Findings = nil
}

// Streamed reports whether the findings are in a Store (Findings is nil
// until Materialize).
func (r *Result) Streamed() bool { return r.store != nil }

// SpillError is why a streamed result's findings stayed in memory instead
// of going to disk past the store's budget (nil when they could be written,
// and for a result that is not streamed).
func (r *Result) SpillError() error {
	if r.store == nil {
		return nil
	}
	return r.store.SpillError()
}

// FindingCount is the number of findings.
func (r *Result) FindingCount() int {
	if r.store != nil {
		return r.store.Len()
	}
	return len(r.Findings)
}

// EachFinding calls fn with every finding in report order and stops at the
// first error fn returns, which it returns (or the store's read error). fn
// must not keep f; it may modify it only when the result is not streamed.
func (r *Result) EachFinding(fn func(f *Finding) error) error {
	if r.store != nil {
		return r.store.Each(fn)
	}
	for i := range r.Findings {
		if err := fn(&r.Findings[i]); err != nil {
			return err
		}
	}
	return nil
}

// Rewrite applies fn to every finding: at once in Findings, or, streamed,
// to every finding read from now on (in the order of the calls).
func (r *Result) Rewrite(fn func(f *Finding)) {
	if r.store != nil {
		r.store.Rewrite(fn)
		return
	}
	for i := range r.Findings {
		fn(&r.Findings[i])
	}
}

// Filter removes the findings keep rejects and returns how many it
// removed; the summary is not recomputed (Finalize). Streamed, keep applies
// to every finding read from now on and the store counts them again in one
// pass; a read error is kept by the store and returned by every later read.
func (r *Result) Filter(keep func(f *Finding) bool) int {
	if r.store != nil {
		n, _ := r.store.Filter(keep)
		return n
	}
	kept := r.Findings[:0:0]
	for i := range r.Findings {
		if keep(&r.Findings[i]) {
			kept = append(kept, r.Findings[i])
		}
	}
	removed := len(r.Findings) - len(kept)
	r.Findings = kept
	return removed
}

// Materialize reads a streamed result's findings into Findings and closes
// its store; it does nothing for a result that is not streamed.
func (r *Result) Materialize() error {
	if r.store == nil {
		return nil
	}
	fs := make([]Finding, 0, r.store.Len())
	// Findings read back from disk are decoded each on its own; a store
	// that never wrote a run holds the findings the surfaces made, which
	// already share what they repeat.
	var sh *sharer
	if r.store.Runs() > 0 {
		sh = &sharer{}
	}
	if err := r.store.Each(func(f *Finding) error {
		if sh != nil {
			sh.share(f)
		}
		fs = append(fs, *f)
		return nil
	}); err != nil {
		return err
	}
	r.Findings = fs
	err := r.store.Close()
	r.store = nil
	return err
}

// Close releases a streamed result's store (its temporary files); a
// result that is not streamed has nothing to close.
func (r *Result) Close() error {
	if r.store == nil {
		return nil
	}
	return r.store.Close()
}

// errStop ends an EachFinding early in AnyFinding.
var errStop = errors.New("stop")

// AnyFinding reports whether a finding satisfies pred, reading no further
// than the first that does; the error is the store's when it cannot be read.
func (r *Result) AnyFinding(pred func(f *Finding) bool) (bool, error) {
	err := r.EachFinding(func(f *Finding) error {
		if pred(f) {
			return errStop
		}
		return nil
	})
	if err == errStop {
		return true, nil
	}
	return false, err
}

// sharer makes findings read back from a store share the strings and lists
// they repeat (a control's frameworks, aliases and remediation, a file's
// path, a root), as the findings the surfaces made did: each record is
// decoded on its own, and a scan's findings held whole would otherwise hold
// a copy of each per finding.
type sharer struct {
	strings map[string]string
	lists   map[string]controlLists // by control ID
}

type controlLists struct {
	frameworks []Framework
	aliases    []string
}

func (sh *sharer) share(f *Finding) {
	if sh.strings == nil {
		sh.strings, sh.lists = map[string]string{}, map[string]controlLists{}
	}
	for _, s := range []*string{&f.ControlID, &f.Surface, &f.Resource.Type, &f.Resource.Region, &f.Resource.Account,
		&f.Resource.Root, &f.Location.File, &f.Attribute, &f.Expected, &f.Remediation} {
		if c, ok := sh.strings[*s]; ok {
			*s = c
		} else {
			sh.strings[*s] = *s
		}
	}
	l, ok := sh.lists[f.ControlID]
	if !ok {
		sh.lists[f.ControlID] = controlLists{f.Frameworks, f.Aliases}
		return
	}
	if reflect.DeepEqual(l.frameworks, f.Frameworks) {
		f.Frameworks = l.frameworks
	}
	if slices.Equal(l.aliases, f.Aliases) && f.Aliases != nil {
		f.Aliases = l.aliases
	}
}
