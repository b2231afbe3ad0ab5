data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  create     = var.create
  partition  = data.aws_partition.current.partition
  cluster_sg = try(aws_security_group.cluster[0].id, var.cluster_security_group_id)
}

resource "aws_security_group" "cluster" {
  count       = local.create && var.create_cluster_security_group ? 1 : 0
  name_prefix = "${var.cluster_name}-cluster-"
  vpc_id      = var.vpc_id

  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "cluster" {
  for_each = { for k, v in var.cluster_security_group_additional_rules : k => v if local.create }

  security_group_id = local.cluster_sg
  type              = each.value.type
  protocol          = each.value.protocol
  from_port         = each.value.from_port
  to_port           = each.value.to_port
  cidr_blocks       = lookup(each.value, "cidr_blocks", null)
}

module "eks_managed_node_group" {
  source   = "./modules/eks-managed-node-group"
  for_each = { for k, v in var.eks_managed_node_groups : k => v if local.create }

  name                   = coalesce(each.value.name, each.key)
  subnet_ids             = coalesce(each.value.subnet_ids, var.subnet_ids)
  vpc_security_group_ids = compact(concat([local.cluster_sg], each.value.vpc_security_group_ids))
  create_security_group  = each.value.create_security_group
}

module "kms" {
  source  = "terraform-aws-modules/kms/aws"
  version = "~> 2.1"
  create  = local.create && var.create_kms_key

  aliases = ["eks/${var.cluster_name}"]
}
