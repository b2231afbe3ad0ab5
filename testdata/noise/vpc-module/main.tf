locals {
  create_vpc       = var.create_vpc
  len_private      = max(length(var.private_subnets), length(var.private_subnet_ipv6_prefixes))
  len_public       = length(var.public_subnets)
  max_subnet_count = max(local.len_private, local.len_public)
  nat_count        = var.single_nat_gateway ? 1 : local.max_subnet_count
  vpc_id           = try(aws_vpc_ipv4_cidr_block_association.this[0].vpc_id, aws_vpc.this[0].id, "")
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block                       = var.use_ipam_pool ? null : var.cidr
  ipv4_ipam_pool_id                = var.ipv4_ipam_pool_id
  assign_generated_ipv6_cidr_block = var.enable_ipv6 && !var.use_ipam_pool ? true : null
  ipv6_cidr_block                  = var.ipv6_cidr
  enable_dns_hostnames             = var.enable_dns_hostnames
  tags                             = merge({ Name = var.name }, var.tags)
}

resource "aws_vpc_ipv4_cidr_block_association" "this" {
  count      = local.create_vpc && length(var.secondary_cidr_blocks) > 0 ? length(var.secondary_cidr_blocks) : 0
  vpc_id     = aws_vpc.this[0].id
  cidr_block = element(var.secondary_cidr_blocks, count.index)
}

resource "aws_subnet" "public" {
  count = local.create_vpc && local.len_public > 0 ? local.len_public : 0

  vpc_id            = local.vpc_id
  cidr_block        = element(concat(var.public_subnets, [""]), count.index)
  availability_zone = length(var.azs) > 0 ? element(var.azs, count.index) : data.aws_availability_zones.available.names[count.index]
  ipv6_cidr_block   = var.enable_ipv6 && length(var.public_subnet_ipv6_prefixes) > 0 ? cidrsubnet(aws_vpc.this[0].ipv6_cidr_block, 8, var.public_subnet_ipv6_prefixes[count.index]) : null
}

resource "aws_subnet" "private" {
  count = length(data.aws_availability_zones.available.names) > 0 && local.len_private > 0 ? local.len_private : 0

  vpc_id            = local.vpc_id
  cidr_block        = element(concat(var.private_subnets, [""]), count.index)
  availability_zone = element(data.aws_availability_zones.available.names, count.index)
}

resource "aws_eip" "nat" {
  count  = local.create_vpc && var.enable_nat_gateway ? local.nat_count : 0
  domain = "vpc"
}

resource "aws_nat_gateway" "this" {
  count = local.create_vpc && var.enable_nat_gateway ? length(data.aws_availability_zones.available.names) : 0

  allocation_id = element(aws_eip.nat[*].id, var.single_nat_gateway ? 0 : count.index)
  subnet_id     = element(aws_subnet.public[*].id, var.single_nat_gateway ? 0 : count.index)
}

resource "aws_route_table" "private" {
  count  = local.create_vpc && local.max_subnet_count > 0 ? local.nat_count : 0
  vpc_id = local.vpc_id
}

resource "aws_route" "private_nat_gateway" {
  count = local.create_vpc && var.enable_nat_gateway ? length(data.aws_availability_zones.available.names) : 0

  route_table_id         = element(aws_route_table.private[*].id, count.index)
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = element(aws_nat_gateway.this[*].id, count.index)
}

resource "aws_route_table_association" "private" {
  count = local.create_vpc && local.len_private > 0 ? local.len_private : 0

  subnet_id = element(aws_subnet.private[*].id, count.index)
  route_table_id = element(
    coalescelist(aws_route_table.private[*].id, aws_route_table.private[*].id),
    var.single_nat_gateway ? 0 : count.index,
  )
}

resource "aws_security_group" "default" {
  count       = local.create_vpc && var.manage_default_security_group ? 1 : 0
  name        = "${var.name}-default"
  description = "default group of ${local.vpc_id}"
  vpc_id      = local.vpc_id
}
