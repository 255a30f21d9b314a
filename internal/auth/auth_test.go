package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

var now = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func issuer(t *testing.T, secret string) *auth.Issuer {
	t.Helper()
	i, err := auth.NewIssuer([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestTokensRoundTripAndRejectForgeriesAndExpiry(t *testing.T) {
	i := issuer(t, strings.Repeat("s", 32))
	p := auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}
	tok, err := i.Issue(p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	got, err := i.Verify(tok)
	if err != nil || got != p {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if _, err := issuer(t, strings.Repeat("x", 32)).Verify(tok); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("a token signed with another secret verified: %v", err)
	}
	expired, _ := i.Issue(p, time.Minute, time.Now().Add(-time.Hour))
	if _, err := i.Verify(expired); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("an expired token verified: %v", err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "role": "admin", "region": "64", "iss": "tuntas", "exp": time.Now().Add(time.Hour).Unix()})
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if _, err := i.Verify(unsigned); !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("an alg=none token verified: %v", err)
	}
	if _, err := i.Verify(""); !errors.Is(err, auth.ErrMissing) {
		t.Fatalf("empty token: %v", err)
	}
}

func TestPrincipalRegionMustMatchTheRoleLevel(t *testing.T) {
	tests := []struct {
		p  auth.Principal
		ok bool
	}{
		{auth.Principal{Sub: "a", Role: household.RoleCaseworker, Region: "64.08.01"}, true},
		{auth.Principal{Sub: "a", Role: household.RoleCaseworker, Region: "64.08"}, false},
		{auth.Principal{Sub: "a", Role: household.RoleVillageOfficer, Region: "64.08.01.2001"}, true},
		{auth.Principal{Sub: "a", Role: household.RoleSupervisor, Region: "64.08"}, true},
		{auth.Principal{Sub: "a", Role: household.RoleProvince, Region: "64"}, true},
		{auth.Principal{Sub: "a", Role: household.RoleAgency, Region: "64.08"}, false},
		{auth.Principal{Sub: "a", Role: household.RoleAgency, Region: "64.08", Agency: "dinsos"}, true},
		{auth.Principal{Sub: "a", Role: "mayor", Region: "64.08"}, false},
		{auth.Principal{Sub: "a", Role: household.RoleSupervisor, Region: "99.99"}, false},
		{auth.Principal{Role: household.RoleSupervisor, Region: "64.08"}, false},
	}
	i := issuer(t, strings.Repeat("s", 32))
	for _, tt := range tests {
		_, err := i.Issue(tt.p, time.Hour, now)
		if (err == nil) != tt.ok {
			t.Errorf("Issue(%+v) error %v, want ok=%t", tt.p, err, tt.ok)
		}
	}
}

func TestShortSecretIsRefused(t *testing.T) {
	if _, err := auth.NewIssuer([]byte("short")); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

func TestIssuerMintsAndAcceptsNoTokenLongerThan12Hours(t *testing.T) {
	const secret = "ssssssssssssssssssssssssssssssss"
	i := issuer(t, secret)
	p := auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}
	for _, tt := range []struct {
		ttl time.Duration
		ok  bool
	}{
		{time.Hour, true},
		{auth.MaxTokenLifetime, true},
		{auth.MaxTokenLifetime + time.Second, false},
		{0, false},
		{-time.Hour, false},
	} {
		if _, err := i.Issue(p, tt.ttl, time.Now()); (err == nil) != tt.ok {
			t.Errorf("Issue(ttl %s) error %v, want ok=%t", tt.ttl, err, tt.ok)
		}
	}

	// Someone holding the secret still cannot make a long-lived token count.
	start := time.Now()
	long, err := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{
		Role: p.Role, Region: p.Region,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject: p.Sub, Issuer: "tuntas",
			IssuedAt: jwt.NewNumericDate(start), ExpiresAt: jwt.NewNumericDate(start.Add(13 * time.Hour)),
		},
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.Verify(long); !errors.Is(err, auth.ErrLifetime) || !errors.Is(err, auth.ErrInvalid) {
		t.Fatalf("a 13-hour token verified: %v", err)
	}
}

func TestIssuerServesAsAVerifier(t *testing.T) {
	i := issuer(t, strings.Repeat("s", 32))
	p := auth.Principal{Sub: "ani", Role: household.RoleCaseworker, Region: "64.08.01"}
	tok, err := i.Issue(p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var v auth.Verifier = i.Verifier()
	if got, err := v.Verify(context.Background(), tok); err != nil || got != p {
		t.Fatalf("Verify = %+v, %v", got, err)
	}
	if _, err := v.Verify(context.Background(), ""); !errors.Is(err, auth.ErrMissing) {
		t.Fatalf("empty token: %v", err)
	}
}

func TestIssuerRefusesTokensIssuedOrValidOnlyInTheFuture(t *testing.T) {
	const secret = "ssssssssssssssssssssssssssssssss"
	i := issuer(t, secret)
	at := func(d time.Duration) *jwt.NumericDate { return jwt.NewNumericDate(time.Now().Add(d)) }
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name          string
		iat, nbf, exp *jwt.NumericDate
		wantErr       error // nil: accepted
	}{
		{name: "issued now", iat: at(0), exp: at(time.Hour)},
		{name: "issued a year ahead for 11 hours", iat: at(year), exp: at(year + 11*time.Hour), wantErr: jwt.ErrTokenUsedBeforeIssued},
		{name: "issued two minutes ahead", iat: at(2 * time.Minute), exp: at(time.Hour), wantErr: jwt.ErrTokenUsedBeforeIssued},
		{name: "issued within the clock skew ahead", iat: at(30 * time.Second), exp: at(time.Hour)},
		{name: "valid from an hour ahead", iat: at(0), nbf: at(time.Hour), exp: at(2 * time.Hour), wantErr: jwt.ErrTokenNotValidYet},
		{name: "valid from within the clock skew ahead", iat: at(0), nbf: at(30 * time.Second), exp: at(time.Hour)},
		{name: "valid from a year ahead, no iat", nbf: at(year), exp: at(year + time.Hour), wantErr: jwt.ErrTokenNotValidYet},
		{name: "no iat, expiring in 13 hours", exp: at(13 * time.Hour), wantErr: auth.ErrLifetime},
		{name: "issued 2 hours ago for 13 hours", iat: at(-2 * time.Hour), exp: at(11 * time.Hour), wantErr: auth.ErrLifetime},
		{name: "issued within the skew ahead for 12 hours", iat: at(30 * time.Second), exp: at(30*time.Second + auth.MaxTokenLifetime)},
		{name: "expired beyond the clock skew", iat: at(-time.Hour), exp: at(-2 * time.Minute), wantErr: jwt.ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{
				Role: household.RoleCaseworker, Region: "64.08.01",
				RegisteredClaims: jwt.RegisteredClaims{Subject: "ani", Issuer: "tuntas", IssuedAt: tt.iat, NotBefore: tt.nbf, ExpiresAt: tt.exp},
			}).SignedString([]byte(secret))
			if err != nil {
				t.Fatal(err)
			}
			_, err = i.Verify(tok)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, auth.ErrInvalid) {
				t.Fatalf("Verify error %v, want %v", err, tt.wantErr)
			}
		})
	}
}
