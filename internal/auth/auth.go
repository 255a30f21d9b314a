// Package auth owns bearer tokens and who may touch what: the signed claims
// (subject, role, region, agency) and the region-scope rule every endpoint
// applies.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Claims are what a Tuntas token asserts.
type Claims struct {
	Role   household.Role `json:"role"`
	Region string         `json:"region"`
	// Agency is the agency code for role agency (dinsos, disnakertrans, …).
	Agency string `json:"agency,omitempty"`
	jwt.RegisteredClaims
}

// Principal is the authenticated caller.
type Principal struct {
	Sub    string
	Role   household.Role
	Region string
	Agency string
}

// Errors of Verify, matched with errors.Is. Verify wraps ErrInvalid with the
// reason, which is for logs, not for the caller.
var (
	ErrMissing = errors.New("missing bearer token")
	ErrInvalid = errors.New("invalid or expired token")
	// ErrLifetime is a token meant to live longer than MaxTokenLifetime.
	ErrLifetime = errors.New("token lifetime exceeds 12 hours")
)

// MaxTokenLifetime bounds every token, minted or accepted: a stolen token
// is worth at most a working day, since nothing revokes one.
const MaxTokenLifetime = 12 * time.Hour

// ClockSkew is how far the clock of whoever minted an HS256 token (`tuntas
// token` on another host, another API process) may run ahead of this one's:
// iat and nbf may lie that far in the future, exp that far in the past.
const ClockSkew = time.Minute

// Verifier turns a bearer token into the principal it authenticates. The
// API depends on this, not on how tokens are signed: HS256 by an Issuer in
// development, a provider's keys (OIDCVerifier) in production.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Issuer signs and verifies tokens with one HS256 secret.
type Issuer struct{ secret []byte }

// NewIssuer returns an issuer; the secret must be at least 32 bytes.
func NewIssuer(secret []byte) (*Issuer, error) {
	if len(secret) < 32 {
		return nil, errors.New("auth: token secret must be at least 32 bytes")
	}
	return &Issuer{secret: secret}, nil
}

// LoadOrCreateSecret reads the dev signing secret at path, creating a random
// one (mode 0600) the first time, so tokens survive restarts of `tuntas-dev dev`.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("auth: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return []byte(secret), nil
}

// Issue signs a token for p valid for ttl from now; ttl is at most
// MaxTokenLifetime.
func (i *Issuer) Issue(p Principal, ttl time.Duration, now time.Time) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if ttl <= 0 || ttl > MaxTokenLifetime {
		return "", fmt.Errorf("auth: ttl %s: want more than 0 and at most %s", ttl, MaxTokenLifetime)
	}
	c := Claims{
		Role: p.Role, Region: p.Region, Agency: p.Agency,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.Sub,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			Issuer:    "tuntas",
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(i.secret)
	if err != nil {
		return "", fmt.Errorf("auth: sign: %w", err)
	}
	return s, nil
}

// Verify checks a token's signature, algorithm, expiry, issue and
// not-before times and lifetime and returns its principal. An iat in the
// future is refused: otherwise exp-iat within the cap would let a token
// minted with iat a year ahead live a year.
func (i *Issuer) Verify(token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrMissing
	}
	var c Claims
	now := time.Now()
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return i.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(ClockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuer("tuntas"),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := checkLifetime(c.IssuedAt, c.ExpiresAt, now, ClockSkew); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p := Principal{Sub: c.Subject, Role: c.Role, Region: c.Region, Agency: c.Agency}
	if err := p.Validate(); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

// Verifier returns i as a Verifier, for callers that take any kind.
func (i *Issuer) Verifier() Verifier { return issuerVerifier{i} }

// issuerVerifier adapts Issuer.Verify, which needs no context, to Verifier.
type issuerVerifier struct{ i *Issuer }

func (v issuerVerifier) Verify(_ context.Context, token string) (Principal, error) {
	return v.i.Verify(token)
}

// checkLifetime refuses a token meant to live longer than MaxTokenLifetime,
// measured both from iat, when the token says when it was issued, and from
// now (give or take leeway for the issuer's clock): the first catches a
// long-lived token as soon as it is shown, the second a token whose iat is
// not to be trusted.
func checkLifetime(iat, exp *jwt.NumericDate, now time.Time, leeway time.Duration) error {
	if exp == nil {
		return fmt.Errorf("%w: exp", jwt.ErrTokenRequiredClaimMissing)
	}
	if iat != nil && exp.Sub(iat.Time) > MaxTokenLifetime {
		return fmt.Errorf("%w: issued for %s", ErrLifetime, exp.Sub(iat.Time))
	}
	if exp.Sub(now) > MaxTokenLifetime+leeway {
		return fmt.Errorf("%w: expires in %s", ErrLifetime, exp.Sub(now).Round(time.Second))
	}
	return nil
}

// regionLevel is the region level each role is scoped to.
var regionLevel = map[household.Role]region.Level{
	household.RoleCaseworker:     region.District,
	household.RoleVillageOfficer: region.Village,
	household.RoleVerifier:       region.Regency,
	household.RoleSupervisor:     region.Regency,
	household.RoleAgency:         region.Regency,
	household.RoleProvince:       region.Province,
	household.RoleAdmin:          region.Province,
}

// Validate checks that the role is known and the region exists at the level
// the role works at (a caseworker's region is a kecamatan, a village
// officer's a village, …).
func (p Principal) Validate() error {
	level, ok := regionLevel[p.Role]
	if !ok {
		return fmt.Errorf("auth: unknown role %q", p.Role)
	}
	r, ok := region.Lookup(p.Region)
	if !ok {
		return fmt.Errorf("auth: unknown region %q", p.Region)
	}
	if r.Level != level {
		return fmt.Errorf("auth: role %s works at %s level, region %s is a %s", p.Role, level, p.Region, r.Level)
	}
	if strings.TrimSpace(p.Sub) == "" {
		return errors.New("auth: subject is required")
	}
	if p.Role == household.RoleAgency && !household.OneOf(p.Agency, household.Agencies) {
		return fmt.Errorf("auth: role agency needs an agency, one of %v", household.Agencies)
	}
	return nil
}

// Sees reports whether p's region scope covers a case in villageCode.
func (p Principal) Sees(villageCode string) bool {
	return region.Within(villageCode, p.Region)
}

// Can reports whether p's role is among roles (admin may do everything).
func (p Principal) Can(roles ...household.Role) bool {
	return p.Role == household.RoleAdmin || household.OneOf(p.Role, roles)
}
