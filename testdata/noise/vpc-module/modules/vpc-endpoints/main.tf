variable "vpc_id" {
  type = string
}
variable "endpoints" {
  type = map(object({
    service             = string
    service_type        = optional(string, "Interface")
    private_dns_enabled = optional(bool, true)
    route_table_ids     = optional(list(string), [])
  }))
  default = {}
}
data "aws_vpc_endpoint_service" "this" {
  for_each     = var.endpoints
  service      = each.value.service
  service_type = each.value.service_type
}
resource "aws_vpc_endpoint" "this" {
  for_each            = var.endpoints
  vpc_id              = var.vpc_id
  service_name        = data.aws_vpc_endpoint_service.this[each.key].service_name
  vpc_endpoint_type   = each.value.service_type
  private_dns_enabled = each.value.service_type == "Interface" ? each.value.private_dns_enabled : null
  route_table_ids     = each.value.route_table_ids
}
