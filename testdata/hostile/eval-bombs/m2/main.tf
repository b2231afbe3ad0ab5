resource "aws_security_group" "sg" {
  count = 1000
  name  = "sg-${count.index}"
}
