variable "name" {
  type = string
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  direct_internet_access = "Enabled"
}
