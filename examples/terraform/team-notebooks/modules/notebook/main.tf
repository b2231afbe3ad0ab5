variable "name" {
  type = string
}

variable "instance_type" {
  type    = string
  default = "ml.t3.medium"
}

variable "internet_access" {
  description = "Give the notebook direct internet access (not recommended)."
  type        = bool
  default     = false
}

variable "subnet_id" {
  type = string
}

variable "security_group_ids" {
  type = list(string)
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  instance_type          = var.instance_type
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker-notebook"
  subnet_id              = var.subnet_id
  security_groups        = var.security_group_ids
  direct_internet_access = var.internet_access ? "Enabled" : "Disabled"
}

output "name" {
  value = aws_sagemaker_notebook_instance.this.name
}
