# Every read below leaves the scan root; the test writes the files it names
# (holding OUTSIDE-SECRET-MARKER) next to the scan root.
resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "lc" {
  name      = "lc"
  on_start  = filebase64("../outside/start.sh")
  on_create = base64encode(templatefile("${path.module}/../outside/create.tpl", {}))
}

resource "aws_sagemaker_notebook_instance" "nb" {
  name                   = "nb"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  direct_internet_access = trimspace(file("../outside/access.txt"))
  subnet_id              = length(fileset("../outside", "*")) > 0 ? "subnet-1" : "subnet-2"
  security_groups        = ["sg-1"]
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.lc.name
}

module "shared" {
  source = "../outside/module"
}

output "exists" {
  value = fileexists("/etc/hostname")
}
