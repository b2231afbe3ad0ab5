package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/sagefence/sagefence/awsfacts"
	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// writeTree creates files (path -> content) under a fresh directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadRoot evaluates dir as the only root and returns its set.
func loadRoot(t *testing.T, dir string, opts surface.Options) (*model.Set, []model.Error) {
	t.Helper()
	res := Load(context.Background(), Input{Dirs: []string{dir}, Args: []string{dir}}, opts)
	if len(res.Sets) != 1 {
		t.Fatalf("got %d sets, want 1 (errors %v)", len(res.Sets), res.Errors)
	}
	return res.Sets[0], res.Errors
}

// rootFunctions is the function table and budget a root at dir is evaluated
// with, as a scan gives them (functionTables).
func rootFunctions(dir string) (map[string]function.Function, *budget) {
	t := newFunctionTable(nil)
	t.bind(dir, nil)
	return t.funcs, &t.budget
}

// evalLocal evaluates `local.out` of a one-file root.
func evalLocal(t *testing.T, expr string) (cty.Value, []model.Error) {
	t.Helper()
	dir := writeTree(t, map[string]string{"main.tf": "locals {\n  out = " + expr + "\n}\n"})
	l := newLoader(newModuleCache(nil), nil)
	re := &rootEval{ctx: context.Background(), l: l, root: dir, errSeen: map[string]bool{},
		set: &model.Set{}, net: newNetworkIndex()}
	re.funcs, re.budget = rootFunctions(dir)
	re.funcCtx = &hcl.EvalContext{Functions: re.funcs}
	def := l.module(dir)
	if len(def.parseErrs) > 0 {
		t.Fatalf("parse: %v", def.parseErrs)
	}
	mi := re.newInstance(def, "", "", map[string]varValue{}, nil, 0)
	return mi.local("out"), re.errs
}

func TestFunctions(t *testing.T) {
	tests := []struct {
		expr string
		want cty.Value
	}{
		{`cidrsubnet("10.0.0.0/16", 8, 2)`, cty.StringVal("10.0.2.0/24")},
		{`cidrsubnet("10.1.0.0/16", 4, 15)`, cty.StringVal("10.1.240.0/20")},
		{`cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)`, cty.StringVal("fd00:fd12:3456:7800:a200::/72")},
		{`cidrhost("10.12.112.0/20", 16)`, cty.StringVal("10.12.112.16")},
		{`cidrhost("10.12.112.0/20", -2)`, cty.StringVal("10.12.127.254")},
		{`cidrnetmask("172.16.0.0/12")`, cty.StringVal("255.240.0.0")},
		{`join(",", cidrsubnets("10.1.0.0/16", 4, 4, 8, 4))`, cty.StringVal("10.1.0.0/20,10.1.16.0/20,10.1.32.0/24,10.1.48.0/20")},
		{`base64decode(base64encode("#!/bin/bash\necho hi"))`, cty.StringVal("#!/bin/bash\necho hi")},
		{`lookup({ a = 1 }, "b", null) == null`, cty.True},
		{`lookup({ a = "x", b = 2 }, "a", "z")`, cty.StringVal("x")},
		{`length("héllo")`, cty.NumberIntVal(5)},
		{`length({ a = 1, b = 2 })`, cty.NumberIntVal(2)},
		{`one([])`, cty.NullVal(cty.DynamicPseudoType)},
		{`one(["x"])`, cty.StringVal("x")},
		{`sum([1, 2, 3.5])`, cty.NumberFloatVal(6.5)},
		{`alltrue([true, 1 == 1])`, cty.True},
		{`anytrue([false, false])`, cty.False},
		{`startswith("Disabled", "Dis") && endswith("Disabled", "led") && strcontains("Disabled", "sab")`, cty.True},
		{`replace("a-b-c", "/-+/", "_")`, cty.StringVal("a_b_c")},
		{`replace("a.b", ".", "")`, cty.StringVal("ab")},
		{`try(local.missing_attr.x, "fallback")`, cty.StringVal("fallback")},
		{`can(regex("^[a-z]+$", "abc"))`, cty.True},
		{`coalesce("", "x")`, cty.StringVal("x")},
		{`md5("hello")`, cty.StringVal("5d41402abc4b2a76b9719d911017c592")},
		{`sha256("")`, cty.StringVal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
		{`basename("a/b/c.sh")`, cty.StringVal("c.sh")},
		{`dirname("a/b/c.sh")`, cty.StringVal("a/b")},
		{`format("%s-%03d", "nb", 7)`, cty.StringVal("nb-007")},
		{`jsonencode({ a = [1, "x"] })`, cty.StringVal(`{"a":[1,"x"]}`)},
		{`element(["a", "b"], 3)`, cty.StringVal("b")},
		{`upper(title("vpc only"))`, cty.StringVal("VPC ONLY")},
		{`tostring(lookup(zipmap(["a", "b"], ["x", "y"]), "b"))`, cty.StringVal("y")},
		{`length(setunion(["a"], ["b", "a"]))`, cty.NumberIntVal(2)},
		{`[for k, v in { a = 1, b = 2 } : "${k}=${v}" if v > 1][0]`, cty.StringVal("b=2")},
		{`flatten([["a"], [["b"]]])[1]`, cty.StringVal("b")},
		{`merge({ a = 1 }, { a = 2, b = 3 }).a`, cty.NumberIntVal(2)},
		{`tomap({ a = "x" })["a"]`, cty.StringVal("x")},
		{`keys({ b = 1, a = 2 })[0]`, cty.StringVal("a")},
		{`matchkeys(["i-1", "i-2"], ["a", "b"], ["b"])[0]`, cty.StringVal("i-2")},
		{`!fileexists("nope.txt")`, cty.True},
		{`yamldecode("a: 1\nb: [x, true, null]\n").b[1]`, cty.True},
		{`yamldecode("base: &b {k: v}\nother:\n  <<: *b\n  n: 0x10\n").other.n`, cty.NumberIntVal(16)},
		{`yamldecode("base: &b {k: v}\nother:\n  <<: *b\n").other.k`, cty.StringVal("v")},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, errs := evalLocal(t, tc.expr)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			got = unmarked(got)
			if !got.RawEquals(tc.want) {
				if eq := got.Equals(tc.want); !eq.IsKnown() || eq.False() {
					t.Errorf("got %#v, want %#v", got, tc.want)
				}
			}
		})
	}
}

