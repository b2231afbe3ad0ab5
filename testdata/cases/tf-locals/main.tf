resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id
}

locals {
  access  = local.profile.internet
  profile = { internet = local.mode }
  mode    = upper(substr("disabled", 0, 1)) == "D" ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = local.access
}
