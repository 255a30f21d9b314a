package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// maxDocument bounds what is read from the provider; real key sets are a
// few kilobytes.
const maxDocument = 1 << 20

// discoverJWKSURL reads jwks_uri from the provider's discovery document,
// which must name the same issuer (OpenID Connect Discovery 1.0, 4.3), so a
// typo in the issuer cannot silently trust another provider's keys.
func discoverJWKSURL(ctx context.Context, hc *http.Client, issuer string) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	if err := getJSON(ctx, hc, u, &doc); err != nil {
		return "", fmt.Errorf("auth: OIDC discovery: %w", err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("auth: OIDC discovery at %s names issuer %q, want %q", u, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("auth: OIDC discovery at %s names no jwks_uri", u)
	}
	return doc.JWKSURI, nil
}

// jwk is one JSON Web Key (RFC 7517) of the kinds Tuntas verifies with.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// fetchJWKS returns the provider's signing keys by kid.
func fetchJWKS(ctx context.Context, hc *http.Client, url string) (map[string]publicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := getJSON(ctx, hc, url, &set); err != nil {
		return nil, fmt.Errorf("auth: JWKS: %w", err)
	}
	keys := make(map[string]publicKey, len(set.Keys))
	var skipped []error
	for _, k := range set.Keys {
		pk, err := k.publicKey()
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		if _, dup := keys[k.Kid]; !dup {
			keys[k.Kid] = pk
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("auth: JWKS at %s holds no RS256 or ES256 signing key: %w", url, errors.Join(skipped...))
	}
	return keys, nil
}

// publicKey decodes k. Keys for encryption or other algorithms are refused
// (and skipped by the caller): a provider publishes those beside its
// signing keys.
func (k jwk) publicKey() (publicKey, error) {
	if k.Kid == "" {
		return publicKey{}, errors.New("key without kid")
	}
	if k.Use != "" && k.Use != "sig" {
		return publicKey{}, fmt.Errorf("key %q: use %q", k.Kid, k.Use)
	}
	switch k.Kty {
	case "RSA":
		if k.Alg != "" && k.Alg != jwt.SigningMethodRS256.Alg() {
			return publicKey{}, fmt.Errorf("key %q: alg %q", k.Kid, k.Alg)
		}
		key, err := k.rsa()
		if err != nil {
			return publicKey{}, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		return publicKey{alg: jwt.SigningMethodRS256.Alg(), key: key}, nil
	case "EC":
		if k.Alg != "" && k.Alg != jwt.SigningMethodES256.Alg() {
			return publicKey{}, fmt.Errorf("key %q: alg %q", k.Kid, k.Alg)
		}
		key, err := k.ecdsa()
		if err != nil {
			return publicKey{}, fmt.Errorf("key %q: %w", k.Kid, err)
		}
		return publicKey{alg: jwt.SigningMethodES256.Alg(), key: key}, nil
	}
	return publicKey{}, fmt.Errorf("key %q: kty %q", k.Kid, k.Kty)
}

func (k jwk) rsa() (*rsa.PublicKey, error) {
	n, err := base64URL(k.N)
	if err != nil {
		return nil, fmt.Errorf("n: %w", err)
	}
	e, err := base64URL(k.E)
	if err != nil {
		return nil, fmt.Errorf("e: %w", err)
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n)}
	if len(e) == 0 || len(e) > 4 {
		return nil, errors.New("e: want 1 to 4 bytes")
	}
	for _, b := range e {
		key.E = key.E<<8 | int(b)
	}
	if key.E < 3 || key.E%2 == 0 {
		return nil, fmt.Errorf("e: %d is not a valid public exponent", key.E)
	}
	// Keys under 2048 bits are forgeable by a determined attacker.
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("n: %d bits, want at least 2048", key.N.BitLen())
	}
	return key, nil
}

func (k jwk) ecdsa() (*ecdsa.PublicKey, error) {
	if k.Crv != "P-256" {
		return nil, fmt.Errorf("crv %q: want P-256", k.Crv)
	}
	x, err := base64URL(k.X)
	if err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	y, err := base64URL(k.Y)
	if err != nil {
		return nil, fmt.Errorf("y: %w", err)
	}
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("x and y: want 32 bytes each")
	}
	// The uncompressed point, which the parser checks lies on the curve.
	point := append(append([]byte{4}, x...), y...)
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
}

// base64URL decodes unpadded base64url (RFC 7515, 2), tolerating padding.
func base64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func getJSON(ctx context.Context, hc *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}
