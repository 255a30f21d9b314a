// Package pseudonym owns the keyed pseudonyms of identity numbers: what
// Tuntas stores, compares and indexes in place of a NIK wherever the NIK
// itself must not go (the claims that keep one person in one open case,
// anything Temporal indexes, logs). The key is kept like the payload key:
// in production from the environment, in dev in the data directory.
package pseudonym

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Key makes pseudonyms; without it a pseudonym cannot be linked back to a
// NIK, even by trying every NIK of a kecamatan.
type Key struct{ secret []byte }

// ParseKey reads a key given as standard base64 of 32 bytes.
func ParseKey(b64 string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) != 32 {
		return nil, errors.New("pseudonym: want 32 bytes of standard base64")
	}
	return &Key{secret: raw}, nil
}

// NewKeySpec returns a fresh key as standard base64.
func NewKeySpec() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("pseudonym: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// LoadOrCreate reads the dev key at path, creating it (mode 0600) the first
// time, so pseudonyms stay the same across restarts of `tuntas-dev dev`.
func LoadOrCreate(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("pseudonym: %w", err)
	}
	spec, err := NewKeySpec()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pseudonym: %w", err)
	}
	if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("pseudonym: %w", err)
	}
	return ParseKey(spec)
}

// Of returns the pseudonym of an identity number: HMAC-SHA256 under the
// key, hex. The same number always gives the same pseudonym.
func (k *Key) Of(nik string) string {
	m := hmac.New(sha256.New, k.secret)
	m.Write([]byte("nik:" + nik))
	return hex.EncodeToString(m.Sum(nil))
}
