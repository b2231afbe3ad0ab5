variable "availability_zone" {
  type    = string
  default = null
}

resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

# availability_zone is written as null: the provider computes it at apply,
# so references see a value known only after apply, never null, and
# upper() below is no error.
resource "aws_subnet" "private" {
  count             = 1
  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.0.1.0/24"
  availability_zone = var.availability_zone
}

resource "aws_security_group" "notebook" {
  name        = "notebook"
  description = "notebook in ${upper(aws_subnet.private[0].availability_zone)}"
  vpc_id      = aws_vpc.this.id
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private[0].id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
}
