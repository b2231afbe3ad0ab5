# The subnet comes from SSM through a data source, which Terraform reads
# during plan: the notebook is in a VPC whatever the ID turns out to be.
data "aws_ssm_parameter" "subnet_id" {
  name = "/network/private-subnet-id"
}

variable "subnet_id" {
  type = string
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = data.aws_ssm_parameter.subnet_id.value
  direct_internet_access = "Disabled"
}

locals {
  subnet = "${data.aws_ssm_parameter.subnet_id.value}"
}

resource "aws_sagemaker_notebook_instance" "through_local" {
  name                   = "through-local"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = local.subnet
  security_groups        = ["sg-0123456789abcdef0"]
  direct_internet_access = "Disabled"
}

# A variable without a value may be null: whether a subnet is set is unknown.
resource "aws_sagemaker_notebook_instance" "from_variable" {
  name                   = "from-variable"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = var.subnet_id
  direct_internet_access = "Enabled"
}

resource "aws_subnet" "fallback" {
  vpc_id     = "vpc-0123456789abcdef0"
  cidr_block = "10.0.9.0/24"
}

# A conditional with a null branch whose condition is read during plan: the
# subnet may or may not be set, so in_vpc cannot pass (nor fail).
resource "aws_sagemaker_notebook_instance" "conditional" {
  name                   = "conditional"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  subnet_id              = data.aws_ssm_parameter.subnet_id.value == "none" ? null : aws_subnet.fallback.id
  direct_internet_access = "Enabled"
}
