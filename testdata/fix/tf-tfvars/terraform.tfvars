# Overrides for this environment.
internet_access = "Enabled"
