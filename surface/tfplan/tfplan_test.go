package tfplan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

const casesDir = "../../testdata/cases"

// loadCase loads the plan or state JSON of a generated case and fails on errors.
func loadCase(t *testing.T, name string) *model.Set {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(casesDir, name, "*.json"))
	for _, m := range matches {
		if filepath.Base(m) == "expected.json" {
			continue
		}
		res := LoadFile(context.Background(), m, surface.Options{})
		if len(res.Errors) > 0 || len(res.Sets) != 1 {
			t.Fatalf("%s: errors %v, %d sets", m, res.Errors, len(res.Sets))
		}
		return res.Sets[0]
	}
	t.Fatalf("no plan JSON in case %s", name)
	return nil
}

func notebook(t *testing.T, s *model.Set, addr string) *model.NotebookInstance {
	t.Helper()
	for _, nb := range s.Notebooks {
		if nb.Address == addr {
			return nb
		}
	}
	t.Fatalf("no notebook %s; have %v", addr, addresses(s))
	return nil
}

func addresses(s *model.Set) []string {
	var out []string
	for _, nb := range s.Notebooks {
		out = append(out, nb.Address)
	}
	return out
}

func refs(l model.List) []string {
	var out []string
	for _, it := range l.Items {
		out = append(out, it.Ref)
	}
	return out
}

