resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = var.subnet_id
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = var.access
}
