// Package synth writes a synthetic Terraform corpus for benchmarks: many
// root modules, each with variables, locals, a local notebook module called
// with for_each, notebooks with count, a small network, and filler resources
// of the kinds real repositories are full of. The output is deterministic for
// a given file count and seed, and every root is valid Terraform.
package synth

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// FilesPerRoot is the number of .tf files in one generated root module, its
// module's files included.
const FilesPerRoot = 20

// Generate writes at least files .tf files under dir and returns how many it wrote.
func Generate(dir string, files int, seed int64) (int, error) {
	rng := rand.New(rand.NewSource(seed))
	written := 0
	for root := 0; written < files; root++ {
		n, err := writeRoot(filepath.Join(dir, fmt.Sprintf("stack-%05d", root)), root, rng)
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

type file struct {
	name string
	body string
}

func writeRoot(dir string, root int, rng *rand.Rand) (int, error) {
	access := []string{"Enabled", "Disabled"}[rng.Intn(2)]
	fs := []file{
		{"versions.tf", versions},
		{"variables.tf", fmt.Sprintf(variables, access, rng.Intn(3)+1)},
		{"locals.tf", fmt.Sprintf(locals, root)},
		{"network.tf", network},
		{"notebooks.tf", notebooks},
		{"domain.tf", domain},
		{"outputs.tf", outputs},
		{"terraform.tfvars", fmt.Sprintf("environment = %q\n", []string{"dev", "staging", "prod"}[root%3])},
		{"modules/notebook/main.tf", moduleMain},
		{"modules/notebook/variables.tf", moduleVariables},
		{"modules/notebook/outputs.tf", moduleOutputs},
	}
	// Filler: the IAM, S3, logging and compute resources around the notebooks.
	for i := 0; len(fs) < FilesPerRoot+1; i++ { // +1: terraform.tfvars is not a .tf file
		fs = append(fs, file{fmt.Sprintf("filler_%02d.tf", i), filler(i, rng)})
	}
	count := 0
	for _, f := range fs {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return count, err
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			return count, err
		}
		if strings.HasSuffix(f.name, ".tf") {
			count++
		}
	}
	return count, nil
}

func filler(i int, rng *rand.Rand) string {
	var b strings.Builder
	for j := 0; j < 3+rng.Intn(4); j++ {
		name := fmt.Sprintf("f%d_%d", i, j)
		switch rng.Intn(4) {
		case 0:
			fmt.Fprintf(&b, `resource "aws_s3_bucket" %q {
  bucket = "${local.prefix}-%s"
  tags   = merge(local.tags, { Name = %q })
}

resource "aws_s3_bucket_versioning" %q {
  bucket = aws_s3_bucket.%s.id
  versioning_configuration {
    status = var.environment == "prod" ? "Enabled" : "Suspended"
  }
}

`, name, name, name, name, name)
		case 1:
			fmt.Fprintf(&b, `resource "aws_iam_role" %q {
  name = "${local.prefix}-%s"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "sagemaker.amazonaws.com" }
    }]
  })
  tags = local.tags
}

`, name, name)
		case 2:
			fmt.Fprintf(&b, `resource "aws_cloudwatch_log_group" %q {
  for_each          = toset(["a", "b", "c"])
  name              = "/${local.prefix}/%s/${each.key}"
  retention_in_days = lookup(local.retention, var.environment, 30)
  tags              = local.tags
}

`, name, name)
		default:
			fmt.Fprintf(&b, `resource "aws_security_group_rule" %q {
  count             = length(local.cidrs)
  type              = "ingress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = [local.cidrs[count.index]]
  security_group_id = aws_security_group.notebook.id
  description       = format("https from %%s", local.cidrs[count.index])
}

`, name)
		}
	}
	return b.String()
}

const versions = `terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}
`

const variables = `variable "environment" {
  type    = string
  default = "dev"
}

variable "internet_access" {
  type    = string
  default = %q
}

variable "notebook_count" {
  type    = number
  default = %d
}

variable "teams" {
  type = map(object({
    instance_type = optional(string, "ml.t3.medium")
    volume_size   = optional(number, 20)
  }))
  default = {
    research  = {}
    analytics = { instance_type = "ml.m5.xlarge" }
  }
}
`

const locals = `locals {
  prefix    = "corp-%d-${var.environment}"
  tags      = { Environment = var.environment, ManagedBy = "terraform" }
  retention = { dev = 7, staging = 30, prod = 365 }
  cidrs     = ["10.0.0.0/16", "10.1.0.0/16"]
  access    = var.environment == "prod" ? "Disabled" : var.internet_access
}
`

const network = `resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = local.tags
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}

resource "aws_security_group" "notebook" {
  name   = "${local.prefix}-notebook"
  vpc_id = aws_vpc.main.id
  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id       = aws_vpc.main.id
  service_name = "com.amazonaws.us-east-1.s3"
}
`

const notebooks = `resource "aws_sagemaker_notebook_instance" "shared" {
  count                  = var.notebook_count
  name                   = "${local.prefix}-shared-${count.index}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private[count.index % 2].id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = local.access
  tags                   = local.tags
}

module "team_notebook" {
  source          = "./modules/notebook"
  for_each        = var.teams
  name            = "${local.prefix}-${each.key}"
  instance_type   = each.value.instance_type
  volume_size     = each.value.volume_size
  subnet_id       = aws_subnet.private[0].id
  security_groups = [aws_security_group.notebook.id]
}
`

const domain = `resource "aws_sagemaker_domain" "studio" {
  domain_name             = "${local.prefix}-studio"
  auth_mode               = "IAM"
  vpc_id                  = aws_vpc.main.id
  subnet_ids              = aws_subnet.private[*].id
  app_network_access_type = var.environment == "dev" ? "PublicInternetOnly" : "VpcOnly"
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}
`

const outputs = `output "notebook_names" {
  value = [for nb in aws_sagemaker_notebook_instance.shared : nb.name]
}

output "team_notebooks" {
  value = { for k, m in module.team_notebook : k => m.name }
}
`

const moduleMain = `resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = var.instance_type
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = var.subnet_id
  security_groups        = var.security_groups
  volume_size            = var.volume_size
  direct_internet_access = var.direct_internet_access
}
`

const moduleVariables = `variable "name" { type = string }
variable "instance_type" { type = string }
variable "volume_size" { type = number }
variable "subnet_id" { type = string }
variable "security_groups" { type = list(string) }
variable "direct_internet_access" {
  type    = string
  default = "Disabled"
}
`

const moduleOutputs = `output "name" {
  value = aws_sagemaker_notebook_instance.this.name
}
`
