# Two Studio domains: the production one keeps all traffic in the VPC, the
# sandbox one leaves app_network_access_type at its default
# (PublicInternetOnly) and fails sagemaker_domain_vpc_only.

variable "environments" {
  type = map(object({
    vpc_only = bool
  }))
  default = {
    production = { vpc_only = true }
    sandbox    = { vpc_only = false }
  }
}

resource "aws_vpc" "studio" {
  cidr_block = "10.50.0.0/16"
}

resource "aws_subnet" "studio" {
  count      = 2
  vpc_id     = aws_vpc.studio.id
  cidr_block = cidrsubnet(aws_vpc.studio.cidr_block, 4, count.index)
}

resource "aws_sagemaker_domain" "this" {
  for_each    = var.environments
  domain_name = "studio-${each.key}"
  auth_mode   = "IAM"
  vpc_id      = aws_vpc.studio.id
  subnet_ids  = aws_subnet.studio[*].id

  app_network_access_type = each.value.vpc_only ? "VpcOnly" : null

  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/sagemaker-studio"
  }
}
