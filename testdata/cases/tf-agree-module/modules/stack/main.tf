# A nested module: stack calls notebook again with access disabled.
module "inner" {
  source = "../notebook"
  name   = "inner"
  access = "Disabled"
}

resource "aws_vpc" "this" {
  cidr_block = "10.2.0.0/16"
}

resource "aws_subnet" "this" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.2.1.0/24"
}

resource "aws_sagemaker_domain" "studio" {
  domain_name             = "stack-studio"
  auth_mode               = "IAM"
  vpc_id                  = aws_vpc.this.id
  subnet_ids              = [aws_subnet.this.id]
  app_network_access_type = "VpcOnly"
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}
