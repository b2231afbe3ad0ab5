variable "create" {
  type    = bool
  default = true
}
variable "cluster_name" {
  type    = string
  default = ""
}
variable "vpc_id" {
  type    = string
  default = null
}
variable "subnet_ids" {
  type    = list(string)
  default = []
}
variable "create_cluster_security_group" {
  type    = bool
  default = true
}
variable "cluster_security_group_id" {
  type    = string
  default = ""
}
variable "create_kms_key" {
  type    = bool
  default = true
}
variable "cluster_security_group_additional_rules" {
  type    = any
  default = {}
}
variable "eks_managed_node_groups" {
  type = map(object({
    name                   = optional(string)
    subnet_ids             = optional(list(string))
    vpc_security_group_ids = optional(list(string), [])
    create_security_group  = optional(bool, true)
    min_size               = optional(number, 1)
  }))
  default = {}
}
