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

# aws_sagemaker_notebook_instance.old is in terraform.tfstate but no longer
# here: the plan deletes it, and a deleted notebook is not a finding.
resource "aws_sagemaker_notebook_instance" "kept" {
  name                   = "kept"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}
