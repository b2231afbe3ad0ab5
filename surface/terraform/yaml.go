package terraform

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	yaml "go.yaml.in/yaml/v3"
)

// yamlDecodeFunc is Terraform's yamldecode: mappings become objects,
// sequences tuples, scalars strings, numbers, bools or null by their YAML tag.
var yamlDecodeFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "src", Type: cty.String, AllowMarked: true}},
	Type:   function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		src, marks := args[0].Unmark()
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(src.AsString()), &doc); err != nil {
			return cty.DynamicVal, fmt.Errorf("yamldecode: %w", err)
		}
		if doc.Kind == 0 || len(doc.Content) == 0 {
			return cty.NullVal(cty.DynamicPseudoType).WithMarks(marks), nil
		}
		nodes := 0
		v, err := yamlNodeValue(doc.Content[0], 0, &nodes)
		if err != nil {
			return cty.DynamicVal, fmt.Errorf("yamldecode: %w", err)
		}
		return v.WithMarks(marks), nil
	},
})

// maxYAMLDepth stops alias bombs and absurd nesting.
const maxYAMLDepth = 200

// yamlNodeValue converts a node; nodes counts the nodes converted so far, so
// that aliases repeated level after level (a billion laughs) stop at
// maxCollection nodes instead of expanding without end.
func yamlNodeValue(n *yaml.Node, depth int, nodes *int) (cty.Value, error) {
	if depth > maxYAMLDepth {
		return cty.NilVal, fmt.Errorf("document nested too deeply (or recursive aliases)")
	}
	*nodes++
	if *nodes > maxCollection {
		return cty.NilVal, fmt.Errorf("document expands to more than %d values (aliases repeated?): not evaluated (%s)", maxCollection, budgetPhrase)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlNodeValue(n.Alias, depth+1, nodes)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return cty.NullVal(cty.DynamicPseudoType), nil
		}
		return yamlNodeValue(n.Content[0], depth+1, nodes)
	case yaml.SequenceNode:
		vals := make([]cty.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlNodeValue(c, depth+1, nodes)
			if err != nil {
				return cty.NilVal, err
			}
			vals = append(vals, v)
		}
		return cty.TupleVal(vals), nil
	case yaml.MappingNode:
		attrs := map[string]cty.Value{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merged, err := yamlNodeValue(v, depth+1, nodes)
				if err != nil {
					return cty.NilVal, err
				}
				if merged.Type().IsObjectType() {
					for name, mv := range merged.AsValueMap() {
						if _, set := attrs[name]; !set {
							attrs[name] = mv
						}
					}
				}
				continue
			}
			val, err := yamlNodeValue(v, depth+1, nodes)
			if err != nil {
				return cty.NilVal, err
			}
			attrs[k.Value] = val
		}
		return cty.ObjectVal(attrs), nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return cty.NilVal, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

func yamlScalar(n *yaml.Node) (cty.Value, error) {
	switch n.ShortTag() {
	case "!!null":
		return cty.NullVal(cty.DynamicPseudoType), nil
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err != nil {
			return cty.StringVal(n.Value), nil
		}
		return cty.BoolVal(b), nil
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		i, ok := new(big.Int).SetString(s, 0)
		if !ok {
			return cty.StringVal(n.Value), nil
		}
		return cty.NumberVal(new(big.Float).SetInt(i)), nil
	case "!!float":
		f, _, err := big.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 10, 512, big.ToNearestEven)
		if err != nil {
			return cty.NilVal, fmt.Errorf("line %d: %q is not a number cty can hold", n.Line, n.Value)
		}
		return cty.NumberVal(f), nil
	}
	return cty.StringVal(n.Value), nil
}
