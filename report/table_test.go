package report

import "testing"

func TestFirstSentence(t *testing.T) {
	for in, want := range map[string]string{
		"Set it. Then more.":                      "Set it.",
		"Allow HTTPS out, e.g. to the VPC. More.": "Allow HTTPS out, e.g. to the VPC.",
		"Add this:\n  resource ...":               "Add this",
		"One sentence only":                       "One sentence only",
	} {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}
