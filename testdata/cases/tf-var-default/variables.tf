variable "direct_internet_access" {
  type    = string
  default = "Disabled"
}
