resource "aws_sagemaker_notebook_instance" "broken" {
  name = "broken"
  instance_type = 
}
