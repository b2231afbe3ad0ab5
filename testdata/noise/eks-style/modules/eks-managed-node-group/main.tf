variable "name" {
  type = string
}
variable "subnet_ids" {
  type = list(string)
}
variable "vpc_security_group_ids" {
  type    = list(string)
  default = []
}
variable "create_security_group" {
  type    = bool
  default = true
}
resource "aws_security_group" "this" {
  count       = var.create_security_group ? 1 : 0
  name_prefix = "${var.name}-"
  vpc_id      = data.aws_subnet.first.vpc_id
}
data "aws_subnet" "first" {
  id = element(var.subnet_ids, 0)
}
output "security_group_id" {
  value = try(aws_security_group.this[0].id, null)
}
