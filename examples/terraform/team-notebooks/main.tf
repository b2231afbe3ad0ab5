# One notebook per team through a local module called with for_each. The
# "marketing" team asked for internet access; its finding is suppressed with
# an expiry date, after which it fails again.

variable "teams" {
  type = map(object({
    instance_type   = optional(string, "ml.t3.medium")
    internet_access = optional(bool, false)
  }))
  default = {
    finance   = {}
    risk      = { instance_type = "ml.m5.xlarge" }
    marketing = { internet_access = true }
  }
}

resource "aws_vpc" "ml" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_subnet" "ml" {
  vpc_id     = aws_vpc.ml.id
  cidr_block = "10.60.1.0/24"
}

resource "aws_security_group" "notebooks" {
  name   = "team-notebooks"
  vpc_id = aws_vpc.ml.id
  egress = []
}

# sagefence:ignore SageMaker.1 until=2027-06-30 marketing keeps internet access until the proxy is live
module "notebook" {
  source   = "./modules/notebook"
  for_each = var.teams

  name               = "team-${each.key}"
  instance_type      = each.value.instance_type
  internet_access    = each.value.internet_access
  subnet_id          = aws_subnet.ml.id
  security_group_ids = [aws_security_group.notebooks.id]
}