// TestNotebookLinks checks how identifiers known only after apply are
// linked to the resources their configuration references.
func TestNotebookLinks(t *testing.T) {
	tests := []struct {
		caseName, address   string
		subnetRef, subnetV  string
		sgRefs              []string
		sgResolution        model.Resolution
		access              string
		accessResolution    model.Resolution
		replaced            bool
		noteContains        string
		lifecycleRef        string
		subnetResolution    model.Resolution
		accessReasonContain string
	}{
		{caseName: "plan-omitted", address: "aws_sagemaker_notebook_instance.default",
			access: "Enabled", accessResolution: model.Default, subnetResolution: model.Default, sgResolution: model.Default},
		{caseName: "plan-enabled-disabled", address: "aws_sagemaker_notebook_instance.private",
			subnetRef: "aws_subnet.private", sgRefs: []string{"aws_security_group.notebook"}, sgResolution: model.Explicit,
			access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-enabled-disabled", address: "aws_sagemaker_notebook_instance.no_sg",
			subnetRef: "aws_subnet.private", sgResolution: model.Default,
			access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-count", address: "aws_sagemaker_notebook_instance.team[1]",
			subnetRef: "aws_subnet.private[1]", sgRefs: []string{"aws_security_group.notebook"}, sgResolution: model.Explicit,
			access: "Enabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-module-instances", address: `module.ml["research"].aws_sagemaker_notebook_instance.this`,
			subnetRef: "module.network.aws_subnet.this", sgRefs: []string{"module.network.aws_security_group.this"},
			sgResolution: model.Explicit, access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-module-instances", address: `module.legacy[0].aws_sagemaker_notebook_instance.this`,
			sgResolution: model.Default, access: "Enabled", accessResolution: model.Explicit, subnetResolution: model.Default},
		{caseName: "plan-replace", address: "aws_sagemaker_notebook_instance.analytics",
			subnetRef: "aws_subnet.private", subnetV: "subnet-0bbb2222", sgRefs: []string{"aws_security_group.notebook"},
			sgResolution: model.Explicit, access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit,
			replaced: true, noteContains: "forced by subnet_id, direct_internet_access, security_groups"},
		{caseName: "plan-replace", address: "aws_sagemaker_notebook_instance.steady",
			subnetRef: "aws_subnet.private", subnetV: "subnet-0bbb2222", sgRefs: []string{"aws_security_group.notebook"},
			sgResolution: model.Explicit, access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-state", address: "aws_sagemaker_notebook_instance.prod",
			subnetRef: "aws_subnet.private", subnetV: "subnet-0bbb2222", sgRefs: []string{"aws_security_group.notebook"},
			sgResolution: model.Explicit, access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit},
		{caseName: "plan-state", address: "aws_sagemaker_notebook_instance.scratch",
			sgResolution: model.Default, access: "Enabled", accessResolution: model.Explicit, subnetResolution: model.Default},
		{caseName: "plan-unknown", address: "aws_sagemaker_notebook_instance.computed",
			sgResolution: model.Default, accessResolution: model.Unknown, subnetResolution: model.Default,
			accessReasonContain: "known only after apply (it is computed from aws_vpc.main.default_network_acl_id)"},
		{caseName: "plan-network", address: "aws_sagemaker_notebook_instance.private",
			subnetRef: "aws_subnet.private", sgRefs: []string{"aws_security_group.nb"}, sgResolution: model.Explicit,
			access: "Disabled", accessResolution: model.Explicit, subnetResolution: model.Explicit,
			lifecycleRef: "aws_sagemaker_notebook_instance_lifecycle_configuration.setup"},
	}
	for _, tt := range tests {
		t.Run(tt.caseName+"/"+tt.address, func(t *testing.T) {
			nb := notebook(t, loadCase(t, tt.caseName), tt.address)
			if nb.Surface != model.SurfaceTerraformPlan || !nb.Managed || nb.Range.StartLine != 0 || nb.Range.File == "" {
				t.Errorf("meta: surface %q managed %v range %+v", nb.Surface, nb.Managed, nb.Range)
			}
			if nb.DirectInternetAccess.Resolution != tt.accessResolution || nb.DirectInternetAccess.V != tt.access {
				t.Errorf("direct_internet_access = %+v, want %q %s", nb.DirectInternetAccess, tt.access, tt.accessResolution)
			}
			if !strings.Contains(nb.DirectInternetAccess.Reason, tt.accessReasonContain) {
				t.Errorf("reason %q does not contain %q", nb.DirectInternetAccess.Reason, tt.accessReasonContain)
			}
			if nb.SubnetID.Ref != tt.subnetRef || nb.SubnetID.V != tt.subnetV || nb.SubnetID.Resolution != tt.subnetResolution {
				t.Errorf("subnet_id = %+v, want ref %q v %q %s", nb.SubnetID, tt.subnetRef, tt.subnetV, tt.subnetResolution)
			}
			if got := strings.Join(refs(nb.SecurityGroups), ","); got != strings.Join(tt.sgRefs, ",") || nb.SecurityGroups.Resolution != tt.sgResolution {
				t.Errorf("security_groups = %+v, want refs %v %s", nb.SecurityGroups, tt.sgRefs, tt.sgResolution)
			}
			if nb.Replaced != tt.replaced {
				t.Errorf("replaced = %v, want %v", nb.Replaced, tt.replaced)
			}
			if tt.noteContains != "" && (len(nb.Notes) != 1 || !strings.Contains(nb.Notes[0], tt.noteContains) ||
				!strings.Contains(nb.Notes[0], "storage volume")) {
				t.Errorf("notes %q, want one containing %q", nb.Notes, tt.noteContains)
			}
			if !tt.replaced && len(nb.Notes) > 0 {
				t.Errorf("unexpected notes %q", nb.Notes)
			}
			if nb.LifecycleConfigName.Ref != tt.lifecycleRef {
				t.Errorf("lifecycle_config_name ref %q, want %q", nb.LifecycleConfigName.Ref, tt.lifecycleRef)
			}
		})
	}
}

func TestDeletedNotebookIsNotInTheSet(t *testing.T) {
	s := loadCase(t, "plan-deleted")
	if got := addresses(s); len(got) != 1 || got[0] != "aws_sagemaker_notebook_instance.kept" {
		t.Fatalf("notebooks %v, want only aws_sagemaker_notebook_instance.kept", got)
	}
}

