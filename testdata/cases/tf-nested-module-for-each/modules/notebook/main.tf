variable "name" {
  type = string
}

variable "direct_internet_access" {
  type    = string
  default = "Enabled"
}

variable "subnet_id" {
  type    = string
  default = null
}

variable "security_group_ids" {
  type    = list(string)
  default = []
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = var.subnet_id
  security_groups        = length(var.security_group_ids) > 0 ? var.security_group_ids : null
  direct_internet_access = var.direct_internet_access
}

output "name" {
  value = aws_sagemaker_notebook_instance.this.name
}
