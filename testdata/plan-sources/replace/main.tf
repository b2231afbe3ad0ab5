resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "notebook" {
  vpc_id = aws_vpc.main.id
}

# Was created with direct internet access and no subnet (see terraform.tfstate);
# moving it into the VPC forces Terraform to destroy and recreate it.
resource "aws_sagemaker_notebook_instance" "analytics" {
  name                   = "analytics"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}

# Unchanged: an in-place update only (instance type), no replacement.
resource "aws_sagemaker_notebook_instance" "steady" {
  name                   = "steady"
  instance_type          = "ml.t3.large"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}
