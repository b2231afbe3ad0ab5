# Each local doubles the one before: 2^63 bytes if nothing stops it.
locals {
  s0 = "ab"
  s1 = "${local.s0}${local.s0}"
  s2 = "${local.s1}${local.s1}"
  s3 = "${local.s2}${local.s2}"
  s4 = "${local.s3}${local.s3}"
  s5 = "${local.s4}${local.s4}"
  s6 = "${local.s5}${local.s5}"
  s7 = "${local.s6}${local.s6}"
  s8 = "${local.s7}${local.s7}"
  s9 = "${local.s8}${local.s8}"
  s10 = "${local.s9}${local.s9}"
  s11 = "${local.s10}${local.s10}"
  s12 = "${local.s11}${local.s11}"
  s13 = "${local.s12}${local.s12}"
  s14 = "${local.s13}${local.s13}"
  s15 = "${local.s14}${local.s14}"
  s16 = "${local.s15}${local.s15}"
  s17 = "${local.s16}${local.s16}"
  s18 = "${local.s17}${local.s17}"
  s19 = "${local.s18}${local.s18}"
  s20 = "${local.s19}${local.s19}"
  s21 = "${local.s20}${local.s20}"
  s22 = "${local.s21}${local.s21}"
  s23 = "${local.s22}${local.s22}"
  s24 = "${local.s23}${local.s23}"
  s25 = "${local.s24}${local.s24}"
  s26 = "${local.s25}${local.s25}"
  s27 = "${local.s26}${local.s26}"
  s28 = "${local.s27}${local.s27}"
  s29 = "${local.s28}${local.s28}"
  s30 = "${local.s29}${local.s29}"
  s31 = "${local.s30}${local.s30}"
  s32 = "${local.s31}${local.s31}"
  s33 = "${local.s32}${local.s32}"
  s34 = "${local.s33}${local.s33}"
  s35 = "${local.s34}${local.s34}"
  s36 = "${local.s35}${local.s35}"
  s37 = "${local.s36}${local.s36}"
  s38 = "${local.s37}${local.s37}"
  s39 = "${local.s38}${local.s38}"
  s40 = "${local.s39}${local.s39}"
  s41 = "${local.s40}${local.s40}"
  s42 = "${local.s41}${local.s41}"
  s43 = "${local.s42}${local.s42}"
  s44 = "${local.s43}${local.s43}"
  s45 = "${local.s44}${local.s44}"
  s46 = "${local.s45}${local.s45}"
  s47 = "${local.s46}${local.s46}"
  s48 = "${local.s47}${local.s47}"
  s49 = "${local.s48}${local.s48}"
  s50 = "${local.s49}${local.s49}"
  s51 = "${local.s50}${local.s50}"
  s52 = "${local.s51}${local.s51}"
  s53 = "${local.s52}${local.s52}"
  s54 = "${local.s53}${local.s53}"
  s55 = "${local.s54}${local.s54}"
  s56 = "${local.s55}${local.s55}"
  s57 = "${local.s56}${local.s56}"
  s58 = "${local.s57}${local.s57}"
  s59 = "${local.s58}${local.s58}"
  s60 = "${local.s59}${local.s59}"
  s61 = "${local.s60}${local.s60}"
  s62 = "${local.s61}${local.s61}"
  s63 = "${local.s62}${local.s62}"
  big    = [for i in range(1000000000) : i]
  l      = range(1000)
  cube   = [for a in local.l : [for b in local.l : [for c in local.l : 1]]]
  prod   = setproduct(range(1000), range(1000), range(1000))
  wide   = format("%999999999d", 1)
  nested = jsondecode("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")
}
resource "aws_sagemaker_notebook_instance" "doubling" {
  name                   = "doubling"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.s63) > 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "range" {
  name                   = "range"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.big) > 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "cube" {
  name                   = "cube"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.cube) > 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "prod" {
  name                   = "prod"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.prod) > 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "wide" {
  name                   = "wide"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.wide) > 0 ? "Disabled" : "Enabled"
}

resource "aws_sagemaker_notebook_instance" "nested" {
  name                   = "nested"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.nested) > 0 ? "Disabled" : "Enabled"
}

locals {
  # A billion laughs: ten aliases per level, nine levels.
  laughs = yamldecode(<<-EOT
    l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
    l1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]
    l2: &l2 [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]
    l3: &l3 [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]
    l4: &l4 [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]
    l5: &l5 [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]
    l6: &l6 [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]
    l7: &l7 [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]
    l8: &l8 [*l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7]
  EOT
  )
}

resource "aws_sagemaker_notebook_instance" "laughs" {
  name                   = "laughs"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  subnet_id              = "subnet-1"
  security_groups        = ["sg-1"]
  direct_internet_access = length(local.laughs) > 0 ? "Disabled" : "Enabled"
}

# 40,000 dynamic blocks.
resource "aws_security_group" "dyn" {
  name = "dyn"
  dynamic "egress" {
    for_each = setproduct(range(200), range(200))
    content {
      from_port   = 443
      to_port     = 443
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}

# 1000 x 1000 x 1000 module instances.
module "fan" {
  source = "./m1"
  count  = 1000
}
