//go:build !configrule_testmode

package configrule

// buildTestMode is false in every release build (see testmode.go).
const buildTestMode = false
