variable "internet_access" {
  default = "Disabled"
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  direct_internet_access = var.internet_access
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
}
