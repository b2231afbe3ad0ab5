# Given with --var-file: overrides terraform.tfvars.
from_var_file = "Enabled"
