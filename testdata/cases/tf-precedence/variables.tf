variable "a" {
  type    = string
  default = "Enabled"
}

variable "b" {
  type    = string
  default = "Enabled"
}

variable "c" {
  type    = string
  default = "Disabled"
}

variable "d" {
  type    = string
  default = "Enabled"
}
