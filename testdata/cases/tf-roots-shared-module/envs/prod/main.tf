module "studio" {
  source                 = "../../modules/studio"
  env                    = "prod"
  direct_internet_access = "Disabled"
}
