variable "public" {
  type    = bool
  default = true
}

variable "access" {
  type = string
}

locals {
  access = "Enabled"
}

resource "aws_sagemaker_notebook_instance" "from_local" {
  name                   = "a"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = local.access
}

resource "aws_sagemaker_notebook_instance" "conditional" {
  name                   = "b"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = var.public ? "Enabled" : "Disabled"
}

resource "aws_sagemaker_notebook_instance" "no_value" {
  name                   = "c"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-0123456789abcdef0"
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = var.access
}
