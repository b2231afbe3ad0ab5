# Sandbox account override.
variable "internet_access" {
  default = "Enabled"
}
