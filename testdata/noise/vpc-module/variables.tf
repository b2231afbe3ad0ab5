variable "create_vpc" {
  type    = bool
  default = true
}
variable "name" {
  type    = string
  default = ""
}
variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}
variable "use_ipam_pool" {
  type    = bool
  default = false
}
variable "ipv4_ipam_pool_id" {
  type    = string
  default = null
}
variable "enable_ipv6" {
  type    = bool
  default = false
}
variable "ipv6_cidr" {
  type    = string
  default = null
}
variable "enable_dns_hostnames" {
  type    = bool
  default = true
}
variable "secondary_cidr_blocks" {
  type    = list(string)
  default = []
}
variable "azs" {
  type    = list(string)
  default = []
}
variable "public_subnets" {
  type    = list(string)
  default = []
}
variable "private_subnets" {
  type    = list(string)
  default = []
}
variable "public_subnet_ipv6_prefixes" {
  type    = list(string)
  default = []
}
variable "private_subnet_ipv6_prefixes" {
  type    = list(string)
  default = []
}
variable "enable_nat_gateway" {
  type    = bool
  default = false
}
variable "single_nat_gateway" {
  type    = bool
  default = false
}
variable "manage_default_security_group" {
  type    = bool
  default = true
}
variable "tags" {
  type    = map(string)
  default = {}
}
