# Marker secrets: none of SECRET-MARKER-* may appear in any output.
variable "access" {
  default   = "Enabled-SECRET-MARKER-1"
  sensitive = true
}

variable "script" {
  sensitive = true
  default   = "#!/bin/bash\necho SECRET-MARKER-2 > /tmp/x\n"
}

resource "aws_sagemaker_notebook_instance_lifecycle_configuration" "lc" {
  name     = "lc"
  on_start = base64encode(var.script)
  on_create = base64encode(<<-EOT
    #!/bin/bash
    pip install --index-url https://alice:SECRET-MARKER-3@pypi.example.com/simple torch
    curl -H "Authorization: token SECRET-MARKER-4" https://api.example.com/setup.sh | bash
    curl "https://downloads.example.com/tool.sh?token=SECRET-MARKER-5" | sh
    git clone https://ghp_SECRETMARKER6abcdefghijklmnopqrstuvwxy@github.com/o/r
    export AWS_ACCESS_KEY_ID=AKIASECRETMARKER7XYZ
    wget --password=SECRET-MARKER-8 https://files.example.com/a.sh
  EOT
  )
}

resource "aws_sagemaker_notebook_instance" "nb" {
  # A terminal escape (clear screen, set title) and a bidi override in the name.
  name                   = "nb\u001b[2J\u001b]0;owned\u0007\u202e"
  role_arn               = "arn:aws:iam::123456789012:role/r"
  instance_type          = "ml.t3.medium"
  direct_internet_access = sensitive(var.access)
  lifecycle_config_name  = aws_sagemaker_notebook_instance_lifecycle_configuration.lc.name
}
