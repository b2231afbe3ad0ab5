module "studio" {
  source                 = "../../modules/studio"
  env                    = "dev"
  direct_internet_access = "Enabled"
}
