# A SageMaker root whose only notebook keeps direct internet access: the
# network around it (subnets and NAT gateways counted from a data source) is
# read by no control, so it is no gap and no unknown.
data "aws_availability_zones" "available" {}

module "labels" {
  source  = "cloudposse/label/null"
  version = "0.25.0"
  name    = "research"
}

resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "private" {
  count             = length(data.aws_availability_zones.available.names)
  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
}

resource "aws_nat_gateway" "this" {
  count     = length(data.aws_availability_zones.available.names)
  subnet_id = aws_subnet.private[count.index].id
}

resource "aws_security_group" "extra" {
  for_each = toset(data.aws_availability_zones.available.zone_ids)
  name     = "extra-${each.key}"
  vpc_id   = aws_vpc.this.id
}

resource "aws_sagemaker_notebook_instance" "research" {
  name                   = "research"
  instance_type          = "ml.t3.medium"
  role_arn               = "arn:aws:iam::123456789012:role/notebook"
  direct_internet_access = "Enabled"
  tags                   = { Name = module.labels.id }
}
