package tfplan

import (
	"fmt"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// TestModuleOutputElement: an element of a module's list output links to
// the instance of the same index when the output references one counted
// resource, and stays unlinked when the output mixes resources.
func TestModuleOutputElement(t *testing.T) {
	outputs := func(refs ...string) map[string]*tfjson.ConfigOutput {
		return map[string]*tfjson.ConfigOutput{"subnets": {Expression: &tfjson.Expression{ExpressionData: &tfjson.ExpressionData{References: refs}}}}
	}
	cases := []struct {
		name    string
		outRefs []string
		managed []string
		ref     []string
		many    bool
		want    []string
	}{
		{"splat element", []string{"aws_subnet.private"},
			[]string{"module.vpc.aws_subnet.private[0]", "module.vpc.aws_subnet.private[1]"},
			[]string{"module.vpc.subnets[1]", "module.vpc.subnets", "module.vpc"}, false,
			[]string{"module.vpc.aws_subnet.private[1]"}},
		{"index beyond the instances", []string{"aws_subnet.private"},
			[]string{"module.vpc.aws_subnet.private[0]"},
			[]string{"module.vpc.subnets[3]", "module.vpc.subnets", "module.vpc"}, false, nil},
		{"two resources: no guess", []string{"aws_subnet.a", "aws_subnet.b"},
			[]string{"module.vpc.aws_subnet.a[0]", "module.vpc.aws_subnet.b[0]"},
			[]string{"module.vpc.subnets[0]", "module.vpc.subnets", "module.vpc"}, false, nil},
		{"whole list", []string{"aws_subnet.private"},
			[]string{"module.vpc.aws_subnet.private[0]", "module.vpc.aws_subnet.private[1]"},
			[]string{"module.vpc.subnets", "module.vpc"}, true,
			[]string{"module.vpc.aws_subnet.private[0]", "module.vpc.aws_subnet.private[1]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := &tfjson.Config{RootModule: &tfjson.ConfigModule{ModuleCalls: map[string]*tfjson.ModuleCall{
				"vpc": {Module: &tfjson.ConfigModule{Outputs: outputs(c.outRefs...)}},
			}}}
			got := newResolver(cfg, c.managed).resolve(scope{}, c.ref, c.many).linked
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("linked %v, want %v", got, c.want)
			}
		})
	}
}
