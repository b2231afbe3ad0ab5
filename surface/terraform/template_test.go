package terraform

import (
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
	"github.com/sagefence/sagefence/surface"
)

// An endpoint's service name whose region part is unknown stays Unknown but
// keeps its template text in V, so that controls can match the service.
func TestUnknownTemplatesKeepTheirText(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		wantV   string
		wantRes model.Resolution
	}{
		{"data source interpolation", `"com.amazonaws.${data.aws_region.current.name}.sagemaker.api"`,
			"com.amazonaws.${data.aws_region.current.name}.sagemaker.api", model.Unknown},
		{"unset variable", `"com.amazonaws.${var.region}.s3"`, "com.amazonaws.${var.region}.s3", model.Unknown},
		{"known parts rendered", `"${local.prefix}.${data.aws_region.current.name}.${local.svc}"`,
			"com.amazonaws.${data.aws_region.current.name}.s3", model.Unknown},
		{"format", `format("com.amazonaws.%s.%s", data.aws_region.current.name, local.svc)`,
			"com.amazonaws.${data.aws_region.current.name}.s3", model.Unknown},
		{"format with width and percent", `format("%%-%3d-%s", 7, var.region)`, "%-  7-${var.region}", model.Unknown},
		{"through a local", `local.templated`, "com.amazonaws.${var.region}.ecr.api", model.Unknown},
		{"nested template keeps the inner text", `"${local.templated}.x"`, "com.amazonaws.${var.region}.ecr.api.x", model.Unknown},
		{"wrapped interpolation", `"${var.region}"`, "${var.region}", model.Unknown},
		{"a function changes the text: none kept", `upper(local.templated)`, "", model.Unknown},
		{"a function inside the template is kept as source", `"com.amazonaws.${upper(local.templated)}.s3"`,
			"com.amazonaws.${upper(local.templated)}.s3", model.Unknown},
		{"indexed format verbs are not rendered", `format("%[1]s.s3", var.region)`, "", model.Unknown},
		{"known template", `"com.amazonaws.${local.region}.s3"`, "com.amazonaws.eu-west-1.s3", model.Explicit},
		{"through a module", `module.names.s3`, "com.amazonaws.${var.region}.s3", model.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{
				"main.tf": `
data "aws_region" "current" {}
variable "region" { type = string }
locals {
  prefix    = "com.amazonaws"
  svc       = "s3"
  region    = "eu-west-1"
  templated = "com.amazonaws.${var.region}.ecr.api"
}
module "names" {
  source = "./names"
  region = var.region
}
resource "aws_vpc_endpoint" "e" {
  vpc_id       = "vpc-1"
  service_name = ` + tc.expr + `
}
`,
				"names/main.tf": `
variable "region" { type = string }
output "s3" { value = "com.amazonaws.${var.region}.s3" }
`,
			})
			set, errs := loadRoot(t, dir, surface.Options{})
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if len(set.VPCEndpoints) != 1 {
				t.Fatalf("got %d endpoints", len(set.VPCEndpoints))
			}
			got := set.VPCEndpoints[0].ServiceName
			if got.V != tc.wantV || got.Resolution != tc.wantRes {
				t.Errorf("ServiceName = %q (%s), want %q (%s)", got.V, got.Resolution, tc.wantV, tc.wantRes)
			}
			if got.Resolution == model.Unknown && got.Reason == "" {
				t.Error("an unknown service name has no reason")
			}
		})
	}
}

// Origins name files by the path the scan reached them (model.Range.File),
// never by a base name that two modules share.
func TestOriginsNameFilesAsReached(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "teams" {
  default = { web = "Enabled" }
}
module "nb" {
  source   = "./modules/nb"
  for_each = var.teams
  access   = each.value
}
module "plain" {
  source = "./modules/nb"
}
`,
		"modules/nb/main.tf": `
variable "access" {
  default = "Disabled"
}
resource "aws_sagemaker_notebook_instance" "this" {
  name                   = "n"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  direct_internet_access = var.access
}
`,
	})
	set, errs := loadRoot(t, dir, surface.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := map[string]string{
		`module.nb["web"].aws_sagemaker_notebook_instance.this`: `var.access set by module.nb["web"] (` + dir + `/main.tf:8) from each.value of var.teams default in ` + dir + `/main.tf:3`,
		`module.plain.aws_sagemaker_notebook_instance.this`:     `var.access default in ` + dir + `/modules/nb/main.tf:3`,
	}
	if len(set.Notebooks) != len(want) {
		t.Fatalf("got %d notebooks", len(set.Notebooks))
	}
	for _, nb := range set.Notebooks {
		got := nb.DirectInternetAccess
		if origin := finding.DescribeProvenance(got.Provenance); origin != want[nb.Address] {
			t.Errorf("%s: origin %q, want %q", nb.Address, origin, want[nb.Address])
		}
		if got.Range.File != dir+"/modules/nb/main.tf" {
			t.Errorf("%s: range file %q", nb.Address, got.Range.File)
		}
	}
}

func TestMayDeclareModule(t *testing.T) {
	tests := []struct {
		path, src string
		want      bool
	}{
		{"a.tf", "module \"x\" {\n  source = \"./x\"\n}\n", true},
		{"a.tf", "  module x {\n}\n", true},
		{"a.tf", "locals {\n  a = 1\n}\nmodule\t\"x\" {}\n", true},
		{"a.tf", "output \"o\" { value = module.x.name }\n", false},
		{"a.tf", "locals { p = path.module }\n", false},
		{"a.tf", "\xef\xbb\xbfmodule \"x\" {}\n", true},
		{"a.tf.json", `{"module": {"x": {"source": "./x"}}}`, true},
		{"a.tf.json", `{"output": {"o": {"value": "${module.x.y}"}}}`, false},
	}
	for _, tc := range tests {
		if got := mayDeclareModule(tc.path, []byte(tc.src)); got != tc.want {
			t.Errorf("mayDeclareModule(%s, %q) = %v, want %v", tc.path, tc.src, got, tc.want)
		}
	}
}

func TestSourceCache(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.tf": "disk a", "b.tf": "disk b"})
	a, b := dir+"/a.tf", dir+"/b.tf"
	c := newSourceCache(4, nil)
	c.put(a, []byte("four"), true)
	c.put(b, []byte("five!"), true) // over the budget: read from disk
	for _, tc := range []struct {
		cache       *sourceCache
		path, want  string
		wantChecked bool
	}{
		{c, a, "four", true},
		{c, a, "disk a", false}, // handed out once; what is read again is checked again
		{c, b, "disk b", false},
		{nil, a, "disk a", false},
	} {
		got, checked, err := tc.cache.read(tc.path)
		if err != nil || string(got) != tc.want || checked != tc.wantChecked {
			t.Errorf("read(%s) = %q, %v, %v; want %q, %v", tc.path, got, checked, err, tc.want, tc.wantChecked)
		}
	}
}