func TestFileFunctions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
locals {
  scripts  = fileset(path.module, "scripts/**/*.{sh,bash}")
  tpl      = templatefile("${path.module}/t.tpl", { who = "nb", items = ["a", "b"] })
  raw      = file("scripts/a.sh")
  exists   = fileexists("scripts/a.sh")
  encoded  = filebase64("scripts/a.sh")
}
`,
		"scripts/a.sh":        "echo a\n",
		"scripts/deep/b.bash": "echo b\n",
		"scripts/c.txt":       "no",
		"t.tpl":               "hello ${who}%{ for i in items } ${i}%{ endfor }",
	})
	l := newLoader(newModuleCache(nil), nil)
	re := &rootEval{ctx: context.Background(), l: l, root: dir, errSeen: map[string]bool{},
		set: &model.Set{}, net: newNetworkIndex()}
	re.funcs, re.budget = rootFunctions(dir)
	re.funcCtx = &hcl.EvalContext{Functions: re.funcs}
	mi := re.newInstance(l.module(dir), "", "", map[string]varValue{}, nil, 0)
	want := map[string]cty.Value{
		"scripts": cty.SetVal([]cty.Value{cty.StringVal("scripts/a.sh"), cty.StringVal("scripts/deep/b.bash")}),
		"tpl":     cty.StringVal("hello nb a b"),
		"raw":     cty.StringVal("echo a\n"),
		"exists":  cty.True,
		"encoded": cty.StringVal("ZWNobyBhCg=="),
	}
	for name, w := range want {
		got := unmarked(mi.local(name))
		if !got.RawEquals(w) {
			t.Errorf("local.%s = %#v, want %#v", name, got, w)
		}
	}
	if len(re.errs) > 0 {
		t.Errorf("errors: %v", re.errs)
	}
	if files := marksOf(mi.local("encoded")).files; len(files) != 1 || filepath.Base(files[0]) != "a.sh" {
		t.Errorf("filebase64 must mark its file: %v", files)
	}
}

func TestUnknownFunctionsAndErrors(t *testing.T) {
	v, errs := evalLocal(t, `timestamp()`)
	if len(errs) > 0 || unmarked(v).IsKnown() {
		t.Errorf("timestamp() must be unknown without error, got %#v %v", v, errs)
	}
	if r := marksOf(v).reason(""); !strings.Contains(r, "timestamp()") {
		t.Errorf("reason %q does not name timestamp()", r)
	}
	v, errs = evalLocal(t, `cidrsubnet("10.0.0.0/30", 8, 1)`)
	if len(errs) != 1 || errs[0].Line != 2 || unmarked(v).IsKnown() {
		t.Errorf("an impossible cidrsubnet must be an error on line 2 and unknown, got %#v %v", v, errs)
	}
	_, errs = evalLocal(t, `nosuchfunction(1)`)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "nosuchfunction") {
		t.Errorf("unknown function: %v", errs)
	}
}

func TestInstanceKeys(t *testing.T) {
	tests := []struct {
		key  cty.Value
		want string
	}{
		{cty.NilVal, ""},
		{cty.NumberIntVal(0), "[0]"},
		{cty.NumberIntVal(12), "[12]"},
		{cty.StringVal("a"), `["a"]`},
		{cty.StringVal(`q"b\s`), `["q\"b\\s"]`},
		{cty.StringVal("${x}"), `["$${x}"]`},
	}
	for _, tc := range tests {
		if got := instanceKey(tc.key); got != tc.want {
			t.Errorf("instanceKey(%#v) = %s, want %s", tc.key, got, tc.want)
		}
	}
}

const notebookWithVar = `variable "access" {
  type    = string
  default = "Enabled"
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  direct_internet_access = var.access
}
`

func TestVariablePrecedence(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		opts       surface.Options
		want       string
		wantOrigin string
	}{
		{"default", nil, surface.Options{}, "Enabled", "/main.tf:3"},
		{"env over default", nil, surface.Options{Getenv: env("TF_VAR_access", "Disabled")}, "Disabled", "TF_VAR_access"},
		{"tfvars over env", map[string]string{"terraform.tfvars": `access = "X1"`}, surface.Options{Getenv: env("TF_VAR_access", "Disabled")}, "X1", "terraform.tfvars:1"},
		{"tfvars.json over tfvars", map[string]string{"terraform.tfvars": `access = "X1"`, "terraform.tfvars.json": `{"access": "X2"}`}, surface.Options{}, "X2", "terraform.tfvars.json:1"},
		{"auto in lexical order", map[string]string{"terraform.tfvars.json": `{"access": "X2"}`, "b.auto.tfvars": `access = "B"`, "a.auto.tfvars.json": `{"access": "A"}`}, surface.Options{}, "B", "b.auto.tfvars:1"},
		{"var-file over auto", map[string]string{"b.auto.tfvars": `access = "B"`, "f.tfvars": "\naccess = \"F\""}, surface.Options{VarInputs: []surface.VarInput{surface.VarFileInput("f.tfvars")}}, "F", "f.tfvars:2"},
		{"var after var-file", map[string]string{"f.tfvars": `access = "F"`}, surface.Options{VarInputs: []surface.VarInput{surface.VarFileInput("f.tfvars"), surface.Var("access=V1"), surface.Var("access=V2"), surface.Var("other=ignored")}}, "V2", "--var access"},
		{"var-file after var", map[string]string{"f.tfvars": `access = "F"`}, surface.Options{VarInputs: []surface.VarInput{surface.Var("access=V1"), surface.VarFileInput("f.tfvars")}}, "F", "f.tfvars:1"},
		{"var between var-files", map[string]string{"f.tfvars": `access = "F"`, "g.tfvars": `other = "G"`}, surface.Options{VarInputs: []surface.VarInput{surface.VarFileInput("f.tfvars"), surface.Var("access=V"), surface.VarFileInput("g.tfvars")}}, "V", "--var access"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"main.tf": notebookWithVar}
			for k, v := range tc.files {
				files[k] = v
			}
			dir := writeTree(t, files)
			for i, in := range tc.opts.VarInputs {
				if in.Kind == surface.VarFile {
					tc.opts.VarInputs[i].Value = filepath.Join(dir, in.Value)
				}
			}
			set, errs := loadRoot(t, dir, tc.opts)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			got := set.Notebooks[0].DirectInternetAccess
			if got.V != tc.want || got.Resolution != model.Explicit {
				t.Errorf("value %q (%s), want %q", got.V, got.Resolution, tc.want)
			}
			if origin := finding.DescribeProvenance(got.Provenance); !strings.Contains(origin, tc.wantOrigin) {
				t.Errorf("origin %q does not contain %q", origin, tc.wantOrigin)
			}
		})
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestVarTypesAndParsing(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
variable "cfg" {
  type = object({
    access  = optional(string, "Disabled")
    subnets = optional(list(string), [])
  })
  default = {}
}

variable "strict" {
  type     = string
  nullable = false
  default  = "Disabled"
}

variable "n" {
  type = number
}

resource "aws_sagemaker_notebook_instance" "a" {
  name                   = "a-${var.n}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  direct_internet_access = var.cfg.access
  security_groups        = var.cfg.subnets
}

resource "aws_sagemaker_notebook_instance" "b" {
  name                   = "b"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  direct_internet_access = var.strict
}
`})
	set, errs := loadRoot(t, dir, surface.Options{VarInputs: []surface.VarInput{surface.Var(`cfg={ subnets = ["sg-1", "sg-2"] }`), surface.Var("strict="), surface.Var("n=3")},
		Getenv: env("TF_VAR_strict", "")})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	a, b := set.Notebooks[0], set.Notebooks[1]
	if a.DirectInternetAccess.V != "Disabled" || len(a.SecurityGroups.Items) != 2 || a.SecurityGroups.Items[1].V != "sg-2" {
		t.Errorf("optional() defaults with an HCL --var: %+v %+v", a.DirectInternetAccess, a.SecurityGroups)
	}
	if a.Name != "a-3" {
		t.Errorf("number from --var: name %q", a.Name)
	}
	if b.DirectInternetAccess.V != "" || b.DirectInternetAccess.Resolution != model.Explicit {
		t.Errorf("--var strict= is the empty string for a string variable: %+v", b.DirectInternetAccess)
	}
}

