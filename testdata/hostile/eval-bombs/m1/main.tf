module "fan" {
  source = "../m2"
  count  = 1000
}
