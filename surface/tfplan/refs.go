package tfplan

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// moduleStep is one `module.NAME[KEY]` of a module instance address. Key is
// rendered as in addresses (`[0]`, `["a"]`) or empty.
type moduleStep struct {
	Name string
	Key  string
}

// parseModuleAddress splits `module.a["x"].module.b[0]` into steps.
func parseModuleAddress(s string) ([]moduleStep, error) {
	var steps []moduleStep
	for s != "" {
		rest, ok := strings.CutPrefix(s, "module.")
		if !ok {
			return nil, fmt.Errorf("module address %q: expected module.NAME", s)
		}
		name, rest := cutIdent(rest)
		if name == "" {
			return nil, fmt.Errorf("module address %q: missing module name", s)
		}
		key, rest, err := cutKey(rest)
		if err != nil {
			return nil, fmt.Errorf("module address %q: %w", s, err)
		}
		steps = append(steps, moduleStep{Name: name, Key: key})
		if rest != "" {
			if rest, ok = strings.CutPrefix(rest, "."); !ok {
				return nil, fmt.Errorf("module address %q: unexpected %q", s, rest)
			}
		}
		s = rest
	}
	return steps, nil
}

// cutIdent splits a Terraform identifier off the front of s.
func cutIdent(s string) (ident, rest string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			i++
			continue
		}
		break
	}
	return s[:i], s[i:]
}

// cutKey splits an instance key (`[0]`, `["a.b"]`) off the front of s; no
// key gives "".
func cutKey(s string) (key, rest string, err error) {
	if !strings.HasPrefix(s, "[") {
		return "", s, nil
	}
	if strings.HasPrefix(s, `["`) {
		i := 2
		for i < len(s) {
			switch s[i] {
			case '\\':
				i += 2
				continue
			case '"':
				if i+1 < len(s) && s[i+1] == ']' {
					return s[:i+2], s[i+2:], nil
				}
				return "", "", fmt.Errorf("unterminated instance key in %q", s)
			}
			i++
		}
		return "", "", fmt.Errorf("unterminated instance key in %q", s)
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return "", "", fmt.Errorf("unterminated instance key in %q", s)
	}
	inner := s[1:end]
	if inner == "" {
		return "", "", fmt.Errorf("empty instance key in %q", s)
	}
	return s[:end+1], s[end+1:], nil
}

// renderKey renders an instance key the way Terraform prints addresses.
func renderKey(index any) string {
	switch v := index.(type) {
	case float64:
		return "[" + strconv.FormatInt(int64(v), 10) + "]"
	case string:
		return "[" + strconv.Quote(v) + "]"
	}
	return ""
}

func modulePrefix(steps []moduleStep) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("module.")
		b.WriteString(s.Name)
		b.WriteString(s.Key)
		b.WriteString(".")
	}
	return b.String()
}

// resolver links configuration references to instance addresses of the plan.
type resolver struct {
	root *tfjson.ConfigModule
	// instances maps a resource address without instance key
	// (module.a["x"].aws_subnet.private) to its instance addresses, sorted.
	instances map[string][]string
}

func newResolver(cfg *tfjson.Config, managed []string) *resolver {
	r := &resolver{instances: map[string][]string{}}
	if cfg != nil {
		r.root = cfg.RootModule
	}
	for _, addr := range managed {
		base := stripInstanceKey(addr)
		r.instances[base] = append(r.instances[base], addr)
	}
	for _, v := range r.instances {
		sort.Strings(v)
	}
	return r
}

// stripInstanceKey removes the trailing `[key]` of a resource address.
func stripInstanceKey(addr string) string {
	if !strings.HasSuffix(addr, "]") {
		return addr
	}
	// Find the key's opening bracket, skipping quoted content.
	inQuote := false
	for i := len(addr) - 2; i >= 0; i-- {
		c := addr[i]
		if c == '"' && (i == 0 || addr[i-1] != '\\') {
			inQuote = !inQuote
			continue
		}
		if c == '[' && !inQuote {
			return addr[:i]
		}
	}
	return addr
}