func TestReferencesKeepResourceKeys(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
module "net" {
  source = "./net"
}

locals {
  sg_ids = concat([aws_security_group.a.id], module.net.sg_ids)
}

resource "aws_security_group" "a" {
  vpc_id = module.net.vpc_id
  egress = []
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "lc" {
  name      = "lc"
  on_start  = base64encode("#!/bin/bash\nset -e\n")
  on_create = "echo raw"
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                  = "nb"
  instance_type         = "ml.t3.medium"
  role_arn              = "arn:aws:iam::123456789012:role/x"
  subnet_id             = module.net.subnets[1]
  security_groups       = local.sg_ids
  lifecycle_config_name = aws_sagemaker_notebook_instance_lifecycle_configuration.lc.name
}
`,
		"net/main.tf": `
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "s" {
  for_each   = toset(["a", "b"])
  vpc_id     = aws_vpc.v.id
  cidr_block = cidrsubnet("10.0.0.0/16", 8, index(["a", "b"], each.key))
}

resource "aws_security_group" "sg" {
  count  = 1
  vpc_id = aws_vpc.v.id
  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "TCP"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

output "subnets" {
  value = [for k in ["a", "b"] : aws_subnet.s[k].id]
}

output "vpc_id" {
  value = aws_vpc.v.id
}

output "sg_ids" {
  value = [try(aws_security_group.sg[0].id, "")]
}
`})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	nb := set.Notebooks[0]
	if nb.SubnetID.Ref != `module.net.aws_subnet.s["b"]` || nb.SubnetID.Resolution != model.Explicit {
		t.Errorf("subnet: %+v", nb.SubnetID)
	}
	var refs []string
	for _, s := range nb.SecurityGroups.Items {
		refs = append(refs, s.Ref)
	}
	if strings.Join(refs, ",") != "aws_security_group.a,module.net.aws_security_group.sg[0]" {
		t.Errorf("security groups: %v", refs)
	}
	if nb.LifecycleConfigName.V != "lc" || nb.LifecycleConfigName.Ref != "aws_sagemaker_notebook_instance_lifecycle_configuration.lc" {
		t.Errorf("lifecycle config: %+v", nb.LifecycleConfigName)
	}
	sg := set.SecurityGroupByID("aws_security_group.a")
	if sg == nil || !sg.EgressDeclared || len(sg.Egress) != 0 || sg.VpcID.Ref != "module.net.aws_vpc.v" {
		t.Errorf("egress = [] group: %+v", sg)
	}
	inner := set.SecurityGroupByID("module.net.aws_security_group.sg[0]")
	if inner == nil || len(inner.Egress) != 1 || inner.Egress[0].Protocol.V != "tcp" || inner.Egress[0].FromPort.V != 443 {
		t.Errorf("inline egress: %+v", inner)
	}
	if sub := set.SubnetByID(`module.net.aws_subnet.s["a"]`); sub == nil || sub.VpcID.Ref != "module.net.aws_vpc.v" {
		t.Errorf("subnet a: %+v", sub)
	}
	lc := set.LifecycleConfigByID("aws_sagemaker_notebook_instance_lifecycle_configuration.lc")
	if lc == nil || len(lc.Scripts) != 2 {
		t.Fatalf("lifecycle config: %+v", lc)
	}
	for _, s := range lc.Scripts {
		switch s.Hook {
		case "on_start":
			if s.Content != "#!/bin/bash\nset -e\n" || s.Reason != "" {
				t.Errorf("on_start: %+v", s)
			}
		case "on_create":
			if s.Content != "echo raw" || !strings.Contains(s.Reason, "not base64") {
				t.Errorf("on_create: %+v", s)
			}
		}
	}
}

func TestRootSelection(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"live/main.tf":        `module "a" { source = "../modules/a" }`,
		"modules/a/main.tf":   `module "b" { source = "../b" }`,
		"modules/b/main.tf":   `resource "aws_subnet" "s" { vpc_id = "vpc-1" }`,
		"standalone/main.tf":  `resource "aws_subnet" "t" { vpc_id = "vpc-2" }`,
		"cycle/x/main.tf":     `module "y" { source = "../y" }`,
		"cycle/y/main.tf":     `module "x" { source = "../x" }`,
		"modules/unused/a.tf": `resource "aws_subnet" "u" { vpc_id = "vpc-3" }`,
	})
	var dirs []string
	for _, d := range []string{"live", "modules/a", "modules/b", "standalone", "cycle/x", "cycle/y", "modules/unused"} {
		dirs = append(dirs, filepath.Join(dir, d))
	}
	roots := selectRoots(nil, dirs, scanModuleSources(context.Background(), dirs, nil), nil)
	var rel []string
	for _, r := range roots {
		x, _ := filepath.Rel(dir, r)
		rel = append(rel, filepath.ToSlash(x))
	}
	if got := strings.Join(rel, " "); got != "live standalone modules/unused cycle/x" {
		t.Errorf("roots: %s", got)
	}
	res := Load(context.Background(), Input{Dirs: dirs}, surface.Options{})
	var addrs []string
	for _, s := range res.Sets {
		for _, sub := range s.Subnets {
			addrs = append(addrs, sub.Address)
		}
	}
	if got := strings.Join(addrs, " "); !strings.Contains(got, "module.a.module.b.aws_subnet.s") || strings.Count(got, "aws_subnet.s") != 1 {
		t.Errorf("subnets: %s", got)
	}
}

func TestSuppressionParsing(t *testing.T) {
	tests := []struct {
		line    string
		source  string
		ids     string
		reason  string
		expires string
		err     bool
	}{
		{"#checkov:skip=CKV_AWS_122:legacy notebook", "checkov", "CKV_AWS_122", "legacy notebook", "", false},
		{"  # checkov:skip=CKV_AWS_122", "checkov", "CKV_AWS_122", "", "", false},
		{"#trivy:ignore:SageMaker.1:exp:2027-02-01", "trivy", "SageMaker.1", "", "2027-02-01", false},
		{"// tfsec:ignore:aws-sagemaker-x", "tfsec", "aws-sagemaker-x", "", "", false},
		{"# sagefence:ignore CKV_AWS_122,SageMaker.2 until=2027-01-01 sandbox only", "sagefence", "CKV_AWS_122,SageMaker.2", "sandbox only", "2027-01-01", false},
		{"# sagefence:ignore CKV_AWS_122 no expiry here", "sagefence", "CKV_AWS_122", "no expiry here", "", false},
		{"# sagefence:ignore CKV_AWS_122 until=2027-02-30 bad", "", "", "", "", true},
		{"#trivy:ignore:X:exp:tomorrow", "trivy", "X", "", "", true},
		{`name = "no comment"`, "", "", "", "", false},
	}
	for _, tc := range tests {
		sups, errs := parseSuppressions(tc.line, "main.tf", 7)
		if tc.err != (len(errs) > 0) {
			t.Errorf("%q: errors %v", tc.line, errs)
		}
		if len(errs) > 0 && (errs[0].File != "main.tf" || errs[0].Line != 7) {
			t.Errorf("%q: error location %+v", tc.line, errs[0])
		}
		if tc.source == "" {
			if len(sups) > 0 && !tc.err {
				t.Errorf("%q: unexpected %+v", tc.line, sups)
			}
			continue
		}
		if len(sups) != 1 {
			t.Fatalf("%q: got %+v", tc.line, sups)
		}
		s := sups[0]
		if s.Source != tc.source || strings.Join(s.IDs, ",") != tc.ids || s.Reason != tc.reason || s.Expires != tc.expires {
			t.Errorf("%q: got %+v", tc.line, s)
		}
	}
}

func TestSuppressionsReachModulesAndInstances(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
# checkov:skip=CKV_AWS_122:whole module
module "m" {
  source = "./m"
}
`,
		"m/main.tf": `
resource "aws_sagemaker_notebook_instance" "nb" {
  count         = 2
  # trivy:ignore:SageMaker.2
  name          = "nb-${count.index}"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/x"
}
`})
	set, _ := loadRoot(t, dir, surface.Options{})
	if len(set.Notebooks) != 2 {
		t.Fatalf("notebooks: %d", len(set.Notebooks))
	}
	for _, nb := range set.Notebooks {
		var srcs []string
		for _, s := range nb.Suppressions {
			srcs = append(srcs, s.Source+":"+strings.Join(s.IDs, ","))
		}
		if strings.Join(srcs, " ") != "checkov:CKV_AWS_122 trivy:SageMaker.2" {
			t.Errorf("%s: %v", nb.Address, srcs)
		}
	}
}