func TestNetworkModel(t *testing.T) {
	s := loadCase(t, "plan-network")
	rt := findRT(t, s, "aws_route_table.private")
	if !rt.Complete || rt.Main || rt.VpcID.Ref != "aws_vpc.main" {
		t.Errorf("route table: complete %v main %v vpc %+v", rt.Complete, rt.Main, rt.VpcID)
	}
	if len(rt.Subnets) != 1 || rt.Subnets[0].Ref != "aws_subnet.private" {
		t.Errorf("associations %+v", rt.Subnets)
	}
	var nat, local, separate bool
	for _, r := range rt.Routes {
		switch {
		case r.Destination.V == "0.0.0.0/0":
			nat = r.TargetKind == "nat" && r.Target.Ref == "aws_nat_gateway.nat"
		case r.Destination.V == "192.168.0.0/16":
			local = r.TargetKind == awsfacts.TargetLocal && r.Target.V == "local"
		case r.Destination.V == "10.10.0.0/16":
			separate = r.TargetKind == "nat" && r.Target.Ref == "aws_nat_gateway.nat"
		}
	}
	if !nat || !local || !separate || len(rt.Routes) != 3 {
		t.Errorf("routes %+v (nat %v local %v aws_route %v)", rt.Routes, nat, local, separate)
	}
	def := findRT(t, s, "aws_default_route_table.d")
	if !def.Main || def.VpcID.Ref != "aws_vpc.main" || def.Complete || def.Reason == "" {
		t.Errorf("default route table: main %v vpc %+v complete %v reason %q", def.Main, def.VpcID, def.Complete, def.Reason)
	}
	if len(s.NATGateways) != 1 || s.NATGateways[0].SubnetID.Ref != "aws_subnet.public" {
		t.Errorf("NAT gateways %+v", s.NATGateways)
	}
	eps := map[string]*model.VPCEndpoint{}
	for _, ep := range s.VPCEndpoints {
		eps[ep.Address] = ep
	}
	s3, api := eps["aws_vpc_endpoint.s3"], eps["aws_vpc_endpoint.api"]
	if s3 == nil || api == nil {
		t.Fatalf("endpoints %v", eps)
	}
	if s3.Type.V != "Gateway" || s3.Type.Resolution != model.Default || strings.Join(refs(s3.RouteTableIDs), ",") != "aws_route_table.private" {
		t.Errorf("s3 endpoint type %+v route tables %+v", s3.Type, s3.RouteTableIDs)
	}
	if api.Type.V != "Interface" || !api.PrivateDNSEnabled.V || strings.Join(refs(api.SubnetIDs), ",") != "aws_subnet.private" ||
		strings.Join(refs(api.SecurityGroupIDs), ",") != "aws_security_group.nb" {
		t.Errorf("api endpoint %+v", api)
	}
	if len(s.SecurityGroups) != 1 {
		t.Fatalf("security groups %+v", s.SecurityGroups)
	}
	sg := s.SecurityGroups[0]
	if !sg.EgressDeclared || !sg.EgressComplete || len(sg.Egress) != 2 {
		t.Fatalf("security group egress: declared %v complete %v rules %+v", sg.EgressDeclared, sg.EgressComplete, sg.Egress)
	}
	https, all := sg.Egress[0], sg.Egress[1]
	if https.Address != "aws_security_group_rule.https" || https.Protocol.V != "tcp" || https.FromPort.V != 443 ||
		https.ToPort.V != 443 || len(https.CIDRs) != 1 || https.CIDRs[0].V != "0.0.0.0/0" {
		t.Errorf("https rule %+v", https)
	}
	if all.Address != "aws_vpc_security_group_egress_rule.all" || all.Protocol.V != "-1" || len(all.CIDRs) != 1 || all.CIDRs[0].V != "10.0.0.0/8" {
		t.Errorf("all rule %+v", all)
	}
	if len(s.LifecycleConfigs) != 1 || len(s.LifecycleConfigs[0].Scripts) != 1 ||
		s.LifecycleConfigs[0].Scripts[0].Hook != "on_start" ||
		s.LifecycleConfigs[0].Scripts[0].Content != "#!/bin/bash\npip install pandas\n" {
		t.Errorf("lifecycle configs %+v", s.LifecycleConfigs)
	}
	if len(s.Domains) != 1 || s.Domains[0].VpcID.Ref != "aws_vpc.main" || strings.Join(refs(s.Domains[0].SubnetIDs), ",") != "aws_subnet.private" {
		t.Errorf("domain %+v", s.Domains)
	}
}

