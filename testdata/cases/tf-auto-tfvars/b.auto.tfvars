direct_internet_access = "Disabled"
