data "aws_availability_zones" "available" {}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

# How many NAT gateways exist is decided at plan: one gap, for the controls
# that read NAT gateways around a notebook with access disabled.
resource "aws_nat_gateway" "per_az" {
  count     = length(data.aws_availability_zones.available.names)
  subnet_id = aws_subnet.private.id
}

# No control reads an IAM role: its unknown count is no gap.
resource "aws_iam_role" "per_az" {
  count              = length(data.aws_availability_zones.available.names)
  name               = "per-az-${count.index}"
  assume_role_policy = "{}"
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}
