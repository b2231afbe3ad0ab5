variable "name" {
  type = string
}

variable "access" {
  type    = string
  default = "Enabled"
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = var.access
}
