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

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id

  egress {
    description = "HTTPS out"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
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
  direct_internet_access = "Enabled"
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.setup.name
}

resource "aws_sagemaker_notebook_instance" "scratch" {
  name            = "scratch"
  instance_type   = "ml.t3.medium"
  role_arn        = "arn:aws:iam::123456789012:role/notebook"
  subnet_id       = aws_subnet.private.id
  security_groups = [aws_security_group.notebook.id]
}
