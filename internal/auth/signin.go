package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// SigninConfig says how the console signs people in at an OpenID
// Connect provider with the authorization-code flow.
type SigninConfig struct {
	// OIDC is the provider and where its claims are, as for bearer tokens;
	// its Audience is ignored: an ID token's audience is ClientID.
	OIDC OIDCConfig
	// ClientID and ClientSecret are the console's registration with the
	// provider (a confidential web client).
	ClientID, ClientSecret string
	// RedirectURL is the console's callback as registered with the
	// provider: https://tuntas.example/signin/callback.
	RedirectURL string
	// PostLogoutURL is where the provider sends people after signing them
	// out (default: RedirectURL's origin + SignedOutPath).
	PostLogoutURL string
	// Scopes are asked for besides openid (default: profile).
	Scopes []string
}

// Paths of the console that a sign-in at the provider returns to.
const (
	CallbackPath  = "/signin/callback"
	SignedOutPath = "/signedout"
)

// Signin signs people in at an OpenID Connect provider: the
// authorization-code flow with PKCE (golang.org/x/oauth2), the ID token
// verified as bearer tokens are (go-oidc; issuer, audience, signature,
// expiry, lifetime) and by its nonce, the same claims mapped to the same
// Principal. Sign-out at the provider is RP-initiated logout, where the
// provider's discovery document offers an end_session_endpoint.
type Signin struct {
	oauth      oauth2.Config
	ids        *OIDCVerifier
	provider   *oidc.Provider
	client     *http.Client
	endSession string
	postLogout string
}

// Flow is what a sign-in keeps between sending the person to the
// provider and their return: all three are random, and only the person's
// browser holds them (sealed, in a cookie).
type Flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

// Errors of Signin.Finish, matched with errors.Is.
var (
	// ErrSigninRefused is a sign-in the provider would not complete: the
	// code was not accepted (used, expired, or from another flow).
	ErrSigninRefused = errors.New("the provider refused the sign-in")
	// ErrProviderDown is a provider that could not be reached or did not
	// answer as one.
	ErrProviderDown = errors.New("the provider did not answer")
)

// NewSignin checks cfg and reads the provider's discovery document, so a
// wrong issuer, client or URL stops the process at start.
func NewSignin(ctx context.Context, cfg SigninConfig) (*Signin, error) {
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("auth: OIDC sign-in needs a client ID and a redirect URL")
	}
	if cfg.OIDC.Issuer == "" {
		return nil, errors.New("auth: OIDC sign-in needs an issuer")
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil || checkFetchURL(cfg.RedirectURL) != nil || redirect.Path != CallbackPath || redirect.RawQuery != "" {
		return nil, fmt.Errorf("auth: OIDC redirect URL %q: want https://<the console's host>%s (http only on loopback)", cfg.RedirectURL, CallbackPath)
	}
	if cfg.PostLogoutURL == "" {
		cfg.PostLogoutURL = (&url.URL{Scheme: redirect.Scheme, Host: redirect.Host, Path: SignedOutPath}).String()
	} else if err := checkFetchURL(cfg.PostLogoutURL); err != nil {
		return nil, fmt.Errorf("auth: OIDC post-logout URL: %w", err)
	}
	orDefault(&cfg.OIDC.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"profile"}
	}
	if err := checkFetchURL(cfg.OIDC.Issuer); err != nil {
		return nil, fmt.Errorf("auth: OIDC issuer: %w", err)
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.OIDC.HTTPClient), cfg.OIDC.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
	}
	var doc struct {
		oidc.ProviderConfig
		EndSession string   `json:"end_session_endpoint"`
		Challenges []string `json:"code_challenge_methods_supported"`
	}
	if err := provider.Claims(&doc); err != nil {
		return nil, fmt.Errorf("auth: OIDC discovery: %w", err)
	}
	for name, u := range map[string]string{"authorization_endpoint": doc.AuthURL, "token_endpoint": doc.TokenURL} {
		if err := checkFetchURL(u); err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery of %s: %s: %w", cfg.OIDC.Issuer, name, err)
		}
	}
	if doc.EndSession != "" {
		if err := checkFetchURL(doc.EndSession); err != nil {
			return nil, fmt.Errorf("auth: OIDC discovery of %s: end_session_endpoint: %w", cfg.OIDC.Issuer, err)
		}
	}
	if len(doc.Challenges) > 0 && !slices.Contains(doc.Challenges, "S256") {
		return nil, fmt.Errorf("auth: the provider %s does not take PKCE with S256 (it offers %v)", cfg.OIDC.Issuer, doc.Challenges)
	}
	idCfg := cfg.OIDC
	idCfg.Audience = cfg.ClientID
	if idCfg.JWKSURL == "" {
		idCfg.JWKSURL = doc.JWKSURL
	}
	ids, err := NewOIDCVerifier(ctx, idCfg)
	if err != nil {
		return nil, err
	}
	scopes := append([]string{oidc.ScopeOpenID}, slices.DeleteFunc(slices.Clone(cfg.Scopes), func(s string) bool { return s == oidc.ScopeOpenID })...)
	return &Signin{
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: cfg.RedirectURL, Scopes: scopes},
		ids: ids, provider: provider, client: idCfg.HTTPClient, endSession: doc.EndSession, postLogout: cfg.PostLogoutURL,
	}, nil
}

