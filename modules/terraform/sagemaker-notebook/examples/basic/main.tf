# A private network and a notebook that reaches SageMaker and S3 only through
# VPC endpoints: no internet gateway, no NAT gateway, no direct internet access.

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region to deploy to."
  type        = string
  default     = "us-east-1"
}

resource "aws_vpc" "ml" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "ml-private" }
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.ml.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "${var.region}a"

  tags = { Name = "ml-private-a" }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.ml.id

  tags = { Name = "ml-private" }
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "notebook" {
  name               = "research-notebook"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

module "notebook" {
  source = "../.."

  name     = "research"
  role_arn = aws_iam_role.notebook.arn
  region   = var.region

  vpc_id             = aws_vpc.ml.id
  subnet_id          = aws_subnet.private.id
  security_group_ids = []

  create_https_egress_security_group = true
  create_vpc_endpoints               = true
  route_table_ids                    = [aws_route_table.private.id]

  # Plain text: the module base64-encodes it. Nothing is fetched from the
  # public internet (there is no route to it).
  lifecycle_on_start = <<-SCRIPT
    #!/bin/bash
    set -euo pipefail
    sudo -u ec2-user -i <<'USER'
    echo "notebook started at $(date -u)" >> /home/ec2-user/SageMaker/.lifecycle.log
    USER
  SCRIPT

  tags = { Project = "research" }
}

output "notebook_instance_name" {
  value = module.notebook.notebook_instance_name
}

output "vpc_endpoint_ids" {
  value = module.notebook.vpc_endpoint_ids
}
