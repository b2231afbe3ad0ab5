module "network" {
  source = "./modules/network"
}

module "ml" {
  source   = "./modules/notebook"
  for_each = { research = "Disabled", sandbox = "Enabled" }
  name     = each.key
  access   = each.value
  subnet   = module.network.subnet_id
  sg       = module.network.sg_id
}

module "legacy" {
  source = "./modules/notebook"
  count  = 1
  name   = "legacy"
  access = null
  subnet = null
  sg     = null
}