// Start begins a sign-in: the flow to keep until the person comes back,
// and the provider's URL to send them to.
func (s *Signin) Start() (Flow, string) {
	f := Flow{State: rand.Text() + rand.Text(), Nonce: rand.Text() + rand.Text(), Verifier: oauth2.GenerateVerifier()}
	return f, s.oauth.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce))
}

// Identity is who signed in: the principal, and their ID token, which the
// sign-out hands back to the provider (id_token_hint).
type Identity struct {
	Principal
	IDToken string
}

// Finish completes flow f with the code the provider sent back: the
// code exchanged with the PKCE verifier, the ID token verified (issuer,
// audience, signature, expiry, lifetime, nonce) and its claims mapped as
// a bearer token's are. A provider that keeps the Tuntas claims out of its
// ID tokens is asked at its userinfo endpoint. The state must have been
// compared with f.State before.
func (s *Signin) Finish(ctx context.Context, f Flow, code string) (Identity, error) {
	ctx = oidc.ClientContext(ctx, s.client)
	tok, err := s.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			return Identity{}, fmt.Errorf("%w: %w", ErrSigninRefused, err)
		}
		return Identity{}, fmt.Errorf("%w: token endpoint: %w", ErrProviderDown, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: the token response holds no ID token", ErrInvalid)
	}
	claims, err := s.ids.verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: ID token: %w", ErrInvalid, err)
	}
	if err := checkIDTokenFor(claims, f.Nonce, s.oauth.ClientID); err != nil {
		return Identity{}, fmt.Errorf("%w: ID token: %w", ErrInvalid, err)
	}
	if _, ok := lookupClaim(claims, s.ids.cfg.RoleClaim); !ok {
		if err := s.addUserinfo(ctx, tok, claims); err != nil {
			return Identity{}, err
		}
	}
	p, err := s.ids.principal(claims)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: ID token: %w", ErrInvalid, err)
	}
	return Identity{Principal: p, IDToken: raw}, nil
}

// checkIDTokenFor checks what ties an ID token to this sign-in: its nonce,
// and, when it names several audiences, that it was issued to this client
// (azp).
func checkIDTokenFor(claims jwt.MapClaims, nonce, clientID string) error {
	got, _ := claims["nonce"].(string)
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return errors.New("nonce does not match the sign-in's")
	}
	aud, err := claims.GetAudience()
	if err != nil {
		return err
	}
	if azp, _ := claims["azp"].(string); len(aud) > 1 && azp != clientID {
		return fmt.Errorf("issued to %q (azp), not to this client", azp)
	}
	return nil
}

// registeredClaims are never taken from the userinfo endpoint: they are
// the ID token's to assert.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time", "jti"}

// addUserinfo adds to an ID token's claims what the provider's userinfo
// endpoint says of the same subject, where the ID token is silent.
func (s *Signin) addUserinfo(ctx context.Context, tok *oauth2.Token, claims jwt.MapClaims) error {
	info, err := s.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("%w: userinfo: %w", ErrProviderDown, err)
	}
	if sub, _ := claims["sub"].(string); info.Subject != sub {
		return fmt.Errorf("%w: userinfo names subject %q, the ID token %q", ErrInvalid, info.Subject, sub)
	}
	extra := map[string]any{}
	if err := info.Claims(&extra); err != nil {
		return fmt.Errorf("%w: userinfo: %w", ErrProviderDown, err)
	}
	for k, v := range extra {
		if _, has := claims[k]; !has && !slices.Contains(registeredClaims, k) {
			claims[k] = v
		}
	}
	return nil
}

// SignoutURL is where to send a person to sign out at the provider too:
// its end_session_endpoint with the ID token they signed in with and the
// console's post-logout URL; "" when the provider offers no such endpoint.
// Without the ID token the provider is told the client instead, and may
// ask the person to confirm.
func (s *Signin) SignoutURL(idToken string) string {
	if s.endSession == "" {
		return ""
	}
	u, err := url.Parse(s.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", s.oauth.ClientID)
	q.Set("post_logout_redirect_uri", s.postLogout)
	u.RawQuery = q.Encode()
	return u.String()
}

// FormTargets are the origins the console's forms lead to at the
// provider (sign-in and sign-out redirect there), for its
// Content-Security-Policy's form-action.
func (s *Signin) FormTargets() []string {
	var out []string
	for _, raw := range []string{s.oauth.Endpoint.AuthURL, s.endSession} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// ProviderError is the provider's error of a callback (error=…), in words
// for the logs; denied reports whether the person refused to sign in.
func ProviderError(q url.Values) (msg string, denied bool) {
	code := q.Get("error")
	if code == "" {
		return "", false
	}
	msg = code
	if d := strings.TrimSpace(q.Get("error_description")); d != "" {
		msg += ": " + d
	}
	return msg, code == "access_denied"
}
