variable "env" {
  type = string
}

variable "direct_internet_access" {
  type = string
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = "research-${var.env}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  direct_internet_access = var.direct_internet_access
}

resource "aws_sagemaker_domain" "this" {
  domain_name             = "studio-${var.env}"
  auth_mode               = "IAM"
  vpc_id                  = "vpc-0123456789abcdef0"
  subnet_ids              = ["subnet-0123456789abcdef0"]
  app_network_access_type = "VpcOnly"

  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}
