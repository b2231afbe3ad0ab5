# Overrides TF_VAR_from_tfvars (environment < terraform.tfvars).
from_tfvars   = "Disabled"
from_var_file = "Disabled"
