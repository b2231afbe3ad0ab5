module "nb" {
  source = "./modules/notebook"

  name                   = "research"
  direct_internet_access = "Enabled"
}
