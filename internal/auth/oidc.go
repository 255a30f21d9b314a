package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/tuntas-id/tuntas/internal/household"
)

// OIDCConfig says which provider's tokens an OIDCVerifier accepts and where
// in them the Tuntas claims are.
type OIDCConfig struct {
	// Issuer is the provider's issuer identifier, compared exactly with a
	// token's iss (https://sso.example/realms/tuntas).
	Issuer string
	// Audience must be among a token's aud: the client ID or API identifier
	// the provider issues Tuntas tokens for.
	Audience string
	// JWKSURL is where the provider publishes its signing keys; when empty
	// it is read from Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// RoleClaim, RegionClaim and AgencyClaim name the claims holding the
	// Principal's role, region and agency (defaults "role", "region",
	// "agency"). A dotted name is a path into nested objects
	// ("realm_access.roles" for Keycloak realm roles) unless the token has a
	// top-level claim of exactly that name (Auth0's "https://…/role").
	RoleClaim, RegionClaim, AgencyClaim string
	// Leeway absorbs clock skew between the provider and this process
	// (default 30 s).
	Leeway time.Duration
	// MinRefresh is the least time between two fetches of the keys, so a
	// flood of tokens naming unknown keys cannot hammer the provider
	// (default 30 s).
	MinRefresh time.Duration
	// MaxKeyAge is how long fetched keys are trusted before they are fetched
	// again, so a key the provider withdrew stops opening tokens (default 1 h).
	MaxKeyAge time.Duration
	// HTTPClient fetches the discovery document and the keys (default: a
	// client with a 10 s timeout).
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// OIDCVerifier accepts RS256 and ES256 tokens of one OpenID Connect provider,
// verified against the provider's published keys (JWKS).
type OIDCVerifier struct {
	cfg  OIDCConfig
	keys *keySet
	// idTokens (go-oidc) verifies the algorithm, the signature against keys,
	// the issuer and the audience.
	idTokens *oidc.IDTokenVerifier
	// claims checks the registered claims with leeway, which go-oidc does
	// not allow for expiry, and names what failed with golang-jwt's errors.
	claims *jwt.Validator
}

var _ Verifier = (*OIDCVerifier)(nil)

// Algorithms an OIDCVerifier accepts. Anything else, HS256 and none among
// them, is refused before a key is looked up, so a provider's public key can
// never serve as an HMAC secret.
var oidcAlgorithms = []string{oidc.RS256, oidc.ES256}

// NewOIDCVerifier checks cfg, discovers the JWKS URL when it is not given
// and fetches the keys once, so a wrong issuer or an unreachable provider
// stops the process at start rather than failing every sign-in later.
func NewOIDCVerifier(ctx context.Context, cfg OIDCConfig) (*OIDCVerifier, error) {
	if cfg.Issuer == "" || cfg.Audience == "" {
		return nil, errors.New("auth: OIDC needs an issuer and an audience")
	}
	if err := checkFetchURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("auth: OIDC issuer: %w", err)
	}
	orDefault(&cfg.RoleClaim, "role")
	orDefault(&cfg.RegionClaim, "region")
	orDefault(&cfg.AgencyClaim, "agency")
	orDefault(&cfg.Leeway, 30*time.Second)
	orDefault(&cfg.MinRefresh, 30*time.Second)
	orDefault(&cfg.MaxKeyAge, time.Hour)
	orDefault(&cfg.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		// go-oidc refuses a discovery document that names another issuer
		// (OpenID Connect Discovery 1.0, 4.3), so a typo in the issuer
		// cannot silently trust another provider's keys.
		provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
		}
		var doc oidc.ProviderConfig
		if err := provider.Claims(&doc); err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
		}
		if doc.JWKSURL == "" {
			return nil, fmt.Errorf("auth: OIDC discovery of %s names no jwks_uri", cfg.Issuer)
		}
		jwksURL = doc.JWKSURL
	}
	if err := checkFetchURL(jwksURL); err != nil {
		return nil, fmt.Errorf("auth: JWKS URL: %w", err)
	}
	keys := &keySet{url: jwksURL, client: cfg.HTTPClient, now: cfg.Now, minRefresh: cfg.MinRefresh, maxAge: cfg.MaxKeyAge}
	if err := keys.refresh(ctx); err != nil {
		return nil, err
	}
	return &OIDCVerifier{
		cfg:  cfg,
		keys: keys,
		idTokens: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
			ClientID:             cfg.Audience,
			SupportedSigningAlgs: oidcAlgorithms,
			SkipExpiryCheck:      true, // checked with leeway by claims
		}),
		claims: jwt.NewValidator(
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithAudience(cfg.Audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
		),
	}, nil
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// checkFetchURL insists on https, so keys cannot be swapped in transit,
// except on loopback where a developer runs a provider beside Tuntas.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q: want an https URL (http only on loopback)", raw)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Verify checks the token's signature against the provider's keys, its
// issuer, audience, expiry and lifetime, and maps its claims to a
// Principal, which must be valid.
func (v *OIDCVerifier) Verify(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrMissing
	}
	claims, err := v.verify(ctx, token)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p, err := v.principal(claims)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

