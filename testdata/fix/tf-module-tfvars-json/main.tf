variable "dia" {
  type    = string
  default = "Disabled"
}

module "nb" {
  source          = "./modules/notebook"
  internet_access = var.dia
}
