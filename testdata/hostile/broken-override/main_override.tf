variable "internet_access" {
  default = "Enabled"
