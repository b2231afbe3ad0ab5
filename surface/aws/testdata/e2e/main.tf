# The configuration the Terraform → moto → audit agreement test applies. It is
# also scanned as source: both must give the same verdict per notebook.

resource "aws_vpc" "main" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.20.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id

  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_sagemaker_notebook_instance" "omitted" {
  name          = "tf-omitted"
  instance_type = "ml.t2.medium"
  role_arn      = "arn:aws:iam::123456789012:role/notebook"
}

resource "aws_sagemaker_notebook_instance" "enabled" {
  name                   = "tf-enabled"
  instance_type          = "ml.t2.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  direct_internet_access = "Enabled"
}

resource "aws_sagemaker_notebook_instance" "disabled" {
  name                   = "tf-disabled"
  instance_type          = "ml.t2.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}

# No aws_sagemaker_domain here: moto 5.2.1's CreateDomain answers no DomainId,
# so the provider cannot wait for the domain. The test creates the Studio
# domains through the API instead.
