locals {
  notebooks = {
    research = { access = "Disabled" }
    sandbox  = { access = "Enabled" }
    legacy   = {}
  }
}

resource "aws_sagemaker_notebook_instance" "nb" {
  for_each               = local.notebooks
  name                   = each.key
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = lookup(each.value, "access", null)
}
