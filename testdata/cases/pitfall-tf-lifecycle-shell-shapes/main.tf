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
    description = "HTTPS from the VPC"
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

resource "aws_vpc_endpoint" "sagemaker_runtime" {
  vpc_id              = aws_vpc.main.id
  service_name        = "com.amazonaws.us-east-1.sagemaker.runtime"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [aws_subnet.private.id]
  security_group_ids  = [aws_security_group.endpoints.id]
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.main.id
  service_name      = "com.amazonaws.us-east-1.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}

resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = aws_vpc.main.id

  egress {
    description     = "HTTPS to the interface endpoints"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = [aws_security_group.endpoints.id]
  }

  egress {
    description     = "HTTPS to S3 through the gateway endpoint"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    prefix_list_ids = [aws_vpc_endpoint.s3.prefix_list_id]
  }
}

# Shapes a line-by-line scanner misses: each lifecycle configuration below is
# attached to its own notebook in the private subnet (no NAT route).

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "function" {
  name = "setup-in-function"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    set -e
    install_kernel_deps() {
      sudo -u ec2-user -i <<'EOF'
    source activate python3
    pip install --quiet lightgbm
    EOF
    }
    install_kernel_deps
  EOT
  )
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "case_arm" {
  name = "setup-case-arm"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    STAGE=$(cat /home/ec2-user/stage)
    case "$STAGE" in
      dev) conda install -y -c conda-forge polars ;;
      *) echo "nothing to install" ;;
    esac
  EOT
  )
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "process_substitution" {
  name = "setup-process-substitution"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    bash <(curl -fsSL https://raw.githubusercontent.com/example-org/setup/main/idle-stop.sh)
  EOT
  )
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "uv" {
  name = "setup-uv"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    # pip.conf points pip at the mirror, but uv reads no pip.conf
    pip config set global.index-url https://pypi.mirror.example.internal/simple
    pip install --quiet xgboost
    uv pip install --system duckdb
  EOT
  )
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "uv_private" {
  name = "setup-uv-private"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    export UV_DEFAULT_INDEX=https://pypi.mirror.example.internal/simple
    uv pip install --system duckdb
    pipx install --pip-args="--index-url https://pypi.mirror.example.internal/simple" jupytext
  EOT
  )
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "unparseable" {
  name = "setup-unparseable"
  on_start = base64encode(<<-EOT
    #!/bin/bash
    if [ -f /home/ec2-user/.setup-done ]; then
      exit 0
    pip install --quiet xgboost
  EOT
  )
}

locals {
  lifecycle_configs = {
    function             = aws_sagemaker_notebook_instance_lifecycle_configuration.function.name
    case_arm             = aws_sagemaker_notebook_instance_lifecycle_configuration.case_arm.name
    process_substitution = aws_sagemaker_notebook_instance_lifecycle_configuration.process_substitution.name
    uv                   = aws_sagemaker_notebook_instance_lifecycle_configuration.uv.name
    uv_private           = aws_sagemaker_notebook_instance_lifecycle_configuration.uv_private.name
    unparseable          = aws_sagemaker_notebook_instance_lifecycle_configuration.unparseable.name
  }
}

resource "aws_sagemaker_notebook_instance" "nb" {
  for_each               = local.lifecycle_configs
  name                   = "research-${replace(each.key, "_", "-")}"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = aws_subnet.private.id
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
  lifecycle_config_name  = each.value
}