// verify returns the claims of a token go-oidc verified. The algorithm,
// the key and the registered claims are checked first, only so that a
// refusal says why with golang-jwt's errors (go-oidc's are text): nothing
// is accepted that go-oidc has not verified.
func (v *OIDCVerifier) verify(ctx context.Context, token string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	t, _, err := jwt.NewParser().ParseUnverified(token, claims)
	if err != nil {
		return nil, err
	}
	alg := t.Method.Alg()
	if !slices.Contains(oidcAlgorithms, alg) {
		return nil, fmt.Errorf("%w: signing method %s is not accepted", jwt.ErrTokenSignatureInvalid, alg)
	}
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, fmt.Errorf("%w: token names no key (kid)", jwt.ErrTokenUnverifiable)
	}
	k, err := v.keys.key(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", jwt.ErrTokenUnverifiable, err)
	}
	if k.Algorithm != alg {
		return nil, fmt.Errorf("%w: key %q is for %s, token is %s", jwt.ErrTokenUnverifiable, kid, k.Algorithm, alg)
	}
	if err := v.claims.Validate(claims); err != nil {
		return nil, err
	}
	idToken, err := v.idTokens.Verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", jwt.ErrTokenSignatureInvalid, err)
	}
	verified := jwt.MapClaims{}
	if err := idToken.Claims(&verified); err != nil {
		return nil, fmt.Errorf("%w: %w", jwt.ErrTokenMalformed, err)
	}
	return verified, nil
}

func (v *OIDCVerifier) principal(claims jwt.MapClaims) (Principal, error) {
	iat, err := claims.GetIssuedAt()
	if err != nil {
		return Principal{}, err
	}
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return Principal{}, err
	}
	if err := checkLifetime(iat, exp, v.cfg.Now(), v.cfg.Leeway); err != nil {
		return Principal{}, err
	}
	sub, err := claims.GetSubject()
	if err != nil {
		return Principal{}, err
	}
	if sub == "" {
		return Principal{}, fmt.Errorf("%w: sub", jwt.ErrTokenRequiredClaimMissing)
	}
	role, err := roleClaim(claims, v.cfg.RoleClaim)
	if err != nil {
		return Principal{}, err
	}
	region, err := stringClaim(claims, v.cfg.RegionClaim)
	if err != nil {
		return Principal{}, err
	}
	agency, err := stringClaim(claims, v.cfg.AgencyClaim)
	if err != nil {
		return Principal{}, err
	}
	p := Principal{Sub: sub, Role: role, Region: region, Agency: agency}
	if err := p.Validate(); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// lookupClaim finds name among claims: as a top-level claim of exactly that
// name, else as a dotted path into nested objects.
func lookupClaim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	var cur any = map[string]any(claims)
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// roleClaim reads the role: a string, or a list (Keycloak's realm roles hold
// offline_access and the like too) of which the first known role counts.
func roleClaim(claims map[string]any, name string) (household.Role, error) {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return "", fmt.Errorf("%w: %s", jwt.ErrTokenRequiredClaimMissing, name)
	}
	switch v := v.(type) {
	case string:
		return household.Role(v), nil // Validate refuses an unknown one
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				if _, known := regionLevel[household.Role(s)]; known {
					return household.Role(s), nil
				}
			}
		}
		return "", fmt.Errorf("claim %s names no Tuntas role", name)
	}
	return "", fmt.Errorf("claim %s: want a string or a list of strings", name)
}

// stringClaim reads an optional string claim; a list of exactly one string
// counts too, as providers send single-valued user attributes that way.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return "", nil
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case []any:
		if len(v) == 1 {
			if s, ok := v[0].(string); ok {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("claim %s: want one string", name)
}
