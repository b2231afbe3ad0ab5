package model

import "slices"

// StepKind says what one step of a value's provenance is. The kinds are part
// of the JSON contract (finding.provenance[].kind): add kinds, never rename.
type StepKind string

// Terraform steps.
const (
	// StepVariable: Name "var.x", a variable that has no value (no default
	// and nothing sets it).
	StepVariable StepKind = "variable"
	// StepVariableDefault: Name "var.x"; Range is the default's expression.
	StepVariableDefault StepKind = "variable_default"
	// StepTFVars: terraform.tfvars or terraform.tfvars.json; Name "var.x";
	// Range is the assignment's value.
	StepTFVars StepKind = "tfvars"
	// StepAutoTFVars: a *.auto.tfvars or *.auto.tfvars.json file.
	StepAutoTFVars StepKind = "auto_tfvars"
	// StepVarFile: a --var-file file.
	StepVarFile StepKind = "var_file"
	// StepVarFlag: --var name=value; no Range.
	StepVarFlag StepKind = "var_flag"
	// StepEnvironment: the TF_VAR_name environment variable; no Range.
	StepEnvironment StepKind = "environment"
	// StepModuleArgument: Name "var.x" of the called module, Detail the
	// calling module instance's address (module.nb["a"]), Range the
	// argument's expression. Inputs is the argument expression's own
	// provenance; none when the argument is written as a literal.
	StepModuleArgument StepKind = "module_argument"
	// StepLocal: Name "local.x"; Range is the local's definition.
	StepLocal StepKind = "local"
	// StepModuleOutput: Name "module.x.out" (or "module.x").
	StepModuleOutput StepKind = "module_output"
	// StepEach: Name "each.key" or "each.value"; Inputs is the provenance
	// of the for_each expression being expanded.
	StepEach StepKind = "each"
	// StepCount: Name "count.index".
	StepCount StepKind = "count"
	// StepDataSource: Name "data.type.name".
	StepDataSource StepKind = "data_source"
	// StepReference: another named value whose text is its Name (path.module,
	// terraform.workspace, self.x).
	StepReference StepKind = "reference"
	// StepPlan: the resource instance in a plan or state file; Name its
	// address, Range.File the file, Detail the configuration's references
	// ("count.index"), when the plan records them; Via is "sensitive" when
	// the plan marks the value sensitive.
	StepPlan StepKind = "plan"
)

// CloudFormation steps.
const (
	// StepParameterDefault: Name the parameter; Range its Default.
	StepParameterDefault StepKind = "parameter_default"
	// StepParameterOverride: Name the parameter, Detail the value given;
	// Range.File the parameter file it was given in (and Range.StartLine
	// its line when known), zero for --parameter.
	StepParameterOverride StepKind = "parameter_override"
	// StepPseudoParameter: Name "AWS::Region", Detail its value (when shown),
	// Via where it was given ("--region", "the CDK stack environment").
	StepPseudoParameter StepKind = "pseudo_parameter"
	// StepMapping: Name "Map.TopKey.SecondKey"; Range the leaf value.
	// Inputs are the provenance of the keys (they select, they are not
	// the value).
	StepMapping StepKind = "mapping"
	// StepMappingDefault: the DefaultValue of Fn::FindInMap; Name the path
	// that was not found.
	StepMappingDefault StepKind = "mapping_default"
	// StepCondition: Fn::If; Name the condition, Detail "true" or "false";
	// Inputs the chosen branch's provenance.
	StepCondition StepKind = "condition"
	// StepNoValue: AWS::NoValue removed the property.
	StepNoValue StepKind = "no_value"
	// StepRef: Ref to a resource; Name its logical ID.
	StepRef StepKind = "ref"
	// StepGetAtt: Fn::GetAtt; Name "LogicalID.Attribute".
	StepGetAtt StepKind = "get_att"
)

// Steps shared by every surface.
const (
	// StepExpression: the value is computed from its Inputs (a conditional,
	// an interpolation, Fn::Sub, Fn::Select, a function call). Name is the
	// expression's text (Terraform) or the function (CloudFormation); Detail,
	// when set, the kind of expression ("conditional", "function call lower").
	StepExpression StepKind = "expression"
	// StepServiceDefault: the service answered without the attribute; Name
	// the attribute, Detail the default that applies, Via the API call.
	StepServiceDefault StepKind = "service_default"
)

// Step is one link of where a value came from. Which fields are set depends
// on Kind (see the constants).
type Step struct {
	Kind StepKind
	// Name is the input as the source names it: var.x, local.y, module.nb.out,
	// a parameter's name, a mapping path, a condition.
	Name string
	// Detail is kind-specific (see the constants).
	Detail string
	// Via names a source outside any file (--region, an API call).
	Via string
	// Range is where this step is written; zero when it is not in a file.
	Range Range
	// Inputs are the steps this one's value was computed from (for
	// StepMapping, the keys that selected it).
	Inputs []Step
}

// Equal reports whether two steps are the same in every field, their
// inputs included.
func (s Step) Equal(o Step) bool {
	return s.Kind == o.Kind && s.Name == o.Name && s.Detail == o.Detail && s.Via == o.Via &&
		s.Range == o.Range && slices.EqualFunc(s.Inputs, o.Inputs, Step.Equal)
}

// Provenance is where a resolved value came from: the steps of the
// attribute's expression, from the attribute toward the place the value is
// written. A plain reference gives one step; an expression that reads
// several inputs gives one StepExpression step holding them. It is empty
// for a value written as a literal in the attribute itself (Range says
// where) and for an omitted one.
type Provenance []Step

// Chain follows the provenance from the attribute to the place the value is
// written, through module arguments that pass a single input on. It
// returns nil when the value was not reached through exactly one step at
// each level (an empty provenance, or several inputs): then no single
// place holds it. The last step is where to change the value, if its kind
// allows (see Editable).
func (p Provenance) Chain() []Step {
	if len(p) != 1 {
		return nil
	}
	out := []Step{p[0]}
	for cur := p[0]; cur.Kind == StepModuleArgument && len(cur.Inputs) > 0; {
		if len(cur.Inputs) != 1 {
			return nil
		}
		cur = cur.Inputs[0]
		out = append(out, cur)
	}
	return out
}

// Editable reports whether a value that ends its chain in this step is
// written as a literal at the step's Range, so that changing the text there
// changes the value.
func (s Step) Editable() bool {
	if s.Range.IsZero() || s.Range.StartLine == 0 {
		return false
	}
	switch s.Kind {
	case StepVariableDefault, StepTFVars, StepAutoTFVars, StepVarFile, StepParameterDefault, StepParameterOverride, StepMapping:
		return true
	case StepModuleArgument:
		return len(s.Inputs) == 0
	}
	return false
}

// Walk calls fn on every step in depth-first order with its depth (0 for
// the steps of p itself).
func (p Provenance) Walk(fn func(s Step, depth int)) {
	var walk func(steps []Step, depth int)
	walk = func(steps []Step, depth int) {
		for _, s := range steps {
			fn(s, depth)
			walk(s.Inputs, depth+1)
		}
	}
	walk(p, 0)
}