// module returns the configuration module of a module instance path.
func (r *resolver) module(steps []moduleStep) *tfjson.ConfigModule {
	m := r.root
	for _, s := range steps {
		if m == nil {
			return nil
		}
		call := m.ModuleCalls[s.Name]
		if call == nil {
			return nil
		}
		m = call.Module
	}
	return m
}

// configResource returns the configuration block of a resource in a module instance.
func (r *resolver) configResource(steps []moduleStep, typ, name string) *tfjson.ConfigResource {
	m := r.module(steps)
	if m == nil {
		return nil
	}
	for _, res := range m.Resources {
		if res.Mode == tfjson.ManagedResourceMode && res.Type == typ && res.Name == name {
			return res
		}
	}
	return nil
}

// scope is where an expression is evaluated: a module instance and the
// instance key of the resource (or module call) that holds it.
type scope struct {
	steps []moduleStep
	key   string
}

// maxDepth bounds var/module-output chains (a cycle cannot occur in a valid
// plan, but a hand-edited one must not loop).
const maxDepth = 16

// resolve links the references of one expression to instance addresses.
// many allows a reference without an instance key to stand for every
// instance (a list attribute). It returns the linked addresses in reference
// order and the references it could not link (locals, variables of the root
// module, data sources, ambiguous keys).
func (r *resolver) resolve(sc scope, refs []string, many bool) linkResult {
	return r.resolveDepth(sc, refs, many, 0)
}

// linkResult is what resolving an expression's references gives.
type linkResult struct {
	// linked are instance addresses, in reference order, without duplicates.
	linked []string
	// unlinked are references that lead to no instance of the plan.
	unlinked []string
	// constants counts variables whose value is a constant (a root module
	// variable, or a module argument without references): such a value is
	// known when the plan is made, so it cannot be what is unknown.
	constants int
}

func (r *resolver) resolveDepth(sc scope, refs []string, many bool, depth int) (res linkResult) {
	if depth > maxDepth {
		return linkResult{unlinked: refs}
	}
	usesKey := false
	for _, ref := range refs {
		if ref == "count.index" || strings.HasPrefix(ref, "each.") {
			usesKey = true
		}
	}
	seen := map[string]bool{}
	add := func(addrs ...string) {
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				res.linked = append(res.linked, a)
			}
		}
	}
	miss := func(ref string) {
		if !seen["!"+ref] {
			seen["!"+ref] = true
			res.unlinked = append(res.unlinked, ref)
		}
	}
	// Terraform lists the most specific form first and then its prefixes
	// (aws_subnet.a[0].id, aws_subnet.a[0], aws_subnet.a): a reference that
	// is a prefix of one already handled adds nothing.
	var handled []string
	for _, ref := range refs {
		if isPrefixOfAny(ref, handled) {
			continue
		}
		handled = append(handled, ref)
		head, rest := cutIdent(ref)
		switch head {
		case "count", "each", "path", "terraform", "self", "local", "data":
			if head == "local" || head == "data" {
				miss(ref)
			}
			continue
		case "var":
			name, _ := cutIdent(strings.TrimPrefix(rest, "."))
			sub, ok := r.resolveVar(sc, name, many, depth)
			switch {
			case !ok:
				miss(ref)
			case len(sub.linked) == 0 && len(sub.unlinked) == 0:
				res.constants++
			default:
				add(sub.linked...)
				for _, u := range sub.unlinked {
					miss(u)
				}
				res.constants += sub.constants
			}
			continue
		case "module":
			got := r.resolveModuleOutput(sc, strings.TrimPrefix(rest, "."), many, depth)
			if len(got) == 0 {
				miss(ref)
			}
			add(got...)
			continue
		}
		// A resource reference: TYPE.NAME[KEY].attr...
		name, rest2 := cutIdent(strings.TrimPrefix(rest, "."))
		if name == "" || !strings.HasPrefix(rest, ".") {
			miss(ref)
			continue
		}
		key, _, err := cutKey(rest2)
		if err != nil {
			miss(ref)
			continue
		}
		base := modulePrefix(sc.steps) + head + "." + name
		insts := r.instances[base]
		switch {
		case key != "":
			if contains(insts, base+key) {
				add(base + key)
			} else {
				miss(ref)
			}
		case len(insts) == 1 && insts[0] == base:
			add(base)
		case usesKey && sc.key != "" && contains(insts, base+sc.key):
			add(base + sc.key)
		case many && len(insts) > 0:
			add(insts...)
		default:
			miss(ref)
		}
	}
	return res
}

