data "aws_region" "current" {}

data "aws_region" "current" {}

module "nb" {
  source   = "./modules/nb"
  name     = "research"
  subnet   = "subnet-0123456789abcdef0"
}

output "region" {
  value = data.aws_region.current.name
}

output "region" {
  value = "again"
}
