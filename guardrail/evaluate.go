package guardrail

import (
	"fmt"
	"path"
	"strings"
)

// Request is what a policy is evaluated against: the action and the request
// context. A key absent from Context is absent from the request; a key
// present holds one value (single-valued keys) or several (VpcSubnets).
type Request struct {
	Action  string
	Context map[string][]string
}

// Decision is the outcome for Deny-only policies: Denied when an explicit
// Deny statement matched, with the statements' Sids. A Deny-only policy never
// allows; "not denied" means another policy must still grant the action.
type Decision struct {
	Denied bool
	By     []string
}

// Evaluate applies the document's Deny statements to the request, with IAM's
// semantics for the condition operators this package can write:
// StringEquals, StringNotEquals, StringEqualsIgnoreCase, Null, and the
// ForAnyValue:/ForAllValues: set qualifiers of the string operators.
// Operators are ANDed, keys of one operator are ANDed, values of one key are
// ORed (for the negated operators: none matches). Key names are
// case-insensitive, values are compared case-sensitively (except ...IgnoreCase).
// An operator it does not model is an error, never a silent result; so is a
// single-valued operator applied to a key with several values.
func Evaluate(d Document, r Request) (Decision, error) {
	var dec Decision
	for _, st := range d.Statement {
		if st.Effect != "Deny" || !actionMatches(st.Action, r.Action) {
			continue
		}
		ok, err := conditionsMatch(st.Condition, r.Context)
		if err != nil {
			return Decision{}, fmt.Errorf("statement %s: %w", st.Sid, err)
		}
		if ok {
			dec.Denied = true
			dec.By = append(dec.By, st.Sid)
		}
	}
	return dec, nil
}

// actionMatches compares actions case-insensitively, with * and ? wildcards.
func actionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

func conditionsMatch(cond map[string]map[string][]string, ctx map[string][]string) (bool, error) {
	for op, keys := range cond {
		for key, want := range keys {
			got, present := lookupKey(ctx, key)
			ok, err := operatorMatches(op, want, got, present)
			if err != nil {
				return false, fmt.Errorf("%s on %s: %w", op, key, err)
			}
			if !ok {
				return false, nil
			}
		}
	}
	return true, nil
}

func lookupKey(ctx map[string][]string, key string) ([]string, bool) {
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// operatorMatches evaluates one operator on one key.
func operatorMatches(op string, want, got []string, present bool) (bool, error) {
	if op == "Null" {
		if len(want) != 1 || (want[0] != "true" && want[0] != "false") {
			return false, fmt.Errorf("Null takes \"true\" or \"false\", not %q", want)
		}
		return (want[0] == "true") == !present, nil
	}
	qualifier, base, qualified := strings.Cut(op, ":")
	if !qualified {
		base, qualifier = op, ""
	}
	eq, negated, err := stringComparer(base)
	if err != nil {
		return false, err
	}
	matchesAny := func(v string) bool {
		for _, w := range want {
			if eq(v, w) {
				return true
			}
		}
		return false
	}
	// one reports whether a single request value satisfies the base operator.
	one := func(v string) bool { return matchesAny(v) != negated }
	switch qualifier {
	case "":
		if !present {
			// Absent key: a positive operator does not match, a negated one does.
			return negated, nil
		}
		if len(got) != 1 {
			return false, fmt.Errorf("the key has %d values; use ForAnyValue: or ForAllValues:", len(got))
		}
		return one(got[0]), nil
	case "ForAnyValue":
		for _, v := range got {
			if one(v) {
				return true, nil
			}
		}
		return false, nil // absent or empty: no value satisfies it
	case "ForAllValues":
		for _, v := range got {
			if !one(v) {
				return false, nil
			}
		}
		return true, nil // absent or empty: vacuously true
	}
	return false, fmt.Errorf("set qualifier %q is not modelled", qualifier)
}

func stringComparer(op string) (eq func(a, b string) bool, negated bool, err error) {
	switch op {
	case "StringEquals":
		return func(a, b string) bool { return a == b }, false, nil
	case "StringNotEquals":
		return func(a, b string) bool { return a == b }, true, nil
	case "StringEqualsIgnoreCase":
		return strings.EqualFold, false, nil
	case "StringNotEqualsIgnoreCase":
		return strings.EqualFold, true, nil
	}
	return nil, false, fmt.Errorf("operator %q is not modelled", op)
}
