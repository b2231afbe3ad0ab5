# A SageMaker notebook instance that is private by construction: direct
# internet access is always "Disabled", the notebook always sits in the given
# subnet with the given security groups, root access is off and IMDSv2 is
# required by default. Optionally, the module creates what such a notebook
# needs to work without a NAT gateway: the SageMaker API, runtime and notebook
# interface endpoints, the S3 gateway endpoint, and an HTTPS-only egress group.

data "aws_region" "current" {}

locals {
  region = var.region != null ? var.region : data.aws_region.current.name

  create_lifecycle = var.lifecycle_on_create != null || var.lifecycle_on_start != null
  lifecycle_config_name = (
    local.create_lifecycle ? aws_sagemaker_notebook_instance_lifecycle_configuration.this[0].name : var.lifecycle_config_name
  )

  security_group_ids = concat(
    var.security_group_ids,
    aws_security_group.https_egress[*].id,
  )

  interface_endpoint_services = {
    sagemaker_api     = "com.amazonaws.${local.region}.sagemaker.api"
    sagemaker_runtime = "com.amazonaws.${local.region}.sagemaker.runtime"
    notebook          = "aws.sagemaker.${local.region}.notebook"
  }
  endpoint_subnet_ids = length(var.endpoint_subnet_ids) > 0 ? var.endpoint_subnet_ids : [var.subnet_id]
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "this" {
  count = local.create_lifecycle ? 1 : 0

  name      = "${var.name}-lifecycle"
  on_create = var.lifecycle_on_create != null ? base64encode(var.lifecycle_on_create) : null
  on_start  = var.lifecycle_on_start != null ? base64encode(var.lifecycle_on_start) : null
  tags      = var.tags
}

resource "aws_sagemaker_notebook_instance" "this" {
  name                   = var.name
  role_arn               = var.role_arn
  instance_type          = var.instance_type
  direct_internet_access = "Disabled"
  subnet_id              = var.subnet_id
  security_groups        = local.security_group_ids
  kms_key_id             = var.kms_key_id
  volume_size            = var.volume_size
  root_access            = var.root_access
  platform_identifier    = var.platform_identifier
  lifecycle_config_name  = local.lifecycle_config_name

  default_code_repository      = var.default_code_repository
  additional_code_repositories = var.additional_code_repositories

  instance_metadata_service_configuration {
    minimum_instance_metadata_service_version = var.minimum_instance_metadata_service_version
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.security_group_ids) >= 1 && length(local.security_group_ids) <= 5
      error_message = "The notebook needs 1 to 5 security groups: pass security_group_ids or set create_https_egress_security_group = true."
    }
  }
}

resource "aws_security_group" "https_egress" {
  count = var.create_https_egress_security_group ? 1 : 0

  name_prefix = "${var.name}-https-egress-"
  description = "SageMaker notebook ${var.name}: outbound HTTPS only"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to the VPC endpoints (and a NAT gateway if the subnet routes to one)"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = var.https_egress_cidr_blocks
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.vpc_id != null
      error_message = "vpc_id is required when create_https_egress_security_group is true."
    }
  }
}

resource "aws_security_group" "endpoints" {
  count = var.create_vpc_endpoints ? 1 : 0

  name_prefix = "${var.name}-endpoints-"
  description = "SageMaker notebook ${var.name}: HTTPS from the notebook to the interface endpoints"
  vpc_id      = var.vpc_id

  ingress {
    description     = "HTTPS from the notebook"
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    security_groups = local.security_group_ids
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.vpc_id != null
      error_message = "vpc_id is required when create_vpc_endpoints is true."
    }
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = var.create_vpc_endpoints ? local.interface_endpoint_services : {}

  vpc_id              = var.vpc_id
  service_name        = each.value
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = local.endpoint_subnet_ids
  security_group_ids  = aws_security_group.endpoints[*].id

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_vpc_endpoint" "s3" {
  count = var.create_vpc_endpoints ? 1 : 0

  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.route_table_ids

  tags = merge(var.tags, { Name = "${var.name}-s3" })

  lifecycle {
    precondition {
      condition     = length(var.route_table_ids) > 0
      error_message = "route_table_ids must name the route table of subnet_id when create_vpc_endpoints is true."
    }
  }
}
