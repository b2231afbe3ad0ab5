a = "Disabled"
c = "Enabled"
d = "Disabled"
