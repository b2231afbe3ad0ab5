internet_access = "Enabled"
subnet = {