func TestUnknownsAndGaps(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
variable "n" {
  type = number
}

resource "aws_sagemaker_notebook_instance" "counted" {
  count         = var.n
  name          = "x"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/x"
}

resource "aws_sagemaker_notebook_instance" "each" {
  for_each      = toset([aws_vpc.v.id])
  name          = "y"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/x"
}

resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

module "remote" {
  source = "git::https://example.com/x.git"
}
`})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if len(set.Notebooks) != 0 || len(set.Gaps) != 3 {
		t.Fatalf("notebooks %d gaps %d", len(set.Notebooks), len(set.Gaps))
	}
	want := map[string]string{
		"aws_sagemaker_notebook_instance.counted": "var.n has no value",
		"aws_sagemaker_notebook_instance.each":    "aws_vpc.v.id is known only after apply",
		"module.remote":                           "is not on disk",
	}
	for _, g := range set.Gaps {
		if !strings.Contains(g.Reason, want[g.Address]) {
			t.Errorf("%s: reason %q does not contain %q", g.Address, g.Reason, want[g.Address])
		}
		wantKind := map[string]model.GapKind{"aws_sagemaker_notebook_instance.counted": model.GapUnknownCount,
			"aws_sagemaker_notebook_instance.each": model.GapUnknownForEach, "module.remote": model.GapModuleNotDownloaded}[g.Address]
		if g.Kind != wantKind {
			t.Errorf("%s: kind %q, want %q", g.Address, g.Kind, wantKind)
		}
		if g.Address == "module.remote" && (len(g.Hides) != 0 || g.Source != "git::https://example.com/x.git" || !strings.Contains(g.Hint, "terraform init")) {
			t.Errorf("a module gap hides every kind and names its source and a hint: %+v", g)
		}
		if g.Address != "module.remote" && (len(g.Hides) != 1 || g.Hides[0] != model.KindNotebookInstance) {
			t.Errorf("%s: a notebook gap hides notebooks only: %v", g.Address, g.Hides)
		}
	}
}

func TestParseErrorsKeepOtherFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.tf":         "resource \"aws_subnet\" \"a\" {\n  vpc_id = \"vpc-1\"\n}\n",
		"b.tf":         "resource \"aws_subnet\" \"b\" {\n  vpc_id = \n}\n",
		"c.tf.json":    `{"resource": {"aws_subnet": {"c": {"vpc_id": "vpc-3"}}}`,
		"other/x.tf":   "locals {\n  a = \n",
		"other/ok.tf":  "resource \"aws_subnet\" \"d\" {\n  vpc_id = \"vpc-4\"\n}\n",
		"other/no.txt": "ignored",
	})
	res := Load(context.Background(), Input{Dirs: []string{dir, filepath.Join(dir, "other")}, Args: []string{dir}}, surface.Options{})
	if len(res.Sets) != 2 {
		t.Fatalf("sets: %d", len(res.Sets))
	}
	if len(res.Sets[0].Subnets) != 1 || len(res.Sets[1].Subnets) != 1 {
		t.Errorf("good files must still be scanned: %d %d", len(res.Sets[0].Subnets), len(res.Sets[1].Subnets))
	}
	files := map[string]int{}
	for _, e := range res.Errors {
		files[filepath.Base(e.File)] = e.Line
	}
	if files["b.tf"] != 2 || files["c.tf.json"] == 0 || files["x.tf"] == 0 {
		t.Errorf("errors: %v", res.Errors)
	}
}

// TestJSONExpressionsAreTemplates checks .tf.json interpolation against the
// native syntax evaluator.
func TestJSONExpressionsAreTemplates(t *testing.T) {
	expr, diags := hclsyntax.ParseTemplate([]byte("${upper(\"x\")}"), "t", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	funcs, _ := rootFunctions(".")
	v, _ := expr.Value(&hcl.EvalContext{Functions: funcs})
	if v.AsString() != "X" {
		t.Fatalf("got %#v", v)
	}
}

func TestOverrideFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": notebookWithVar + `
resource "aws_security_group" "sg" {
  vpc_id = "vpc-1"
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
`,
		"override.tf": `
variable "access" {
  default = "Disabled"
}
`,
		"sg_override.tf": `
resource "aws_security_group" "sg" {
  egress = []
}

resource "aws_sagemaker_notebook_instance" "nb" {
  subnet_id = "subnet-1"
}
`,
	})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	nb := set.Notebooks[0]
	if nb.DirectInternetAccess.V != "Disabled" || nb.SubnetID.V != "subnet-1" || nb.Name != "nb" {
		t.Errorf("notebook after overrides: %+v %+v", nb.DirectInternetAccess, nb.SubnetID)
	}
	if sg := set.SecurityGroups[0]; !sg.EgressDeclared || len(sg.Egress) != 0 {
		t.Errorf("egress = [] in the override must replace the base egress blocks: %+v", sg.Egress)
	}
}

func TestNetworkMapping(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
variable "create" {
  type    = bool
  default = true
}

variable "egress_rules" {
  type = list(object({ port = number, cidr = string }))
  default = [
    { port = 443, cidr = "10.0.0.0/16" },
    { port = 53, cidr = "10.0.0.2/32" },
  ]
}

resource "aws_vpc" "this" {
  count      = var.create ? 1 : 0
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = try(aws_vpc.this[0].id, "")
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.this[0].id
  cidr_block = "10.0.100.0/24"
}

resource "aws_nat_gateway" "nat" {
  subnet_id = aws_subnet.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this[0].id
}

resource "aws_route" "private_nat" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.nat.id
}

resource "aws_route_table_association" "private" {
  count          = length(aws_subnet.private)
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

resource "aws_default_route_table" "main" {
  default_route_table_id = aws_vpc.this[0].default_route_table_id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }
}

resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.this[0].id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.this[0].id
  service_name = "com.amazonaws.eu-west-1.s3"
}

resource "aws_vpc_endpoint_route_table_association" "s3" {
  vpc_endpoint_id = aws_vpc_endpoint.s3.id
  route_table_id  = aws_route_table.private.id
}

resource "aws_vpc_endpoint" "api" {
  vpc_id              = aws_vpc.this[0].id
  service_name        = "com.amazonaws.eu-west-1.sagemaker.api"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
}

resource "aws_security_group" "nb" {
  vpc_id = aws_vpc.this[0].id
  dynamic "egress" {
    for_each = var.egress_rules
    content {
      from_port   = egress.value.port
      to_port     = egress.value.port
      protocol    = "tcp"
      cidr_blocks = [egress.value.cidr]
    }
  }
}

resource "aws_security_group" "rules" {
  vpc_id = aws_vpc.this[0].id
}

resource "aws_security_group_rule" "all_out" {
  type              = "egress"
  security_group_id = aws_security_group.rules.id
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "in" {
  type              = "ingress"
  security_group_id = aws_security_group.rules.id
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["10.0.0.0/8"]
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.rules.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
}
`})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	rt := set.RouteTableForSubnet("aws_subnet.private[1]", "aws_vpc.this[0]")
	if rt == nil || rt.Address != "aws_route_table.private" || !rt.Complete || len(rt.Routes) != 1 ||
		rt.Routes[0].TargetKind != "nat" || rt.Routes[0].Target.Ref != "aws_nat_gateway.nat" || rt.Routes[0].Destination.V != "0.0.0.0/0" {
		t.Fatalf("private route table: %+v", rt)
	}
	main := set.RouteTableForSubnet("aws_subnet.public", "aws_vpc.this[0]")
	if main == nil || !main.Main || len(main.Routes) != 1 || main.Routes[0].TargetKind != "igw" {
		t.Errorf("main route table: %+v", main)
	}
	if nat := set.NATGatewayByID("aws_nat_gateway.nat"); nat == nil || nat.SubnetID.Ref != "aws_subnet.public" {
		t.Errorf("nat: %+v", nat)
	}
	if sub := set.SubnetByID("aws_subnet.private[0]"); sub == nil || sub.VpcID.Ref != "aws_vpc.this[0]" {
		t.Errorf("subnet through try(): %+v", sub)
	}
	eps := map[string]*model.VPCEndpoint{}
	for _, ep := range set.VPCEndpoints {
		eps[ep.Address] = ep
	}
	if s3 := eps["aws_vpc_endpoint.s3"]; s3.Type.V != "Gateway" || s3.Type.Resolution != model.Default ||
		len(s3.RouteTableIDs.Items) != 1 || s3.RouteTableIDs.Items[0].Ref != "aws_route_table.private" || s3.PrivateDNSEnabled.V {
		t.Errorf("s3 endpoint: %+v", s3)
	}
	if api := eps["aws_vpc_endpoint.api"]; api.Type.V != "Interface" || !api.PrivateDNSEnabled.V || api.PrivateDNSEnabled.Resolution != model.Explicit {
		t.Errorf("api endpoint: %+v", api)
	}
	nb := set.SecurityGroupByID("aws_security_group.nb")
	if nb == nil || !nb.EgressDeclared || !nb.EgressComplete || len(nb.Egress) != 2 || nb.Egress[1].FromPort.V != 53 || nb.Egress[1].CIDRs[0].V != "10.0.0.2/32" {
		t.Errorf("dynamic egress: %+v", nb)
	}
	rules := set.SecurityGroupByID("aws_security_group.rules")
	if rules == nil || !rules.EgressDeclared || len(rules.Egress) != 2 {
		t.Fatalf("rule resources: %+v", rules)
	}
	if r := rules.Egress[0]; r.Protocol.V != "-1" || r.CIDRs[0].V != "0.0.0.0/0" || r.Address != "aws_security_group_rule.all_out" {
		t.Errorf("aws_security_group_rule: %+v", r)
	}
	if r := rules.Egress[1]; r.Protocol.V != "tcp" || len(r.PrefixListIDs) != 1 || r.PrefixListIDs[0].Known() {
		t.Errorf("aws_vpc_security_group_egress_rule: %+v", r)
	}
}

