package evidence

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sagefence/sagefence/finding"
	"github.com/sagefence/sagefence/model"
)

// reencode decodes JSON into generic values and encodes it again the way the
// canonical form is defined: maps (keys sorted bytewise), no whitespace, no
// HTML escaping, numbers as written.
func reencode(t *testing.T, data []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestCanonicalIsSortedCompactJSON(t *testing.T) {
	res := result(day(0),
		resource{"aws_sagemaker_notebook_instance.x", finding.Suppressed},
		resource{"aws_sagemaker_notebook_instance.y", finding.Unknown})
	res.Findings[0].Evidence = []string{"<b>&amp;</b>", "tab\there", "\u2028"}
	res.Errors = []model.Error{{File: "a.tf", Line: 2, Message: "bad \"quote\""}}
	res.Finalize()
	r, err := NewRun(res, day(0))
	if err != nil {
		t.Fatal(err)
	}
	r.Seq, r.RecordedAt = 7, day(1)
	c, err := r.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if got := reencode(t, c); !bytes.Equal(got, c) {
		t.Fatalf("canonical form is not sorted compact JSON:\n%s\nre-encoded:\n%s", c, got)
	}
	for _, want := range []string{`"seq":7`, `"observed":null`, `"suppression":null`, `"<b>&amp;</b>"`,
		`"suppression":{"expires":"2027-01-01","reason":"lab <sandbox> & \"test\"","source":"checkov"}`,
		`"errors":[{"account":"","file":"a.tf","line":2,"message":"bad \"quote\"","region":""}]`} {
		if !strings.Contains(string(c), want) {
			t.Errorf("canonical form lacks %s:\n%s", want, c)
		}
	}
	// The hash covers the previous hash and every stored field.
	r.PrevHash = GenesisHash
	h1, _ := r.ComputeHash()
	r.FindingList[1].Message += "."
	h2, _ := r.ComputeHash()
	r.PrevHash = strings.Repeat("1", 64)
	h3, _ := r.ComputeHash()
	c2, _ := r.Canonical()
	if streamed, _ := ChainHash(r.PrevHash, c2); streamed != h3 {
		t.Errorf("streamed hash %s differs from the hash of the canonical bytes %s", h3, streamed)
	}
	if h1 == h2 || h2 == h3 || len(h1) != 64 {
		t.Fatalf("hashes %s %s %s", h1, h2, h3)
	}
	if _, err := ChainHash("xyz", c); err == nil {
		t.Error("a malformed previous hash was accepted")
	}
}

// FuzzCanonical: whatever strings a result carries (invalid UTF-8, NUL,
// control and HTML characters), the canonical form is sorted compact JSON,
// and a stored run hashes the same before and after a round trip through
// the strings it was cleaned to.
func FuzzCanonical(f *testing.F) {
	f.Add("main.tf", "Enabled", "a \"quoted\" <b>message</b>", "route\t0.0.0.0/0")
	f.Add("\xff\xfe", "\x00", "\u2028\u2029", "")
	f.Fuzz(func(t *testing.T, file, observed, message, evidence string) {
		res := result(day(0), resource{"nb." + file, finding.Fail})
		res.Findings[0].Location.File = file
		res.Findings[0].Observed = &observed
		res.Findings[0].Message = message
		res.Findings[0].Evidence = []string{evidence}
		res.Errors = []model.Error{{File: file, Message: message}}
		r, err := NewRun(res, day(0))
		if err != nil {
			t.Fatal(err)
		}
		c, err := r.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		if got := reencode(t, c); !bytes.Equal(got, c) {
			t.Fatalf("not canonical:\n%s\n%s", c, got)
		}
		again, err := NewRun(r.Result(), day(0))
		if err != nil {
			t.Fatal(err)
		}
		c2, _ := again.Canonical()
		if !bytes.Equal(c, c2) {
			t.Fatalf("cleaning is not idempotent:\n%s\n%s", c, c2)
		}
	})
}