// resolveVar follows var.NAME of a module instance to the argument of its
// module call, evaluated in the parent module instance. ok is false when the
// call cannot be found; a root variable or an argument without references
// is a constant (an empty result).
func (r *resolver) resolveVar(sc scope, name string, many bool, depth int) (res linkResult, ok bool) {
	if len(sc.steps) == 0 {
		return linkResult{}, true
	}
	parent := sc.steps[:len(sc.steps)-1]
	last := sc.steps[len(sc.steps)-1]
	pm := r.module(parent)
	if pm == nil || pm.ModuleCalls[last.Name] == nil {
		return linkResult{}, false
	}
	expr := pm.ModuleCalls[last.Name].Expressions[name]
	if expr == nil || expr.ExpressionData == nil {
		// Not passed: the module variable's default, a constant.
		return linkResult{}, true
	}
	return r.resolveDepth(scope{steps: parent, key: last.Key}, expr.References, many, depth+1), true
}

// resolveModuleOutput follows NAME[KEY].OUTPUT of a module call to the
// output's expression inside the called module instance.
//
// An element of a list output (module.vpc.private_subnets[0]) whose
// expression references the counted instances of one resource
// (aws_subnet.private[*].id) is that resource's instance with the same
// index: a splat lists the instances in index order. The plan JSON records
// only the output's references, not its expression, so this reading is
// what lets such an element resolve at all; without it the element stays
// unlinked (unknown), never a guess among several resources.
func (r *resolver) resolveModuleOutput(sc scope, s string, many bool, depth int) []string {
	name, rest := cutIdent(s)
	key, rest, err := cutKey(rest)
	if err != nil || name == "" {
		return nil
	}
	output, rest := cutIdent(strings.TrimPrefix(rest, "."))
	if index, _, err := cutKey(rest); err == nil && index != "" && !strings.HasPrefix(index, `["`) {
		all := r.resolveModuleOutput(sc, name+key+"."+output, true, depth)
		if len(all) > 0 && contains(all, stripInstanceKey(all[0])+index) && sameResource(all) {
			return []string{stripInstanceKey(all[0]) + index}
		}
	}
	m := r.module(sc.steps)
	if m == nil || m.ModuleCalls[name] == nil || m.ModuleCalls[name].Module == nil {
		return nil
	}
	call := m.ModuleCalls[name]
	if key == "" && (call.CountExpression != nil || call.ForEachExpression != nil) {
		return nil // which instance is meant is not recorded
	}
	out := call.Module.Outputs[output]
	if out == nil || out.Expression == nil || out.Expression.ExpressionData == nil {
		return nil
	}
	child := append(append([]moduleStep(nil), sc.steps...), moduleStep{Name: name, Key: key})
	return r.resolveDepth(scope{steps: child}, out.Expression.References, many, depth+1).linked
}

// sameResource reports whether every address is an instance of one resource.
func sameResource(addrs []string) bool {
	for _, a := range addrs {
		if stripInstanceKey(a) != stripInstanceKey(addrs[0]) {
			return false
		}
	}
	return true
}

func isPrefixOfAny(ref string, others []string) bool {
	for _, o := range others {
		if strings.HasPrefix(o, ref) && len(o) > len(ref) && (o[len(ref)] == '.' || o[len(ref)] == '[') {
			return true
		}
	}
	return false
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
