variable "team" {
  type = string
}

variable "count_per_team" {
  type    = number
  default = 1
}

variable "private" {
  type = bool
}

module "notebook" {
  source                 = "../notebook"
  count                  = var.count_per_team
  name                   = "${var.team}-${count.index}"
  direct_internet_access = var.private ? "Disabled" : "Enabled"
}
