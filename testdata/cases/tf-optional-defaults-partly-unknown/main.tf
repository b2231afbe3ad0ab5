module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 5.0"
}

# The object holds a value unknown here (a module output): the optional()
# defaults of its other attributes still apply, as in Terraform.
module "notebooks" {
  source = "./modules/notebooks"
  groups = {
    research = { subnets = module.vpc.private_subnets }
  }
}
