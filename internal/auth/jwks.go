package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// maxDocument bounds what is read from the provider; real key sets are a
// few kilobytes.
const maxDocument = 1 << 20

// keySet is the provider's signing keys, as go-oidc verifies with them.
// go-oidc's own RemoteKeySet fetches the keys again for every key ID it
// does not know and trusts a fetched key for good; this one fetches at
// most once per minRefresh, so a flood of tokens naming unknown keys
// cannot hammer the provider, and again once its keys are maxAge old, so
// a key the provider withdrew stops opening tokens. A failed fetch keeps
// the keys it had, so a provider outage does not sign everybody out.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefresh time.Duration
	maxAge     time.Duration

	// fetchMu makes one fetch at a time; lastTry, guarded by it, spaces them.
	fetchMu sync.Mutex
	lastTry time.Time

	mu      sync.RWMutex
	keys    map[string]jose.JSONWebKey
	fetched time.Time
}

var _ oidc.KeySet = (*keySet)(nil)

// joseAlgorithms are oidcAlgorithms as go-jose names them.
var joseAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// VerifySignature verifies the token with the key its header names and
// returns its payload.
func (s *keySet) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, joseAlgorithms)
	if err != nil {
		return nil, err
	}
	h := jws.Signatures[0].Header // ParseSigned of a compact token gives one
	k, err := s.key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if k.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("key %q is for %s, token is %s", h.KeyID, k.Algorithm, h.Algorithm)
	}
	return jws.Verify(k)
}

// key returns the key named kid, fetching the keys again when kid is
// unknown (the provider rotated) or the keys are older than maxAge, at
// most once per minRefresh.
func (s *keySet) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	if k, ok, fresh := s.cached(kid); ok && fresh {
		return k, nil
	}
	// The fetch serves every caller, so one caller hanging up must not
	// abort it (and spend the interval); the HTTP client's timeout bounds it.
	err := s.refresh(context.WithoutCancel(ctx))
	if k, ok, _ := s.cached(kid); ok {
		return k, nil
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("unknown key %q: %w", kid, err)
	}
	return jose.JSONWebKey{}, fmt.Errorf("unknown key %q", kid)
}

func (s *keySet) cached(kid string) (k jose.JSONWebKey, ok, fresh bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok = s.keys[kid]
	return k, ok, s.now().Sub(s.fetched) < s.maxAge
}

// errTooSoon is a fetch skipped because the last one was less than
// minRefresh ago.
var errTooSoon = errors.New("keys fetched moments ago")

func (s *keySet) refresh(ctx context.Context) error {
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	now := s.now()
	if !s.lastTry.IsZero() && now.Sub(s.lastTry) < s.minRefresh {
		return errTooSoon
	}
	s.lastTry = now
	keys, err := s.fetch(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.keys, s.fetched = keys, now
	s.mu.Unlock()
	return nil
}

// fetch returns the provider's signing keys by kid. go-jose decodes each
// key; one it cannot decode, or that is not for signing with RS256 or
// ES256, is skipped: providers publish encryption keys beside their
// signing keys.
func (s *keySet) fetch(ctx context.Context) (map[string]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: JWKS: GET %s: %s", s.url, resp.Status)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(&set); err != nil {
		return nil, fmt.Errorf("auth: JWKS: GET %s: %w", s.url, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	var skipped []error
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, err)
			continue
		}
		alg, err := signingAlgorithm(k)
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		k.Algorithm = alg
		if _, dup := keys[k.KeyID]; !dup {
			keys[k.KeyID] = k
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("auth: JWKS at %s holds no RS256 or ES256 signing key: %w", s.url, errors.Join(skipped...))
	}
	return keys, nil
}

// signingAlgorithm is the one algorithm Tuntas verifies with k, or why k
// is not a key to verify with.
func signingAlgorithm(k jose.JSONWebKey) (string, error) {
	if k.KeyID == "" {
		return "", errors.New("key without kid")
	}
	if k.Use != "" && k.Use != "sig" {
		return "", fmt.Errorf("key %q: use %q", k.KeyID, k.Use)
	}
	var alg string
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		// Keys under 2048 bits are forgeable by a determined attacker.
		if key.N.BitLen() < 2048 {
			return "", fmt.Errorf("key %q: %d bits, want at least 2048", k.KeyID, key.N.BitLen())
		}
		if key.E < 3 || key.E%2 == 0 {
			return "", fmt.Errorf("key %q: %d is not a valid public exponent", k.KeyID, key.E)
		}
		alg = oidc.RS256
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return "", fmt.Errorf("key %q: curve %s, want P-256", k.KeyID, key.Curve.Params().Name)
		}
		alg = oidc.ES256
	default:
		return "", fmt.Errorf("key %q: %T is not an RSA or EC public key", k.KeyID, k.Key)
	}
	if k.Algorithm != "" && k.Algorithm != alg {
		return "", fmt.Errorf("key %q: alg %q", k.KeyID, k.Algorithm)
	}
	return alg, nil
}
