b = "Disabled"