func TestReferencesThroughFunctions(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
resource "aws_subnet" "p" {
  count      = 3
  vpc_id     = "vpc-1"
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}

resource "aws_security_group" "a" {
  vpc_id = "vpc-1"
}

locals {
  subnets = aws_subnet.p[*].id
}

resource "aws_sagemaker_notebook_instance" "nb" {
  count           = 2
  name            = "nb-${count.index}"
  instance_type   = "ml.t3.medium"
  role_arn        = "arn:aws:iam::123456789012:role/x"
  subnet_id       = element(local.subnets, count.index + 1)
  security_groups = toset(compact([aws_security_group.a.id]))
}
`})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	for i, nb := range set.Notebooks {
		if want := fmt.Sprintf("aws_subnet.p[%d]", i+1); nb.SubnetID.Ref != want {
			t.Errorf("%s subnet: %+v, want ref %s", nb.Address, nb.SubnetID, want)
		}
		if len(nb.SecurityGroups.Items) != 1 || nb.SecurityGroups.Items[0].Ref != "aws_security_group.a" {
			t.Errorf("%s security groups: %+v", nb.Address, nb.SecurityGroups)
		}
	}
}

// TestRouteTargetKinds: gateway_id names internet gateways, virtual private
// gateways and gateway endpoints alike; the value decides (issue 14: a
// literal vgw-… used to be an internet gateway here only).
func TestRouteTargetKinds(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.tf": `
resource "aws_vpn_gateway" "vpn" {}
resource "aws_internet_gateway" "gw" {}
resource "aws_route_table" "rt" {
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = "vgw-0abc"
  }
  route {
    cidr_block = "10.1.0.0/16"
    gateway_id = aws_vpn_gateway.vpn.id
  }
  route {
    cidr_block = "10.2.0.0/16"
    gateway_id = aws_internet_gateway.gw.id
  }
  route {
    cidr_block = "10.3.0.0/16"
    gateway_id = "igw-0abc"
  }
  route {
    cidr_block = "10.4.0.0/16"
    gateway_id = "local"
  }
  route {
    ipv6_cidr_block        = "::/0"
    egress_only_gateway_id = "eigw-0abc"
  }
  route {
    cidr_block         = "10.5.0.0/16"
    transit_gateway_id = "tgw-0abc"
  }
}
`})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]awsfacts.RouteTarget{
		"0.0.0.0/0": awsfacts.TargetVirtualPrivateGateway, "10.1.0.0/16": awsfacts.TargetVirtualPrivateGateway,
		"10.2.0.0/16": awsfacts.TargetInternetGateway, "10.3.0.0/16": awsfacts.TargetInternetGateway,
		"10.4.0.0/16": awsfacts.TargetLocal, "::/0": awsfacts.TargetEgressOnlyInternetGateway,
		"10.5.0.0/16": awsfacts.TargetTransitGateway,
	}
	if len(set.RouteTables) != 1 || len(set.RouteTables[0].Routes) != len(want) {
		t.Fatalf("route tables %+v", set.RouteTables)
	}
	for _, r := range set.RouteTables[0].Routes {
		if w, ok := want[r.Destination.V]; !ok || r.TargetKind != w {
			t.Errorf("route to %s (target %s): kind %q, want %q", r.Destination.V, r.Target.Display(), r.TargetKind, w)
		}
	}
}

// TestValueErrorsAreNotValidateErrors: an expression that fails only with
// the values it was given (a function on a resource's splat) is unknown with
// the reason, not an error, since terraform validate accepts it; the same
// failure on literals only is validate's error.
func TestValueErrorsAreNotValidateErrors(t *testing.T) {
	v, errs := evalLocal(t, "coalescelist(aws_route_table.none[*].id, [])\n}\nresource \"aws_route_table\" \"none\" {\n  count = 0\n  vpc_id = \"vpc-1\"")
	if len(errs) != 0 || unmarked(v).IsKnown() || !strings.Contains(marksOf(v).reason(""), "terraform validate does not") {
		t.Errorf("a value-dependent failure: %#v %v", v, errs)
	}
	_, errs = evalLocal(t, "coalescelist([], [])")
	if len(errs) != 1 || errs[0].Line != 2 || !strings.Contains(errs[0].Message, "coalescelist") {
		t.Errorf("errors %v, want one for the literal coalescelist on line 2", errs)
	}
}

// TestNullAttributeIsKnownAfterApply: a resource attribute written as null
// is what the provider computes at apply, so a reference sees it unknown.
func TestNullAttributeIsKnownAfterApply(t *testing.T) {
	v, errs := evalLocal(t, "aws_subnet.a.availability_zone\n}\nresource \"aws_subnet\" \"a\" {\n  vpc_id            = \"vpc-1\"\n  availability_zone = null")
	if len(errs) != 0 || unmarked(v).IsKnown() || unmarked(v).IsNull() ||
		!strings.Contains(marksOf(v).reason(""), "aws_subnet.a.availability_zone is not set in the configuration") {
		t.Errorf("got %#v %v, want unknown naming the attribute", v, errs)
	}
}

// TestUnknownForEachModuleHidesWhatItHolds: a local module whose for_each is
// unknown hides only the kinds its resources (and local modules) declare; a
// module that declares none is no gap; one that calls a remote module may
// hold anything.
func TestUnknownForEachModuleHidesWhatItHolds(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "names" {
  type = set(string)
}
module "roles" {
  source   = "./roles"
  for_each = var.names
}
module "notebooks" {
  source   = "./notebooks"
  for_each = var.names
}
module "labelled" {
  source   = "./labelled"
  for_each = var.names
}
`,
		"roles/main.tf":     `resource "aws_iam_role" "this" { name = "x" }`,
		"notebooks/main.tf": "module \"net\" {\n  source = \"../net\"\n}\nresource \"aws_sagemaker_notebook_instance\" \"this\" {\n  name = \"x\"\n}\n",
		"net/main.tf":       `resource "aws_subnet" "this" { vpc_id = "vpc-1" }`,
		"labelled/main.tf":  "module \"label\" {\n  source = \"cloudposse/label/null\"\n}\n",
	})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	got := map[string]string{}
	for _, g := range set.Gaps {
		var ks []string
		for _, k := range g.Hides {
			ks = append(ks, string(k))
		}
		got[g.Address] = string(g.Kind) + " " + strings.Join(ks, ",")
	}
	want := map[string]string{
		"module.notebooks": "unknown_for_each notebook_instance,subnet",
		"module.labelled":  "unknown_for_each ",
	}
	if len(got) != len(want) || got["module.notebooks"] != want["module.notebooks"] || got["module.labelled"] != want["module.labelled"] {
		t.Errorf("gaps %v, want %v", got, want)
	}
}

