resource "aws_security_group" "notebook" {
  name   = "notebook"
  vpc_id = "vpc-0a1b2c3d4e5f60718"

  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
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
  subnet_id              = "subnet-0a1b2c3d4e5f60718"
  security_groups        = [aws_security_group.notebook.id]
  direct_internet_access = "Disabled"
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.setup.name
}
