resource "aws_sagemaker_notebook_instance" "default" {
  name          = "default-access"
  instance_type = "ml.t3.medium"
  role_arn      = "arn:aws:iam::123456789012:role/sagemaker"
}
