module "stack" {
  source = "./modules/stack"
}

module "nb" {
  source   = "./modules/notebook"
  for_each = { alpha = "Disabled", beta = "Enabled" }
  name     = each.key
  access   = each.value
}

module "single" {
  source = "./modules/notebook"
  name   = "single"
}

provider "aws" {
  region = "eu-west-1"
}
