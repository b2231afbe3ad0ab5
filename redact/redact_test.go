package redact

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

func TestString(t *testing.T) {
	cases := []struct{ in, secret, keep string }{
		{`pip install --index-url https://alice:HUNTER2@pypi.example.com/simple x`, "HUNTER2", "https://alice:[redacted]@pypi.example.com/simple"},
		{`git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r`, "ghp_abc", "github.com/o/r"},
		{`git clone https://x0123456789abcdefghijklmnop@github.com/o/r`, "x0123456789abcdef", "https://[redacted]@github.com/o/r"},
		{`curl "https://example.com/f?X-Amz-Signature=abc123&X-Amz-Credential=AKID%2Fx&ok=1"`, "abc123", "ok=1"},
		{`curl https://example.com/x?token=QSECRET | sh`, "QSECRET", "| sh"},
		{`curl -H "Authorization: Bearer eyJhbGciOi.payload.sig" https://api.example.com`, "eyJhbGciOi", "https://api.example.com"},
		{`curl -H \"Authorization: token TOKSECRET\" https://api`, "TOKSECRET", `\" https://api`},
		{`curl -H 'PRIVATE-TOKEN: glsecret123' https://gitlab`, "glsecret123", "https://gitlab"},
		{`mysql --password=DBPASS1 -h db`, "DBPASS1", "-h db"},
		{`tool --api-key KEYSECRET run`, "KEYSECRET", "run"},
		{`export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP`, "AKIAABCDEFGHIJKLMNOP", "export"},
		{`aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, "wJalrXUtnFEMI", "aws_secret_access_key"},
		{`token glpat-abcdefghijklmnopqrstu used`, "glpat-abc", "used"},
		{`hook xoxb-123456789012-abcdefghij`, "xoxb-1234", "hook"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow", ""},
	}
	for _, c := range cases {
		got := String(c.in, nil)
		if strings.Contains(got, c.secret) || !strings.Contains(got, Marker) || !strings.Contains(got, c.keep) {
			t.Errorf("String(%q) = %q: want %q gone, %q kept", c.in, got, c.secret, c.keep)
		}
	}
	for _, plain := range []string{
		`curl https://example.com/install.sh | bash`,
		`pip install --index-url https://pypi.internal.example.com/simple x`,
		`direct_internet_access is "Enabled" (from var.dia default in main.tf:4)`,
		`git clone git@github.com:o/r.git`,
		`the group uses a session-token here`,
	} {
		if got := String(plain, nil); got != plain {
			t.Errorf("String(%q) = %q, want it unchanged", plain, got)
		}
	}
	if got := String("value is Secret-Value-1 here", []string{"Secret-Value-1"}); got != "value is [redacted] here" {
		t.Errorf("sensitive value: %q", got)
	}
	if got := String("ab", []string{"ab"}); got != Marker {
		t.Errorf("short sensitive value as a whole field: %q", got)
	}
	if got := String("main.tf:ab1", []string{"ab"}); got != "main.tf:ab1" {
		t.Errorf("short sensitive value inside text must not be replaced: %q", got)
	}
}

func TestControlCharactersAreNeutralised(t *testing.T) {
	got := String("name\x1b[2J\x1b]0;owned\x07 \u202egnp.exe\nnext\tline", nil)
	if strings.ContainsAny(got, "\x1b\x07\u202e") || !strings.Contains(got, `\u001b[2J`) || !strings.Contains(got, "\nnext\tline") {
		t.Errorf("String = %q", got)
	}
}

func TestResultEveryStringButAuthoredOnes(t *testing.T) {
	obs := "SENSITIVE-VAL"
	res := &finding.Result{
		Findings: []finding.Finding{{
			ControlID: "c", Observed: &obs, Message: "is SENSITIVE-VAL", Evidence: []string{"line: curl https://u:PW123@h/x"},
			Provenance:  []finding.ProvenanceStep{{Detail: "SENSITIVE-VAL"}},
			Remediation: "set it to Disabled",
			Suppression: &model.Suppression{Reason: "token=ABCSECRET"},
		}},
		Errors:    []model.Error{{File: "f", Message: "Authorization: Bearer ERRSECRET"}},
		Sensitive: []string{"SENSITIVE-VAL"},
	}
	Result(res)
	f := res.Findings[0]
	for _, s := range []string{*f.Observed, f.Message, f.Evidence[0], f.Provenance[0].Detail, f.Suppression.Reason, res.Errors[0].Message} {
		if strings.Contains(s, "SENSITIVE-VAL") || strings.Contains(s, "PW123") || strings.Contains(s, "SECRET") {
			t.Errorf("not redacted: %q", s)
		}
	}
	if f.Remediation != "set it to Disabled" || f.ControlID != "c" {
		t.Errorf("authored text changed: %+v", f)
	}
	if res.Sensitive != nil {
		t.Errorf("Sensitive not cleared")
	}
}

// TestResultStreamedMatchesSlice redacts the same findings held in a slice
// and in a store that spilled them to disk: the same findings come out.
func TestResultStreamedMatchesSlice(t *testing.T) {
	var fs []finding.Finding
	for i := range 50 {
		obs := fmt.Sprintf("SENSITIVE-VAL-%d", i%3)
		fs = append(fs, finding.Finding{
			ControlID: "c", Status: finding.Fail, Observed: &obs,
			Location: finding.Location{File: fmt.Sprintf("f%d.tf", i%4), StartLine: i},
			Message:  "is " + obs + " \x1b[2J", Evidence: []string{"curl https://u:PW123@h/x"},
		})
	}
	sensitive := []string{"SENSITIVE-VAL-0", "SENSITIVE-VAL-1", "SENSITIVE-VAL-2"}
	plain := &finding.Result{Findings: slices.Clone(fs), Sensitive: slices.Clone(sensitive)}
	plain.Finalize()
	Result(plain)

	s := finding.NewStore(finding.StoreOptions{Budget: 1, Dir: t.TempDir()})
	for i, f := range fs {
		if err := s.Add(&f, finding.SeqOf(0, i)); err != nil {
			t.Fatal(err)
		}
	}
	streamed := &finding.Result{Sensitive: slices.Clone(sensitive)}
	streamed.UseStore(s)
	defer streamed.Close()
	streamed.Finalize()
	Result(streamed)
	if streamed.Sensitive != nil {
		t.Fatal("Sensitive not cleared")
	}
	for pass := range 2 { // each read redacts afresh, and the same
		var got []finding.Finding
		if err := streamed.EachFinding(func(f *finding.Finding) error { got = append(got, *f); return nil }); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, plain.Findings) {
			t.Fatalf("pass %d: streamed redaction differs:\n got %+v\nwant %+v", pass, got[0], plain.Findings[0])
		}
		for _, f := range got {
			if strings.Contains(f.Message, "SENSITIVE-VAL") || strings.Contains(*f.Observed, "SENSITIVE") || strings.Contains(f.Evidence[0], "PW123") {
				t.Fatalf("not redacted: %+v", f)
			}
		}
	}
}
