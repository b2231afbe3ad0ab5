variable "ipv6_cidr" {
  type    = string
  default = null
}

variable "enable_ipv6" {
  type    = bool
  default = true
}

# ipv6_cidr_block is written as null: the provider computes it at apply
# (assign_generated_ipv6_cidr_block), so references see an unknown value,
# never null, and cidrsubnet() below is no error.
resource "aws_vpc" "this" {
  count                            = 1
  cidr_block                       = "10.0.0.0/16"
  assign_generated_ipv6_cidr_block = var.enable_ipv6 ? true : null
  ipv6_cidr_block                  = var.ipv6_cidr
}

resource "aws_subnet" "private" {
  count           = 2
  vpc_id          = aws_vpc.this[0].id
  cidr_block      = cidrsubnet("10.0.0.0/16", 8, count.index)
  ipv6_cidr_block = var.enable_ipv6 ? cidrsubnet(aws_vpc.this[0].ipv6_cidr_block, 8, count.index) : null
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.this[0].id
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private[0].id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}
