package cloudformation

import (
	"strings"

	"github.com/sagefence/sagefence/model"
)

// kind is what an evaluated template value is.
type kind int

const (
	// kAbsent: the property is not written, or AWS::NoValue removed it.
	kAbsent kind = iota
	kScalar
	kList
	kMap
	// kRef: the physical ID of a resource in the same template (Ref, or
	// Fn::GetAtt of an identity attribute such as GroupId).
	kRef
	// kUnknown: not knowable before deploy; reason says why.
	kUnknown
)

// value is the result of evaluating a template node with every intrinsic
// function applied as far as it can be before deploy.
type value struct {
	kind   kind
	s      string // kScalar
	ref    string // kRef: logical ID
	items  []value
	fields []field // kMap, in template order
	reason string  // kUnknown
	// present, for kUnknown, says the value is certainly there (never
	// absent or null), only not known before deploy: Fn::ImportValue,
	// Fn::GetAtt, an SSM parameter, a dynamic reference, a string built
	// by Fn::Sub or Fn::Join.
	present bool
	// prov is where a non-literal value came from (parameter Access's
	// default in template.yaml:6).
	prov model.Provenance
	// text is, for an unknown string, the template text with the unresolved
	// parts kept as written (${AWS::Region}); used for lifecycle scripts.
	text string
	// start, end are the 1-based lines the value is written on.
	start, end int
}

// field is one key of an evaluated mapping.
type field struct {
	key     string
	keyLine int
	v       value
}

func scalar(s string) value { return value{kind: kScalar, s: s} }

func unknown(reason string) value { return value{kind: kUnknown, reason: reason} }

// setUnknown is a value that is certainly set but known only at deploy.
func setUnknown(reason string) value { return value{kind: kUnknown, reason: reason, present: true} }

// dynamicReference returns the first CloudFormation dynamic reference
// ({{resolve:ssm:...}}, {{resolve:ssm-secure:...}},
// {{resolve:secretsmanager:...}}) written in s, or "".
func dynamicReference(s string) string {
	i := strings.Index(s, "{{resolve:")
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], "}}")
	if j < 0 {
		return ""
	}
	return s[i : i+j+2]
}

// get returns the field named key, or an absent value.
func (v value) get(key string) (value, bool) {
	for _, f := range v.fields {
		if f.key == key {
			return f.v, f.v.kind != kAbsent
		}
	}
	return value{}, false
}

// getField returns the whole field (with its key line).
func (v value) getField(key string) (field, bool) {
	for _, f := range v.fields {
		if f.key == key && f.v.kind != kAbsent {
			return f, true
		}
	}
	return field{}, false
}

// through records that the value was reached through step (Fn::If, a
// mapping): step becomes the value's provenance, holding the value's own
// provenance as its inputs. A step already in the provenance is not added
// twice.
func (v value) through(step model.Step) value {
	if containsStep(v.prov, step) {
		return v
	}
	step.Inputs = v.prov
	v.prov = model.Provenance{step}
	return v
}

// computed records that the value was computed by fn from values with the
// given provenances (Fn::Sub, Fn::Select, Fn::Base64): it is not any one
// input's value, so no input's place can be edited to change it.
func (v value) computed(fn string, from ...model.Provenance) value {
	var inputs []model.Step
	for _, p := range from {
		for _, s := range p {
			if !containsStep(inputs, s) {
				inputs = append(inputs, s)
			}
		}
	}
	v.prov = nil
	if len(inputs) > 0 {
		v.prov = model.Provenance{{Kind: model.StepExpression, Name: fn, Inputs: inputs}}
	}
	return v
}

// containsStep reports whether step (with its inputs) occurs in steps, at
// any depth.
func containsStep(steps []model.Step, step model.Step) bool {
	for _, s := range steps {
		if sameStep(s, step) || containsStep(s.Inputs, step) {
			return true
		}
	}
	return false
}

func sameStep(a, b model.Step) bool {
	if a.Kind != b.Kind || a.Name != b.Name || a.Detail != b.Detail || a.Via != b.Via || a.Range != b.Range || len(a.Inputs) != len(b.Inputs) {
		return false
	}
	for i := range a.Inputs {
		if !sameStep(a.Inputs[i], b.Inputs[i]) {
			return false
		}
	}
	return true
}

// describe renders a value for reasons and messages.
func (v value) describe() string {
	switch v.kind {
	case kScalar:
		return v.s
	case kRef:
		return v.ref
	case kList:
		parts := make([]string, len(v.items))
		for i, it := range v.items {
			parts[i] = it.describe()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case kMap:
		return "{...}"
	case kUnknown:
		return "(unknown)"
	}
	return ""
}

// rangeIn is the value's location in file.
func (v value) rangeIn(file string) model.Range {
	if v.start == 0 {
		return model.Range{}
	}
	return model.Range{File: file, StartLine: v.start, EndLine: max(v.end, v.start)}
}
