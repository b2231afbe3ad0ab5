variable "groups" {
  description = "notebooks by key; access defaults to Disabled"
  type = map(object({
    name    = optional(string, "dflt")
    sgs     = optional(list(string), [])
    subnets = optional(list(string))
    access  = optional(string, "Disabled")
  }))
  default = {}
}
resource "aws_sagemaker_notebook_instance" "nb" {
  for_each               = var.groups
  name                   = each.value.name
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/x"
  subnet_id              = each.value.subnets[0]
  security_groups        = concat(["sg-1"], each.value.sgs)
  direct_internet_access = each.value.access
}