// TestLoadParsesSharedModuleOnce: three roots call the same local module
// (one of them through a nested module); each file of the scan is parsed
// exactly once in the scan (first pass included), and every root still sees the module.
func TestLoadParsesSharedModuleOnce(t *testing.T) {
	call := func(src string) string {
		return "module \"nb\" {\n  source = \"" + src + "\"\n}\n"
	}
	dir := writeTree(t, map[string]string{
		"a/main.tf":          call("../shared"),
		"b/main.tf":          call("../shared"),
		"c/main.tf":          call("../wrap"),
		"wrap/main.tf":       call("../shared"),
		"shared/main.tf":     "resource \"aws_sagemaker_notebook_instance\" \"nb\" {\n  name = \"nb\"\n  instance_type = \"ml.t3.medium\"\n  role_arn = \"arn:aws:iam::123456789012:role/r\"\n}\n",
		"shared/versions.tf": "terraform {\n  required_version = \">= 1.0\"\n}\n",
	})
	var mu sync.Mutex
	parsed := map[string]int{}
	onParse = func(p string) {
		mu.Lock()
		parsed[filepath.ToSlash(p)]++
		mu.Unlock()
	}
	t.Cleanup(func() { onParse = nil })
	var dirs []string
	for _, d := range []string{"a", "b", "c", "shared", "wrap"} {
		dirs = append(dirs, filepath.Join(dir, d))
	}
	res := Load(context.Background(), Input{Dirs: dirs}, surface.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if len(res.Sets) != 3 {
		t.Fatalf("roots: got %d sets, want 3 (a, b, c)", len(res.Sets))
	}
	for _, s := range res.Sets {
		if len(s.Notebooks) != 1 {
			t.Errorf("root %v: %d notebooks, want the shared module's one", s.Notebooks, len(s.Notebooks))
		}
	}
	// Once per scan, the first pass included: it reads the module sources
	// by line.
	if len(parsed) != 6 {
		t.Errorf("parsed %d distinct files, want all 6: %v", len(parsed), parsed)
	}
	for p, n := range parsed {
		if n != 1 {
			t.Errorf("%s parsed %d times, want once", p, n)
		}
	}
}
