module "vpc" {
  source = "./modules/vpc"
  cidr   = "10.20.0.0/16"
  azs    = ["eu-west-1a", "eu-west-1b"]
}

locals {
  subnets = module.vpc.private_subnets
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = local.subnets[1]
  security_groups        = [module.vpc.security_group_id]
  direct_internet_access = "Disabled"
}

resource "aws_sagemaker_domain" "studio" {
  domain_name             = "studio"
  auth_mode               = "IAM"
  vpc_id                  = module.vpc.vpc_id
  subnet_ids              = module.vpc.private_subnets
  app_network_access_type = "VpcOnly"

  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/notebook"
  }
}
