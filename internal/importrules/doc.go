// Package importrules holds the repository's import rules as a test: which
// packages must not depend on which (surfaces never name a control, ...).
// The rules are data in importrules_test.go; add a rule there, not a new test.
package importrules
