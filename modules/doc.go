// Package modules holds sagefence's compliant-by-default Terraform modules
// (modules/terraform/...). The Go package exists only for their tests: each
// module and each of its examples must pass `terraform validate` offline and
// scan with no failing finding.
package modules
