resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
}

resource "aws_security_group" "notebook" {
  vpc_id = aws_vpc.main.id
}

resource "aws_sagemaker_notebook_instance" "team" {
  count                  = 2
  name                   = "team-${count.index}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private[count.index].id
  security_groups        = aws_security_group.notebook[*].id
  direct_internet_access = count.index == 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "none" {
  count         = 0
  name          = "never"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/sagemaker"
}
