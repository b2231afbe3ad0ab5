variable "internet_access" {
  type    = string
  default = "Enabled"
}

module "nb" {
  source          = "./modules/notebook"
  internet_access = var.internet_access
}
