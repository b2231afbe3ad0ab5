resource "aws_vpc" "this" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_subnet" "this" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.1.1.0/24"
}

resource "aws_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

output "subnet_id" {
  value = aws_subnet.this.id
}

output "sg_id" {
  value = aws_security_group.this.id
}
