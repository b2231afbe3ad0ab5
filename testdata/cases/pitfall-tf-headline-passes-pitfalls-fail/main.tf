# A notebook that passes the headline control (direct internet access is
# Disabled, in a private subnet with a security group) but cannot work:
#
#   - the VPC has an endpoint for the SageMaker API but none for the SageMaker
#     runtime and none for S3, and the private route table has no NAT route
#     (sagemaker_notebook_instance_private_service_access fails);
#   - the notebook's security group is managed by Terraform and declares no
#     egress, so Terraform removed AWS's default allow-all rule
#     (sagemaker_notebook_instance_security_group_https_egress fails);
#   - the lifecycle script pip-installs from PyPI
#     (sagemaker_notebook_instance_lifecycle_no_public_package_fetch fails).
#
# `sagefence scan examples/private-notebook-pitfalls` shows all three, each
# with its fix; `sagefence explain <control id>` documents them.

resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
}

resource "aws_subnet" "private" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "private" {
  subnet_id      = aws_subnet.private.id
  route_table_id = aws_route_table.private.id
}

resource "aws_security_group" "endpoints" {
  name   = "vpc-endpoints"
  vpc_id = aws_vpc.main.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }
}

resource "aws_vpc_endpoint" "sagemaker_api" {
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.us-east-1.sagemaker.api"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [aws_subnet.private.id]
  security_group_ids  = [aws_security_group.endpoints.id]
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "setup" {
  name = "research-setup"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    set -e
    sudo -u ec2-user -i <<'EOF'
    source activate python3
    pip install --quiet xgboost==2.0.3
    EOF
  EOT
  )
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.setup.name
}
