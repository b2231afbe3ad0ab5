output "vpc_id" {
  value = local.vpc_id
}
output "private_subnets" {
  value = aws_subnet.private[*].id
}
output "ipv6_cidr_block" {
  value = try(aws_vpc.this[0].ipv6_cidr_block, null)
}
