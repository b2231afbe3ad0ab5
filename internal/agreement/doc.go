// Package agreement holds the cross-surface agreement tests (no production
// code): every Terraform case of testdata/cases (tf-* and pitfall-tf-*) that real Terraform
// can plan is planned with the offline AWS provider, and
//
//	(a) `terraform plan` must succeed;
//	(b) the direct_internet_access / app_network_access_type that Terraform
//	    plans for every notebook and domain must equal the value sagefence's
//	    Terraform surface resolved from the source for the same address;
//	(c) scanning the plan JSON (surface terraform-plan) must give the same
//	    status per (control, address) as scanning the source, for every
//	    control of the catalog.
//
// Any disagreement is a bug in one of the two surfaces (or in the case). The
// tests need terraform and the provider mirror (internal/testutil): they
// fail in CI when either is missing and are skipped elsewhere.
//
// A plain `go test` plans every 4th case; SAGEFENCE_AGREEMENT=all (or
// CI=true) plans them all. TestNetworkFactsAgree feeds one network
// (testdata/network-agreement) through Terraform source, plan,
// CloudFormation and live moto, and checks that the four surfaces classify
// every route target (awsfacts) and decide every network control alike.
//
// SAGEFENCE_AGREEMENT_REFERENCE=expected compares Terraform and the plan
// surface with the case's expected.json instead of a live scan of the source
// (useful to check a case, or the plan surface, on its own).
package agreement
