// Package pseudonym owns the keyed pseudonyms of identity numbers: what
// Tuntas stores, compares and indexes in place of a NIK or a KK wherever
// the number itself must not go (the claims that keep one person in one
// open case, the IDs of case workflows, anything Temporal indexes, logs).
// The key is kept like the payload key: in production from the
// environment, in dev in the data directory.
//
// One secret keys two kinds of pseudonym. A person's (Of) is an HMAC of
// the NIK under the secret itself; a family card's (Household) is an HMAC
// of the KK under a sibling key derived from it. NIK and KK are both 16
// digits, so a family card whose number happened to be some person's NIK
// would otherwise share that person's pseudonym, and a workflow ID could
// be matched against the claims in MongoDB; under separate keys the two
// kinds never meet. Derived rather than a second secret: both must be the
// same in every process and kept for as long as the data, and one secret
// is one thing fewer to provision, back up and lose.
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
// NIK or KK, even by trying every number of a kecamatan.
type Key struct {
	secret []byte
	// household keys the pseudonyms of family cards: a sibling of secret.
	household []byte
}

// householdLabel derives the sibling key of family cards from the secret.
const householdLabel = "tuntas/pseudonym/household/v1"

// ParseKey reads a key given as standard base64 of 32 bytes.
func ParseKey(b64 string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(raw) != 32 {
		return nil, errors.New("pseudonym: want 32 bytes of standard base64")
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte(householdLabel))
	return &Key{secret: raw, household: m.Sum(nil)}, nil
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

// HouseholdSize is the length in hex digits of a family card's pseudonym:
// 128 bits, which no two of the country's family cards will share.
const HouseholdSize = 32

// Household returns the pseudonym of a family card (KK): HMAC-SHA256
// under the sibling key, its first 128 bits in hex. The same KK always
// gives the same pseudonym, so a card's case keeps one workflow ID.
func (k *Key) Household(kk string) string {
	m := hmac.New(sha256.New, k.household)
	m.Write([]byte(kk))
	return hex.EncodeToString(m.Sum(nil))[:HouseholdSize]
}
