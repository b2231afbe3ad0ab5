resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_sagemaker_domain" "private" {
  domain_name             = "private-studio"
  auth_mode               = "IAM"
  vpc_id                  = aws_vpc.main.id
  subnet_ids              = [aws_subnet.private.id]
  app_network_access_type = "VpcOnly"
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}

resource "aws_sagemaker_domain" "default" {
  domain_name = "default-studio"
  auth_mode   = "IAM"
  vpc_id      = aws_vpc.main.id
  subnet_ids  = [aws_subnet.private.id]
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}

resource "aws_sagemaker_domain" "public" {
  domain_name             = "public-studio"
  auth_mode               = "IAM"
  vpc_id                  = aws_vpc.main.id
  subnet_ids              = [aws_subnet.private.id]
  app_network_access_type = "PublicInternetOnly"
  default_user_settings {
    execution_role = "arn:aws:iam::123456789012:role/studio"
  }
}
