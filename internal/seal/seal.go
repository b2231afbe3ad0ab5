// Package seal makes the keys that sagefence's private temporary files (the
// findings store's runs, the reports' spools) are sealed with, so that
// nothing they hold is readable on disk, even if a run is killed before it
// removes them.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
)

// NewAEAD returns AES-256-GCM under a fresh random key that exists only in
// the returned value's memory. Each key must be used with nonces its user
// makes unique.
func NewAEAD() (cipher.AEAD, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
