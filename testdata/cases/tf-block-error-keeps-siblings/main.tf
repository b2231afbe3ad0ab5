variable "access" {
  type    = string
  default = "Disabled"
}

resource "aws_security_group" "broken" {
  name        = "broken"
  description = 
}

variable "subnet_id" {
  type    = string
  default = "subnet-0123456789abcdef0"
}
