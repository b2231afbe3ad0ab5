provider "aws" {
  region = "eu-west-1"
}

data "aws_availability_zones" "available" {}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

module "vpc" {
  source = "../../"

  name               = "complete"
  cidr               = "10.0.0.0/16"
  azs                = local.azs
  private_subnets    = [for k, v in local.azs : cidrsubnet("10.0.0.0/16", 4, k)]
  public_subnets     = [for k, v in local.azs : cidrsubnet("10.0.0.0/16", 8, k + 48)]
  enable_ipv6        = true
  enable_nat_gateway = true
  single_nat_gateway = true
  public_subnet_ipv6_prefixes = [0, 1, 2]
}

module "vpc_endpoints" {
  source = "../../modules/vpc-endpoints"

  vpc_id = module.vpc.vpc_id
  endpoints = {
    s3  = { service = "s3", service_type = "Gateway" }
    sts = { service = "sts" }
  }
}

module "flow_log_bucket" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "~> 4.0"

  bucket_prefix = "vpc-flow-logs-"
}

module "security_group" {
  source  = "terraform-aws-modules/security-group/aws"
  version = "~> 5.0"

  vpc_id = module.vpc.vpc_id
}
