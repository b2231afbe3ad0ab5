# Inputs of the compliant-by-default SageMaker notebook module.
#
# There is deliberately no input for direct internet access: the module always
# creates the notebook with direct_internet_access = "Disabled". The subnet and
# the security groups are required, because a notebook without direct internet
# access cannot launch without them.

variable "name" {
  description = "Notebook instance name (1-63 characters: letters, digits and hyphens, not starting or ending with a hyphen)."
  type        = string

  validation {
    condition     = length(var.name) <= 63 && can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", var.name))
    error_message = "The name must be at most 63 characters of letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "role_arn" {
  description = "ARN of the IAM role the notebook assumes."
  type        = string
}

variable "instance_type" {
  description = "ML instance type of the notebook."
  type        = string
  default     = "ml.t3.medium"

  validation {
    condition     = startswith(var.instance_type, "ml.")
    error_message = "The instance type must be an ML instance type such as ml.t3.medium."
  }
}

variable "subnet_id" {
  description = "ID of the private subnet the notebook's network interface is placed in. Required: without it a notebook with direct internet access disabled cannot launch."
  type        = string
  nullable    = false

  validation {
    condition     = var.subnet_id != null && can(regex("^subnet-[0-9a-f]+$", var.subnet_id))
    error_message = "subnet_id must be a subnet ID (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "IDs of the security groups attached to the notebook (at most 5 together with the HTTPS-egress group the module can create). They must allow outbound TCP 443 to the VPC endpoints or a NAT gateway."
  type        = list(string)
  nullable    = false

  validation {
    condition     = var.security_group_ids != null && alltrue([for id in var.security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "security_group_ids must be a list of security group IDs (sg-...)."
  }

  validation {
    condition     = length(var.security_group_ids) <= 5
    error_message = "A notebook instance accepts at most 5 security groups."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of subnet_id. Required when create_vpc_endpoints or create_https_egress_security_group is true."
  type        = string
  default     = null
}

variable "region" {
  description = "AWS region used in the VPC endpoint service names. Defaults to the provider's region."
  type        = string
  default     = null
}

variable "create_vpc_endpoints" {
  description = "Create the interface endpoints com.amazonaws.<region>.sagemaker.api, com.amazonaws.<region>.sagemaker.runtime and aws.sagemaker.<region>.notebook, and the S3 gateway endpoint, so the notebook reaches SageMaker and S3 without a NAT gateway. Leave false when the VPC already has them (or a NAT route)."
  type        = bool
  default     = false
}

variable "endpoint_subnet_ids" {
  description = "Subnets for the interface endpoints. Defaults to [subnet_id]."
  type        = list(string)
  default     = []
}

variable "route_table_ids" {
  description = "Route tables the S3 gateway endpoint is associated with; they must include the route table of subnet_id. Required when create_vpc_endpoints is true."
  type        = list(string)
  default     = []
}

variable "create_https_egress_security_group" {
  description = "Create a security group that allows only outbound TCP 443 and attach it to the notebook in addition to security_group_ids."
  type        = bool
  default     = false
}

variable "https_egress_cidr_blocks" {
  description = "Destinations of the HTTPS egress rule of the created security group. The default reaches the VPC endpoints (and a NAT gateway if the subnet routes to one)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "kms_key_id" {
  description = "KMS key ARN or ID used to encrypt the notebook's ML storage volume. null uses the AWS managed key."
  type        = string
  default     = null
}

variable "volume_size" {
  description = "Size of the ML storage volume in GB (5-16384)."
  type        = number
  default     = 5

  validation {
    condition     = var.volume_size >= 5 && var.volume_size <= 16384
    error_message = "volume_size must be between 5 and 16384 GB."
  }
}

variable "root_access" {
  description = "Whether notebook users get root access: \"Disabled\" (default) or \"Enabled\"."
  type        = string
  default     = "Disabled"

  validation {
    condition     = contains(["Enabled", "Disabled"], var.root_access)
    error_message = "root_access must be exactly \"Enabled\" or \"Disabled\"."
  }
}

variable "platform_identifier" {
  description = "Notebook platform (notebook-al2-v3, ...). null lets AWS choose its default."
  type        = string
  default     = null
}

variable "minimum_instance_metadata_service_version" {
  description = "Minimum IMDS version: \"2\" (default, IMDSv2 only) or \"1\"."
  type        = string
  default     = "2"

  validation {
    condition     = contains(["1", "2"], var.minimum_instance_metadata_service_version)
    error_message = "minimum_instance_metadata_service_version must be \"1\" or \"2\"."
  }
}

variable "default_code_repository" {
  description = "Default Git repository (URL or SageMaker code repository name)."
  type        = string
  default     = null
}

variable "additional_code_repositories" {
  description = "Up to three additional Git repositories."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.additional_code_repositories) <= 3
    error_message = "At most three additional code repositories are allowed."
  }
}

variable "lifecycle_on_create" {
  description = "Shell script run once when the notebook is created (plain text; the module base64-encodes it). With direct internet access disabled, install packages from a private index or the VPC, not the public internet."
  type        = string
  default     = null
}

variable "lifecycle_on_start" {
  description = "Shell script run each time the notebook starts (plain text; the module base64-encodes it)."
  type        = string
  default     = null
}

variable "lifecycle_config_name" {
  description = "Name of an existing lifecycle configuration to attach. Ignored when lifecycle_on_create or lifecycle_on_start is set (the module then creates one named <name>-lifecycle)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}