func TestStateSecurityGroupWithoutEgress(t *testing.T) {
	s := loadCase(t, "plan-state")
	if len(s.SecurityGroups) != 1 {
		t.Fatalf("security groups %+v", s.SecurityGroups)
	}
	sg := s.SecurityGroups[0]
	// egress = [] in the state: the deployed group has no egress at all.
	if !sg.EgressDeclared || len(sg.Egress) != 0 || sg.VpcID.Ref != "aws_vpc.main" {
		t.Errorf("group %+v", sg)
	}
	if len(s.Domains) != 1 || s.Domains[0].AppNetworkAccessType.V != "VpcOnly" || s.Domains[0].VpcID.Ref != "aws_vpc.main" {
		t.Errorf("domain %+v", s.Domains)
	}
}

func findRT(t *testing.T, s *model.Set, addr string) *model.RouteTable {
	t.Helper()
	for _, rt := range s.RouteTables {
		if rt.Address == addr {
			return rt
		}
	}
	t.Fatalf("no route table %s", addr)
	return nil
}

// planDoc builds a minimal plan JSON with one notebook change and the
// configuration expressions of its block.
func planDoc(t *testing.T, extra []map[string]any, change map[string]any, expressions map[string]any) []byte {
	t.Helper()
	rc := map[string]any{
		"address": "aws_sagemaker_notebook_instance.nb", "mode": "managed",
		"type": "aws_sagemaker_notebook_instance", "name": "nb", "change": change,
	}
	cfgResources := []any{map[string]any{
		"address": "aws_sagemaker_notebook_instance.nb", "mode": "managed",
		"type": "aws_sagemaker_notebook_instance", "name": "nb", "expressions": expressions,
	}}
	changes := []any{rc}
	for _, e := range extra {
		changes = append(changes, e)
		cfgResources = append(cfgResources, map[string]any{
			"address": e["address"], "mode": "managed", "type": e["type"], "name": e["name"], "expressions": map[string]any{},
		})
	}
	b, err := json.Marshal(map[string]any{
		"format_version": "1.2", "terraform_version": "1.11.4",
		"planned_values":   map[string]any{"root_module": map[string]any{}},
		"resource_changes": changes,
		"configuration":    map[string]any{"root_module": map[string]any{"resources": cfgResources}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadBytes(t *testing.T, data []byte) *model.Set {
	t.Helper()
	res := Load(context.Background(), bytes.NewReader(data), "plan.json")
	if len(res.Errors) > 0 || len(res.Sets) != 1 {
		t.Fatalf("errors %v", res.Errors)
	}
	return res.Sets[0]
}

func TestTrickyMappings(t *testing.T) {
	sg := func(name, id string) map[string]any {
		after := map[string]any{"name": name}
		unknown := map[string]any{"id": true}
		if id != "" {
			after["id"] = id
			unknown = map[string]any{}
		}
		return map[string]any{"address": "aws_security_group." + name, "mode": "managed", "type": "aws_security_group",
			"name": name, "change": map[string]any{"actions": []any{"create"}, "after": after, "after_unknown": unknown}}
	}
	t.Run("create_before_destroy replacement", func(t *testing.T) {
		s := loadBytes(t, planDoc(t, nil, map[string]any{
			"actions": []any{"create", "delete"},
			"after":   map[string]any{"name": "nb", "direct_internet_access": "Disabled"},
		}, map[string]any{"direct_internet_access": map[string]any{"constant_value": "Disabled"}}))
		nb := s.Notebooks[0]
		if !nb.Replaced || len(nb.Notes) != 1 || !strings.Contains(nb.Notes[0], "create, delete") || strings.Contains(nb.Notes[0], "forced by") {
			t.Errorf("replaced %v notes %q", nb.Replaced, nb.Notes)
		}
	})
	t.Run("sensitive value is still read", func(t *testing.T) {
		s := loadBytes(t, planDoc(t, nil, map[string]any{
			"actions":         []any{"create"},
			"after":           map[string]any{"name": "nb", "direct_internet_access": "Disabled"},
			"after_sensitive": map[string]any{"direct_internet_access": true},
		}, map[string]any{"direct_internet_access": map[string]any{"references": []any{"var.access"}}}))
		v := s.Notebooks[0].DirectInternetAccess
		if v.V != "Disabled" || v.Resolution != model.Explicit || !strings.Contains(finding.DescribeProvenance(v.Provenance), "sensitive") || !strings.Contains(finding.DescribeProvenance(v.Provenance), "var.access") {
			t.Errorf("value %+v", v)
		}
	})
	t.Run("partly unknown list fills the unknown element from references", func(t *testing.T) {
		s := loadBytes(t, planDoc(t, []map[string]any{sg("known", "sg-0123"), sg("fresh", "")}, map[string]any{
			"actions":       []any{"create"},
			"after":         map[string]any{"name": "nb", "security_groups": []any{"sg-0123", nil}},
			"after_unknown": map[string]any{"security_groups": []any{false, true}},
		}, map[string]any{"security_groups": map[string]any{"references": []any{
			"aws_security_group.known.id", "aws_security_group.known", "aws_security_group.fresh.id", "aws_security_group.fresh"}}}))
		l := s.Notebooks[0].SecurityGroups
		if len(l.Items) != 2 || l.Items[0].Ref != "aws_security_group.known" || l.Items[0].V != "sg-0123" ||
			l.Items[1].Ref != "aws_security_group.fresh" || l.Items[1].Resolution != model.Explicit {
			t.Errorf("security groups %+v", l)
		}
	})
	t.Run("unknown subnet through a local is set but not linked", func(t *testing.T) {
		s := loadBytes(t, planDoc(t, nil, map[string]any{
			"actions":       []any{"create"},
			"after":         map[string]any{"name": "nb"},
			"after_unknown": map[string]any{"subnet_id": true},
		}, map[string]any{"subnet_id": map[string]any{"references": []any{"local.subnet_id"}}}))
		v := s.Notebooks[0].SubnetID
		if v.Ref != "local.subnet_id" || v.Resolution != model.Explicit {
			t.Errorf("subnet %+v", v)
		}
	})
	t.Run("unknown subnet from a data source is unknown", func(t *testing.T) {
		s := loadBytes(t, planDoc(t, nil, map[string]any{
			"actions":       []any{"create"},
			"after":         map[string]any{"name": "nb"},
			"after_unknown": map[string]any{"subnet_id": true},
		}, map[string]any{"subnet_id": map[string]any{"references": []any{"data.aws_subnet.x.id", "data.aws_subnet.x"}}}))
		v := s.Notebooks[0].SubnetID
		if v.Resolution != model.Unknown || !strings.Contains(v.Reason, "data.aws_subnet.x.id") {
			t.Errorf("subnet %+v", v)
		}
	})
	t.Run("lifecycle script that is not base64 is kept as text", func(t *testing.T) {
		data := []byte(`{"format_version":"1.2","terraform_version":"1.11.4","resource_changes":[
{"address":"aws_sagemaker_notebook_instance_lifecycle_configuration.lc","mode":"managed",
 "type":"aws_sagemaker_notebook_instance_lifecycle_configuration","name":"lc",
 "change":{"actions":["update"],"after":{"name":"lc","on_create":"pip install x","on_start":"ZWNobyBoaQ=="},"after_unknown":{}}}]}`)
		s := loadBytes(t, data)
		sc := s.LifecycleConfigs[0].Scripts
		if len(sc) != 2 || sc[0].Content != "pip install x" || sc[1].Content != "echo hi" || sc[1].Resolution != model.Explicit {
			t.Errorf("scripts %+v", sc)
		}
	})
	t.Run("data sources and forgotten resources are ignored", func(t *testing.T) {
		data := []byte(`{"format_version":"1.2","terraform_version":"1.11.4","resource_changes":[
{"address":"data.aws_sagemaker_notebook_instance.x","mode":"data","type":"aws_sagemaker_notebook_instance","name":"x",
 "change":{"actions":["read"],"after":{"name":"x"}}},
{"address":"aws_sagemaker_notebook_instance.f","mode":"managed","type":"aws_sagemaker_notebook_instance","name":"f",
 "change":{"actions":["forget"],"after":null}}]}`)
		if s := loadBytes(t, data); len(s.Notebooks) != 0 {
			t.Errorf("notebooks %v", addresses(s))
		}
	})
}

func TestForEachKeyLinking(t *testing.T) {
	// A notebook per for_each key whose subnet is the subnet with the same key.
	subnet := func(key, id string) map[string]any {
		after := map[string]any{}
		unknown := map[string]any{"id": true}
		if id != "" {
			after["id"], unknown = id, map[string]any{}
		}
		return map[string]any{"address": `aws_subnet.s["` + key + `"]`, "mode": "managed", "type": "aws_subnet",
			"name": "s", "index": key, "change": map[string]any{"actions": []any{"create"}, "after": after, "after_unknown": unknown}}
	}
	nb := func(key string) map[string]any {
		return map[string]any{"address": `module.m["x"].aws_sagemaker_notebook_instance.nb["` + key + `"]`,
			"module_address": `module.m["x"]`, "mode": "managed", "type": "aws_sagemaker_notebook_instance",
			"name": "nb", "index": key, "change": map[string]any{"actions": []any{"create"},
				"after": map[string]any{"name": key}, "after_unknown": map[string]any{"subnet_id": true}}}
	}
	sub := func(key string) map[string]any {
		s := subnet(key, "")
		s["address"] = `module.m["x"].` + s["address"].(string)
		s["module_address"] = `module.m["x"]`
		return s
	}
	doc := map[string]any{
		"format_version": "1.2", "terraform_version": "1.11.4",
		"resource_changes": []any{nb("a"), nb("b"), sub("a"), sub("b")},
		"configuration": map[string]any{"root_module": map[string]any{"module_calls": map[string]any{"m": map[string]any{
			"source": "./m", "for_each_expression": map[string]any{"references": []any{"var.x"}},
			"module": map[string]any{"resources": []any{map[string]any{
				"address": "aws_sagemaker_notebook_instance.nb", "mode": "managed", "type": "aws_sagemaker_notebook_instance", "name": "nb",
				"expressions": map[string]any{"subnet_id": map[string]any{"references": []any{"aws_subnet.s", "each.key"}}},
			}}},
		}}}},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := loadBytes(t, data)
	for _, key := range []string{"a", "b"} {
		got := notebook(t, s, `module.m["x"].aws_sagemaker_notebook_instance.nb["`+key+`"]`).SubnetID
		if want := `module.m["x"].aws_subnet.s["` + key + `"]`; got.Ref != want || got.Resolution != model.Explicit {
			t.Errorf("key %s: subnet %+v, want ref %s", key, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, data, contains string
		line                 int
	}{
		{"truncated", "{\n\"format_version\": \"1.2\",\n\"resource_changes\": [\n{\"address\": ", "unexpected end", 4},
		{"not an object", "[1, 2]", "not a terraform show -json document", 1},
		{"future format", `{"format_version": "2.0", "terraform_version": "9.0.0"}`, "unsupported format_version", 0},
		{"no format_version", `{"terraform_version": "1.11.4"}`, "no format_version", 0},
		{"trailing data", `{"format_version": "1.2"} {}`, "after the JSON document", 1},
		{"wrong shape", `{"format_version": "1.2", "resource_changes": {"a": 1}}`, "resource_changes", 1},
		{"wrong shape on line 3", "{\n\"format_version\": \"1.2\",\n\"resource_changes\": {\"a\": 1}\n}\n", "expected an array", 3},
		{"error inside a skipped value", "{\"format_version\": \"1.2\",\n\"planned_values\": {\n\"a\": 1\n\"b\": 2}}", "after object key:value pair", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "plan.json")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			res := LoadFile(context.Background(), path, surface.Options{})
			if len(res.Sets) != 0 || len(res.Errors) != 1 {
				t.Fatalf("sets %d errors %v", len(res.Sets), res.Errors)
			}
			e := res.Errors[0]
			if e.File != path || !strings.Contains(e.Message, tt.contains) || e.Line != tt.line {
				t.Errorf("error %s:%d %q, want line %d containing %q", e.File, e.Line, e.Message, tt.line, tt.contains)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		res := LoadFile(context.Background(), filepath.Join(t.TempDir(), "nope.json"), surface.Options{})
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "no such file") {
			t.Errorf("errors %v", res.Errors)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res := Load(ctx, strings.NewReader(`{"format_version":"1.2"}`), "plan.json")
		if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "canceled") {
			t.Errorf("errors %v", res.Errors)
		}
	})
}

func TestAddressParsing(t *testing.T) {
	tests := []struct {
		in   string
		want []moduleStep
		err  bool
	}{
		{"", nil, false},
		{"module.a", []moduleStep{{"a", ""}}, false},
		{`module.a["x.y"].module.b[0]`, []moduleStep{{"a", `["x.y"]`}, {"b", "[0]"}}, false},
		{`module.a["q\"]"]`, []moduleStep{{"a", `["q\"]"]`}}, false},
		{"module.a[", nil, true},
		{"aws_x.y", nil, true},
		{"module.a.b", nil, true},
	}
	for _, tt := range tests {
		got, err := parseModuleAddress(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%q: err %v", tt.in, err)
			continue
		}
		if !tt.err && (len(got) != len(tt.want) || (len(got) > 0 && strings.Join(stepsString(got), "|") != strings.Join(stepsString(tt.want), "|"))) {
			t.Errorf("%q: %v, want %v", tt.in, got, tt.want)
		}
	}
	for in, want := range map[string]string{
		"aws_subnet.a[0]":               "aws_subnet.a",
		`aws_subnet.a["x[1]"]`:          "aws_subnet.a",
		`module.m["k"].aws_subnet.a`:    `module.m["k"].aws_subnet.a`,
		`module.m["k"].aws_subnet.a[2]`: `module.m["k"].aws_subnet.a`,
	} {
		if got := stripInstanceKey(in); got != want {
			t.Errorf("stripInstanceKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func stepsString(steps []moduleStep) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Name+s.Key)
	}
	return out
}

// FuzzLoadPlan: any input gives either one Set or one error, never a panic.
func FuzzLoadPlan(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(casesDir, "plan-*", "*.json"))
	for _, s := range seeds {
		if filepath.Base(s) == "expected.json" {
			continue
		}
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format_version":"1.0","values":{"root_module":{"child_modules":[{"address":"module.a","resources":[]}]}}}`))
	// Hostile: nesting past encoding/json's limit, and deep but accepted.
	f.Add([]byte(`{"format_version":"1.0","terraform_version":"1.11.0","values":` + strings.Repeat("[", 10001) + `}`))
	f.Add([]byte(`{"format_version":"1.0","terraform_version":"1.11.0","values":{"root_module":{"resources":[{"values":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := Load(context.Background(), bytes.NewReader(data), "fuzz.json")
		if len(res.Sets)+len(res.Errors) != 1 {
			t.Fatalf("sets %d errors %d", len(res.Sets), len(res.Errors))
		}
		for _, s := range res.Sets {
			for _, nb := range s.Notebooks {
				if nb.Address == "" || nb.Surface != model.SurfaceTerraformPlan {
					t.Fatalf("notebook %+v", nb.Meta)
				}
			}
		}
	})
}

func TestStateChildModulesAndAssociations(t *testing.T) {
	data := []byte(`{"format_version":"1.0","terraform_version":"1.11.4","values":{"root_module":{
 "resources":[
  {"address":"aws_vpc.main","mode":"managed","type":"aws_vpc","name":"main","values":{"id":"vpc-1"}},
  {"address":"aws_main_route_table_association.m","mode":"managed","type":"aws_main_route_table_association","name":"m",
   "values":{"id":"rtbassoc-1","vpc_id":"vpc-1","route_table_id":"rtb-1"}},
  {"address":"aws_route.nat","mode":"managed","type":"aws_route","name":"nat",
   "values":{"id":"r-1","route_table_id":"rtb-1","destination_cidr_block":"0.0.0.0/0","nat_gateway_id":"nat-1","gateway_id":""}}],
 "child_modules":[{"address":"module.net","resources":[
  {"address":"module.net.aws_route_table.private","mode":"managed","type":"aws_route_table","name":"private",
   "values":{"id":"rtb-1","route":[]}},
  {"address":"module.net.aws_nat_gateway.this","mode":"managed","type":"aws_nat_gateway","name":"this",
   "values":{"id":"nat-1","subnet_id":"subnet-9"}},
  {"address":"module.net.aws_subnet.a[0]","mode":"managed","type":"aws_subnet","name":"a","index":0,
   "values":{"id":"subnet-1","vpc_id":"vpc-1"}},
  {"address":"module.net.aws_route_table_association.a[0]","mode":"managed","type":"aws_route_table_association","name":"a","index":0,
   "values":{"subnet_id":"subnet-1","route_table_id":"rtb-1"}}]}]}}}`)
	s := loadBytes(t, data)
	rt := findRT(t, s, "module.net.aws_route_table.private")
	if !rt.Main || rt.VpcID.Ref != "aws_vpc.main" || !rt.Complete {
		t.Errorf("route table main %v vpc %+v complete %v", rt.Main, rt.VpcID, rt.Complete)
	}
	if len(rt.Subnets) != 1 || rt.Subnets[0].Ref != "module.net.aws_subnet.a[0]" {
		t.Errorf("associations %+v", rt.Subnets)
	}
	if len(rt.Routes) != 1 || rt.Routes[0].TargetKind != "nat" || rt.Routes[0].Target.Ref != "module.net.aws_nat_gateway.this" {
		t.Errorf("routes %+v", rt.Routes)
	}
	if got := s.RouteTableForSubnet("module.net.aws_subnet.a[0]", "aws_vpc.main"); got != rt {
		t.Errorf("RouteTableForSubnet = %v", got)
	}
	// The NAT gateway's subnet is not in the state: the ID stays, unlinked.
	if nat := s.NATGateways[0]; nat.SubnetID.V != "subnet-9" || nat.SubnetID.Ref != "" {
		t.Errorf("nat subnet %+v", nat.SubnetID)
	}
}

// TestRouteTargetKinds: a gateway_id that names a VPN gateway (inline route
// or aws_route) links to it and is a virtual private gateway, even though
// its ID is known only after apply (testdata/network-agreement).
func TestRouteTargetKinds(t *testing.T) {
	res := LoadFile(context.Background(), "../../testdata/network-agreement/plan.json", surface.Options{})
	if len(res.Errors) > 0 || len(res.Sets) != 1 {
		t.Fatalf("errors %v, %d sets", res.Errors, len(res.Sets))
	}
	want := map[string]awsfacts.RouteTarget{
		"aws_route_table.private 0.0.0.0/0":   awsfacts.TargetNAT,
		"aws_route_table.private 10.1.0.0/16": awsfacts.TargetVirtualPrivateGateway,
		"aws_route_table.private ::/0":        awsfacts.TargetEgressOnlyInternetGateway,
		"aws_route_table.vpn 0.0.0.0/0":       awsfacts.TargetVirtualPrivateGateway,
		"aws_route_table.public 0.0.0.0/0":    awsfacts.TargetInternetGateway,
	}
	got := map[string]awsfacts.RouteTarget{}
	for _, rt := range res.Sets[0].RouteTables {
		if !rt.Complete {
			t.Errorf("%s is incomplete: %s", rt.Address, rt.Reason)
		}
		for _, r := range rt.Routes {
			got[rt.Address+" "+r.Destination.V] = r.TargetKind
			if r.TargetKind == awsfacts.TargetVirtualPrivateGateway && r.Target.Ref != "aws_vpn_gateway.vgw" {
				t.Errorf("%s %s: target %+v, want a link to aws_vpn_gateway.vgw", rt.Address, r.Destination.V, r.Target)
			}
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: kind %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}
