# Local override for the research account.
resource "aws_sagemaker_notebook_instance" "research" {
  direct_internet_access = "Enabled"
}
