variable "network_access" {
  type    = string
  default = "PublicInternetOnly"
}
