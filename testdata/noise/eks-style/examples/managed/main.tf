module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "~> 6.0"

  name            = "eks"
  cidr            = "10.0.0.0/16"
  private_subnets = ["10.0.1.0/24", "10.0.2.0/24"]
}

module "eks" {
  source = "../.."

  cluster_name = "example"
  vpc_id       = module.vpc.vpc_id
  subnet_ids   = module.vpc.private_subnets

  cluster_security_group_additional_rules = {
    ingress_nodes = { type = "ingress", protocol = "tcp", from_port = 443, to_port = 443, cidr_blocks = ["10.0.0.0/16"] }
  }

  eks_managed_node_groups = {
    default = {
      subnet_ids = module.vpc.private_subnets
    }
    pinned = {
      name                   = "pinned"
      vpc_security_group_ids = [module.vpc.default_security_group_id]
    }
  }
}
