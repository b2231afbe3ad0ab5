package cloudformation

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// resourceEntry is one resource of the template after Fn::ForEach expansion.
type resourceEntry struct {
	key, body *yaml.Node
}

// maxForEachResources bounds the resources Fn::ForEach loops of one
// template expand to (nested loops multiply).
const maxForEachResources = 10_000

// expandResources lists the template's resources, expanding the
// AWS::LanguageExtensions Fn::ForEach loops the way CloudFormation does
// before deploy: for each item of the collection, ${Id} and &{Id} are
// replaced in the output keys and values, and Ref Id becomes the item.
// Expanded resources keep the lines of the loop body that declares them.
func (b *builder) expandResources(resources *yaml.Node) []resourceEntry {
	var out []resourceEntry
	for i := 0; i+1 < len(resources.Content); i += 2 {
		k, v := resources.Content[i], resources.Content[i+1]
		if strings.HasPrefix(k.Value, "Fn::ForEach::") {
			out = append(out, b.expandForEach(k, v, 0)...)
			continue
		}
		out = append(out, resourceEntry{k, v})
	}
	return out
}

func (b *builder) expandForEach(key, loop *yaml.Node, depth int) []resourceEntry {
	if depth > 8 {
		b.forEachGap(key, loop, "loops are nested too deeply")
		return nil
	}
	if loop.Kind != yaml.SequenceNode || len(loop.Content) != 3 || loop.Content[0].Kind != yaml.ScalarNode ||
		loop.Content[2].Kind != yaml.MappingNode {
		b.forEachGap(key, loop, "it is not [identifier, collection, output]")
		return nil
	}
	ident := loop.Content[0].Value
	coll := b.e.eval(loop.Content[1])
	if coll.kind != kList {
		b.forEachGap(key, loop, "the collection cannot be resolved: "+cmp.Or(coll.reason, "not a list"))
		return nil
	}
	var out []resourceEntry
	for _, item := range coll.items {
		if b.expanded >= maxForEachResources {
			b.forEachGap(key, loop, fmt.Sprintf("the loops expand to more than %d resources, more than sagefence evaluates (evaluation budget)", maxForEachResources))
			return out
		}
		if item.kind != kScalar {
			b.forEachGap(key, loop, fmt.Sprintf("an item of the collection cannot be resolved: %s", cmp.Or(item.reason, "not a string")))
			return nil
		}
		tmpl := loop.Content[2]
		for j := 0; j+1 < len(tmpl.Content); j += 2 {
			k := *tmpl.Content[j]
			k.Value = substituteIdentifier(k.Value, ident, item.s)
			body := substituteNode(tmpl.Content[j+1], ident, item.s, 0)
			if strings.HasPrefix(k.Value, "Fn::ForEach::") {
				out = append(out, b.expandForEach(&k, body, depth+1)...)
				continue
			}
			out = append(out, resourceEntry{&k, body})
			b.expanded++
		}
	}
	return out
}

// substituteIdentifier replaces ${id} with the item and &{id} with the item
// stripped to letters and digits (as logical IDs require).
func substituteIdentifier(s, ident, item string) string {
	s = strings.ReplaceAll(s, "${"+ident+"}", item)
	alnum := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, item)
	return strings.ReplaceAll(s, "&{"+ident+"}", alnum)
}

// substituteNode deep-copies a node with the loop identifier replaced.
func substituteNode(n *yaml.Node, ident, item string, depth int) *yaml.Node {
	if n == nil || depth > maxDepth {
		return n
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return substituteNode(n.Alias, ident, item, depth+1)
	}
	c := *n
	if fn, arg := intrinsic(n); fn == "Ref" && arg.Kind == yaml.ScalarNode && arg.Value == ident {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: item, Line: n.Line, Column: n.Column}
	}
	if c.Kind == yaml.ScalarNode {
		c.Value = substituteIdentifier(c.Value, ident, item)
		return &c
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = substituteNode(ch, ident, item, depth+1)
	}
	return &c
}
