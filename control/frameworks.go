package control

import "github.com/sagefence/sagefence/finding"

// Framework names used across the catalog, as they appear in reports.
const (
	SOC2    = "SOC 2"
	PCIDSS  = "PCI DSS v4.0"
	HIPAA   = "HIPAA"
	NIST    = "NIST SP 800-53 Rev 5"
	FedRAMP = "FedRAMP Moderate Rev 4"
)

// boundaryFrameworks are the mappings the source documents give for keeping
// SageMaker compute behind the network boundary (CONTROLS.md §1).
var boundaryFrameworks = []finding.Framework{
	{Framework: SOC2, IDs: []string{"CC6.1", "CC6.6"}},
	{Framework: PCIDSS, IDs: []string{"1.3"}},
	{Framework: HIPAA, IDs: []string{"164.312(b)"}},
	{Framework: NIST, IDs: []string{"SC-7", "AC-4"}},
	{Framework: FedRAMP, IDs: []string{"SC-7"}},
}
