# A notebook written the quick way: no subnet, no security groups, and
# direct_internet_access omitted, so the provider default "Enabled" applies.
# sagefence reports both controls as failing.

resource "aws_sagemaker_notebook_instance" "quickstart" {
  name          = "quickstart"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/sagemaker-notebook"

  tags = {
    owner = "data-science"
  }
}
