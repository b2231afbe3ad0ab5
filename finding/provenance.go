package finding

import (
	"strconv"
	"strings"

	"github.com/sagefence/sagefence/model"
)

// ProvenanceStep is one step of a value's provenance in the JSON contract
// (finding.provenance, added in format 1.3): the steps of model.Provenance
// in depth-first order, Depth 0 for the attribute's own inputs and one more
// for each level of inputs below.
type ProvenanceStep struct {
	Kind   model.StepKind `json:"kind"`
	Name   string         `json:"name,omitempty"`
	Detail string         `json:"detail,omitempty"`
	Via    string         `json:"via,omitempty"`
	File   string         `json:"file,omitempty"`
	Line   int            `json:"line,omitempty"`
	Depth  int            `json:"depth,omitempty"`
}

// Provenance flattens a model provenance for findings; nil when empty.
func Provenance(p model.Provenance) []ProvenanceStep {
	n := countSteps(p)
	if n == 0 {
		return nil
	}
	out := make([]ProvenanceStep, 0, n)
	p.Walk(func(s model.Step, depth int) {
		out = append(out, ProvenanceStep{Kind: s.Kind, Name: s.Name, Detail: s.Detail, Via: s.Via,
			File: s.Range.File, Line: s.Range.StartLine, Depth: depth})
	})
	return out
}

// countSteps is the number of steps of a provenance, inputs included.
func countSteps(steps []model.Step) int {
	n := len(steps)
	for i := range steps {
		n += countSteps(steps[i].Inputs)
	}
	return n
}

// Describe renders one flattened step without what it came from, for
// places that list the steps one by one (SARIF related locations).
func (s ProvenanceStep) Describe() string {
	return describeStep(model.Step{Kind: s.Kind, Name: s.Name, Detail: s.Detail, Via: s.Via,
		Range: model.Range{File: s.File, StartLine: s.Line}})
}

// DescribeProvenance renders a provenance as the prose of messages:
// `var.internet_access default in variables.tf:4`, `parameter Access =
// "Enabled" from params.json`, `Fn::If IsProd is false, parameter Access
// default in template.yaml:6`. It is the only place provenance becomes
// text; "" for an empty provenance.
func DescribeProvenance(p model.Provenance) string {
	return describeSteps(p)
}

// describeSteps joins the descriptions of steps with ", " (a single step's
// is returned as it is, which is the common case).
func describeSteps(steps []model.Step) string {
	out := ""
	for _, s := range steps {
		switch d := describeStep(s); {
		case d == "":
		case out == "":
			out = d
		default:
			out += ", " + d
		}
	}
	return out
}

func describeStep(s model.Step) string {
	inputs := describeSteps(s.Inputs)
	// then appends the inputs after sep when there are any.
	then := func(text, sep string) string {
		if inputs == "" {
			return text
		}
		return text + sep + inputs
	}
	bare := func() string {
		_, after, _ := strings.Cut(s.Name, ".")
		return after
	}
	switch s.Kind {
	case model.StepVariable:
		return s.Name
	case model.StepVariableDefault:
		return s.Name + " default in " + s.Range.String()
	case model.StepTFVars, model.StepAutoTFVars, model.StepVarFile:
		return s.Name + " from " + s.Range.String()
	case model.StepVarFlag:
		return s.Name + " from --var " + bare()
	case model.StepEnvironment:
		return s.Name + " from environment variable TF_VAR_" + bare()
	case model.StepModuleArgument:
		return then(s.Name+" set by "+s.Detail+" ("+s.Range.String()+")", " from ")
	case model.StepEach:
		return then(s.Name, " of ")
	case model.StepExpression:
		if inputs == "" {
			return s.Name
		}
		return inputs
	case model.StepPlan:
		text := s.Name + " in " + s.Range.File
		if s.Detail != "" {
			text += ", written as " + s.Detail
		}
		if s.Via != "" {
			text += " (" + s.Via + ")"
		}
		return text
	case model.StepParameterDefault:
		return "parameter " + s.Name + " default in " + s.Range.String()
	case model.StepParameterOverride:
		from := s.Range.File
		if from == "" {
			from = "--parameter"
		}
		return then("parameter "+s.Name+" = "+strconv.Quote(s.Detail)+" from "+from, ", ")
	case model.StepPseudoParameter:
		text := s.Name
		if s.Detail != "" {
			text += " = " + s.Detail
		}
		if s.Via != "" {
			text += " from " + s.Via
		}
		return text
	case model.StepMapping:
		return then("Mappings "+s.Name+" in "+s.Range.String(), ", keyed by ")
	case model.StepMappingDefault:
		return then("Fn::FindInMap "+s.Name+" DefaultValue", ", ")
	case model.StepCondition:
		return then("Fn::If "+s.Name+" is "+s.Detail, ", ")
	case model.StepNoValue:
		return then("AWS::NoValue", ", ")
	case model.StepRef:
		return then("Ref "+s.Name, ", ")
	case model.StepGetAtt:
		return then("Fn::GetAtt "+s.Name, ", ")
	case model.StepServiceDefault:
		return s.Via + " returned no " + s.Name + "; the API default is " + s.Detail
	}
	// local, module_output, count, data_source, reference and kinds added
	// later: the name, then what it came from.
	return then(s.Name, ", ")
}
