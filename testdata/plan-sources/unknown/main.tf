resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

# The access mode depends on a value AWS assigns on create, so the plan
# cannot know it.
resource "aws_sagemaker_notebook_instance" "computed" {
  name                   = "computed"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  direct_internet_access = aws_vpc.main.default_network_acl_id != "" ? "Disabled" : "Enabled"
}
