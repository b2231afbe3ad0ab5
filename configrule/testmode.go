//go:build configrule_testmode

package configrule

// buildTestMode: binaries built with the configrule_testmode tag (only the
// tests of cmd/sagefence-config-rule do) send PutEvaluations with
// TestMode=true, the only form moto accepts. Release builds never set it.
const buildTestMode = true
