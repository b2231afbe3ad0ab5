package control

// catalog is every control, in the order `sagefence controls`, reports and
// engine results list them: by severity, highest first, then as written
// here. A new control is added here (TestCatalogOrder checks the severity
// order); nothing registers itself.
var catalog = []*Control{
	domainVpcOnly,
	directInternetAccess,
	inVPC,
	privateServiceAccess,
	securityGroupHTTPSEgress,
	lifecyclePublicFetch,
}
