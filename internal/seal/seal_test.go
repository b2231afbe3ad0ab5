package seal

import (
	"bytes"
	"testing"
)

// Two keys are never the same: what one sealed, another cannot open.
func TestNewAEADKeysDiffer(t *testing.T) {
	a, err := NewAEAD()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewAEAD()
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, a.NonceSize())
	sealed := a.Seal(nil, nonce, []byte("finding"), nil)
	if bytes.Contains(sealed, []byte("finding")) {
		t.Fatal("sealed text holds the plain text")
	}
	if plain, err := a.Open(nil, nonce, sealed, nil); err != nil || string(plain) != "finding" {
		t.Fatalf("own key: %q, %v", plain, err)
	}
	if _, err := b.Open(nil, nonce, sealed, nil); err == nil {
		t.Fatal("another key opened the text")
	}
}
