package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/sagefence/sagefence/surface"
)

// benchCorpus writes roots × files configuration files mixing notebooks,
// a local module with for_each, count and filler resources.
func benchCorpus(b *testing.B, roots, filesPerRoot int) (string, []string) {
	dir := b.TempDir()
	var dirs []string
	mod := filepath.Join(dir, "modules", "nb")
	_ = os.MkdirAll(mod, 0o755)
	_ = os.WriteFile(filepath.Join(mod, "main.tf"), []byte(`
variable "name" { type = string }
variable "private" { type = bool }
resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  direct_internet_access = var.private ? "Disabled" : "Enabled"
}
`), 0o644)
	dirs = append(dirs, mod)
	for r := 0; r < roots; r++ {
		rd := filepath.Join(dir, fmt.Sprintf("root%03d", r))
		_ = os.MkdirAll(rd, 0o755)
		dirs = append(dirs, rd)
		for f := 0; f < filesPerRoot; f++ {
			var src string
			switch f % 4 {
			case 0:
				src = fmt.Sprintf(`
locals { teams%[1]d = { a = true, b = false } }
module "nb%[1]d" {
  source   = "../modules/nb"
  for_each = local.teams%[1]d
  name     = "nb-${each.key}"
  private  = each.value
}
`, f)
			case 1:
				src = fmt.Sprintf(`
resource "aws_subnet" "s%[1]d" {
  count      = 3
  vpc_id     = "vpc-1"
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}
resource "aws_sagemaker_notebook_instance" "n%[1]d" {
  name          = "n%[1]d"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/x"
  subnet_id     = aws_subnet.s%[1]d[0].id
}
`, f)
			default:
				src = fmt.Sprintf(`
resource "aws_s3_bucket" "b%[1]d" {
  bucket = "bucket-%[1]d"
  tags   = { Name = "b%[1]d", Env = "prod", Team = "data" }
}
resource "aws_iam_role" "r%[1]d" {
  name = "role-%[1]d"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "sagemaker.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
`, f)
			}
			_ = os.WriteFile(filepath.Join(rd, fmt.Sprintf("f%03d.tf", f)), []byte(src), 0o644)
		}
	}
	return dir, dirs
}

// BenchmarkParseOnly is the floor: parsing every file with hclsyntax.
func BenchmarkParseOnly(b *testing.B) {
	_, dirs := benchCorpus(b, 50, 40)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, d := range dirs {
			files, _, _ := configFiles(d)
			for _, f := range files {
				src, _ := os.ReadFile(f)
				if _, diags := hclsyntax.ParseConfig(src, f, hcl.InitialPos); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		}
	}
}

// BenchmarkLoad parses and evaluates the same corpus. parses/op counts the
// files the main load parsed (the shared module is parsed once, not once per
// root), next to the corpus's files/op.
func BenchmarkLoad(b *testing.B) {
	_, dirs := benchCorpus(b, 50, 40)
	corpusFiles := 0
	for _, d := range dirs {
		files, _, _ := configFiles(d)
		corpusFiles += len(files)
	}
	var parses atomic.Int64
	onParse = func(string) { parses.Add(1) }
	defer func() { onParse = nil }()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := Load(context.Background(), Input{Dirs: dirs}, surface.Options{})
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
	}
	b.ReportMetric(float64(parses.Load())/float64(b.N), "parses/op")
	b.ReportMetric(float64(corpusFiles), "files/op")
}
