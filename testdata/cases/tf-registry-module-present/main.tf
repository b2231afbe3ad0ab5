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

module "notebook" {
  source  = "example-org/notebook/aws"
  version = "1.2.0"

  name                   = "registry"
  direct_internet_access = "Disabled"
  subnet_id              = aws_subnet.private.id
  security_group_ids     = [aws_security_group.notebook.id]
}
