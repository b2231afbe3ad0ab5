direct_internet_access = "Enabled"
