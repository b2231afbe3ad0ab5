// Package templates holds sagefence's compliant-by-default CloudFormation
// templates (templates/cloudformation/...). The Go package exists only for
// their tests: each template must be cfn-lint clean and scan with no failing
// finding.
package templates
