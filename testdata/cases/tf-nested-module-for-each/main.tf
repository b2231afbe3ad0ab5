locals {
  teams = {
    data = { private = true, n = 2 }
    web  = { private = false, n = 1 }
    none = { private = true, n = 0 }
  }
}

module "team" {
  source         = "./modules/team"
  for_each       = local.teams
  team           = each.key
  private        = each.value.private
  count_per_team = each.value.n
}
