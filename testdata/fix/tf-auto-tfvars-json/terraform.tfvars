internet_access = "Disabled"
