resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  instance_type          = "ml.t3.medium"
  subnet_id              = var.subnet_id
  security_groups        = var.security_group_ids
  direct_internet_access = var.internet_access
}
