variable "from_env" {
  type    = string
  default = "Enabled"
}

variable "from_tfvars" {
  type    = string
  default = "Enabled"
}

variable "from_var_file" {
  type    = string
  default = "Enabled"
}

variable "from_cli" {
  type    = string
  default = "Disabled"
}

resource "aws_sagemaker_notebook_instance" "env" {
  name                   = "env"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = var.from_env
}

resource "aws_sagemaker_notebook_instance" "tfvars" {
  name                   = "tfvars"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = var.from_tfvars
}

resource "aws_sagemaker_notebook_instance" "var_file" {
  name                   = "var-file"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = var.from_var_file
}

resource "aws_sagemaker_notebook_instance" "cli" {
  name                   = "cli"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = var.from_cli
}
