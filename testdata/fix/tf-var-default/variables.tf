variable "subnet_id" {
  type    = string
  default = "subnet-0123456789abcdef0"
}

variable "security_group_ids" {
  type    = list(string)
  default = ["sg-0123456789abcdef0"]
}

# Whether notebooks may reach the internet directly.
variable "internet_access" {
  type    = string
  default = "Enabled"
}
