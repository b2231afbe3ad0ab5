resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.2.0/24"
}
resource "aws_eip" "nat" { domain = "vpc" }
resource "aws_nat_gateway" "nat" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
}
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.nat.id
  }
  route {
    cidr_block = "192.168.0.0/16"
    gateway_id = "local"
  }
}
resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}
resource "aws_route" "extra" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "10.10.0.0/16"
  nat_gateway_id         = aws_nat_gateway.nat.id
}
resource "aws_default_route_table" "d" {
  default_route_table_id = aws_vpc.main.default_route_table_id
}
resource "aws_vpc_endpoint" "s3" {
  vpc_id          = aws_vpc.main.id
  service_name    = "com.amazonaws.us-east-1.s3"
  route_table_ids = [aws_route_table.private.id]
}
resource "aws_vpc_endpoint" "api" {
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.us-east-1.sagemaker.api"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [aws_subnet.private.id]
  security_group_ids  = [aws_security_group.nb.id]
}
resource "aws_security_group" "nb" {
  vpc_id = aws_vpc.main.id
}
resource "aws_security_group_rule" "https" {
  type              = "egress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.nb.id
}
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.nb.id
  ip_protocol       = "-1"
  cidr_ipv4         = "10.0.0.0/8"
}
resource "aws_sagemaker_domain" "d" {
  domain_name = "d"
  auth_mode   = "IAM"
  vpc_id      = aws_vpc.main.id
  subnet_ids  = [aws_subnet.private.id]
  default_user_settings { execution_role = "arn:aws:iam::123456789012:role/x" }
}

resource "aws_sagemaker_notebook_instance" "private" {
  name                   = "private"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/sagemaker"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.nb.id]
  direct_internet_access = "Disabled"
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.setup.name
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "setup" {
  name     = "setup"
  on_start = base64encode("#!/bin/bash\npip install pandas\n")
}
