package oidcprovider

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Tuntas claims, as the API's default claim names read them.
const (
	roleClaim   = "role"
	regionClaim = "region"
	agencyClaim = "agency"
)

// accessTokenLifetime bounds the opaque access tokens the userinfo
// endpoint takes.
const accessTokenLifetime = 10 * time.Minute

// authRequestLifetime is how long a person has to sign in at the login
// page before the request is forgotten.
const authRequestLifetime = 15 * time.Minute

// storage is op.Storage in memory: the people, the clients, the
// authorization requests and codes, the access tokens and the browser
// sessions of the login page.
type storage struct {
	key             signingKey
	idTokenLifetime time.Duration

	mu       sync.Mutex
	people   map[string]Person
	clients  map[string]Client
	requests map[string]*authRequest
	codes    map[string]string // code → request ID
	tokens   map[string]accessToken
	// sessions are the login page's browser sessions: ID → username.
	sessions map[string]string
	// ended counts, per username, the sign-outs clients asked for.
	ended map[string]int
}

var _ op.Storage = (*storage)(nil)

func newStorage(cfg Config, key signingKey) *storage {
	s := &storage{key: key, idTokenLifetime: cfg.IDTokenLifetime,
		people: map[string]Person{}, clients: map[string]Client{}, requests: map[string]*authRequest{},
		codes: map[string]string{}, tokens: map[string]accessToken{}, sessions: map[string]string{}, ended: map[string]int{}}
	for _, p := range cfg.People {
		s.people[p.Username] = p
	}
	for _, c := range cfg.Clients {
		s.clients[c.ID] = c
	}
	return s
}

func (s *storage) register(c Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
}

func (s *storage) signedOut(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended[username]
}

var errNotFound = errors.New("not found")

// authRequest is an authorization request between the authorize endpoint
// and the code's exchange.
type authRequest struct {
	id        string
	req       oidc.AuthRequest
	created   time.Time
	subject   string
	authTime  time.Time
	done      bool
	forceAuth bool // prompt=login or max_age=0: the browser session does not count
}

func (a *authRequest) GetID() string          { return a.id }
func (a *authRequest) GetACR() string         { return "" }
func (a *authRequest) GetAMR() []string       { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string  { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time { return a.authTime }
func (a *authRequest) GetClientID() string    { return a.req.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }

// accessToken is an opaque access token's record.
type accessToken struct {
	subject, clientID string
	scopes            []string
	expires           time.Time
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		// The login page is the only way to sign in: nothing to do silently.
		return nil, oidc.ErrLoginRequired()
	}
	a := &authRequest{id: rand.Text(), req: *req, created: time.Now(),
		forceAuth: slices.Contains(req.Prompt, oidc.PromptLogin) || (req.MaxAge != nil && *req.MaxAge == 0)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.requests {
		if time.Since(old.created) > authRequestLifetime {
			delete(s.requests, id)
		}
	}
	s.requests[a.id] = a
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, errNotFound
	}
	return a, nil
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest forgets a request and its code once the code is
// exchanged: a code opens tokens once.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// complete marks request id as signed in by username.
func (s *storage) complete(id, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	a.subject, a.authTime, a.done = username, time.Now(), true
	return nil
}

// checkPassword reports whether username's password is password.
func (s *storage) checkPassword(username, password string) bool {
	s.mu.Lock()
	p, ok := s.people[username]
	s.mu.Unlock()
	return ok && subtle.ConstantTimeCompare([]byte(p.Password), []byte(password)) == 1
}

// startSession opens a browser session for username and returns its ID.
func (s *storage) startSession(username string) string {
	id := rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[id] = username
	return id
}

// session is the username of a live browser session, "" for none.
func (s *storage) session(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	var clientID string
	if a, ok := req.(*authRequest); ok {
		clientID = a.GetClientID()
	}
	id, exp := rand.Text(), time.Now().Add(accessTokenLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	for tid, t := range s.tokens {
		if time.Now().After(t.expires) {
			delete(s.tokens, tid)
		}
	}
	s.tokens[id] = accessToken{subject: req.GetSubject(), clientID: clientID, scopes: req.GetScopes(), expires: exp}
	return id, exp, nil
}

var errNoRefresh = errors.New("this provider issues no refresh tokens")

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

// TerminateSession ends every browser session of the person and the
// client's access tokens for them: the end-session endpoint's work.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if userID == "" {
		return nil
	}
	for id, user := range s.sessions {
		if user == userID {
			delete(s.sessions, id)
		}
	}
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	s.ended[userID]++
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenOrID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tokenOrID]; ok {
		if t.clientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
		}
		delete(s.tokens, tokenOrID)
	}
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// signingKey is the provider's one RSA key.
type signingKey struct {
	id  string
	alg jose.SignatureAlgorithm
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

// publicKey is the signing key as the JWKS publishes it.
type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.key.alg}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, errNotFound
	}
	return client{c, s.idTokenLifetime}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	c, ok := s.clients[id]
	s.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("unknown client or wrong secret")
	}
	return nil
}

// SetUserinfoFromScopes is empty, as the op asks: SetUserinfoFromRequest
// fills ID tokens.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills an ID token: the Tuntas claims only for a
// client that takes them there.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userinfo(info, req.GetSubject(), scopes, s.clients[req.GetClientID()].ClaimsInIDToken)
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || time.Now().After(t.expires) {
		return errors.New("token is invalid or has expired")
	}
	return s.userinfo(info, t.subject, t.scopes, true)
}

// userinfo sets what the provider knows of username for scopes; s.mu is
// held.
func (s *storage) userinfo(info *oidc.UserInfo, username string, scopes []string, tuntas bool) error {
	p, ok := s.people[username]
	if !ok {
		return errNotFound
	}
	info.Subject = p.Username
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = p.Name
		info.PreferredUsername = p.Username
	}
	if tuntas {
		info.AppendClaims(roleClaim, string(p.Role))
		info.AppendClaims(regionClaim, p.Region)
		if p.Agency != "" {
			info.AppendClaims(agencyClaim, p.Agency)
		}
	}
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok || time.Now().After(t.expires) || t.clientID != clientID {
		return errors.New("token is invalid")
	}
	resp.Active, resp.Subject, resp.ClientID, resp.Scope = true, t.subject, t.clientID, t.scopes
	resp.Expiration = oidc.FromTime(t.expires)
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("this provider takes no JWT profile grants")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("this provider takes no JWT profile grants")
}

func (s *storage) Health(context.Context) error { return nil }

// client is a Client as the op reads it.
type client struct {
	Client
	idTokenLifetime time.Duration
}

var _ op.Client = client{}

func (c client) GetID() string                       { return c.ID }
func (c client) RedirectURIs() []string              { return c.Client.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string    { return c.PostLogoutURIs }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c client) LoginURL(id string) string            { return "/login?authRequestID=" + id }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration       { return c.idTokenLifetime }
func (c client) DevMode() bool                        { return false }
func (c client) IsScopeAllowed(string) bool           { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
