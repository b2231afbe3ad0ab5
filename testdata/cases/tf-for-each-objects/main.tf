resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id
}

variable "notebooks" {
  type = list(object({
    name                   = string
    direct_internet_access = optional(string)
    volume_size            = optional(number, 5)
  }))
  default = [
    { name = "alpha", direct_internet_access = "Disabled" },
    { name = "beta" },
    { name = "gamma", direct_internet_access = "Enabled" },
  ]
}

locals {
  notebooks = { for n in var.notebooks : n.name => n }
}

resource "aws_sagemaker_notebook_instance" "this" {
  for_each = local.notebooks

  name                   = each.key
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = lookup(each.value, "direct_internet_access", null) != null ? each.value.direct_internet_access : "Disabled"
}

resource "aws_sagemaker_notebook_instance" "plain" {
  for_each = toset([for n in var.notebooks : n.name])

  name                   = "plain-${each.key}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = lookup({ for n in var.notebooks : n.name => n.direct_internet_access if n.direct_internet_access != null }, each.key, "Enabled")
}
