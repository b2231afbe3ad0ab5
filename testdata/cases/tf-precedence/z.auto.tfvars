b = "Enabled"
