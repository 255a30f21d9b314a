package console

// Signing in at the office's OpenID provider (auth.Signin): "Masuk" sends
// the person to the provider with a new flow (state, nonce, PKCE
// verifier), which waits for them in a cookie sealed under the device
// secret; the provider sends them back to /signin/callback, where the flow
// is taken (once), the code exchanged and the ID token verified, and the
// session starts as a pasted token's does. Signing out of a session begun
// there goes on to the provider's end-session endpoint.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
)

// flowCookiePrefix names the cookie that holds one sign-in's flow: the
// prefix and the start of its state, so that two sign-ins begun in two
// tabs do not overwrite each other's.
const flowCookiePrefix = "tuntas_signin_"

// flowLifetime is how long a person has at the provider; the cookie
// outlives it, so that a late return is told it was late.
const (
	flowLifetime  = 10 * time.Minute
	flowCookieAge = time.Hour
)

// pendingFlow is what the flow cookie holds, sealed.
type pendingFlow struct {
	Flow    auth.Flow `json:"f"`
	Next    string    `json:"x"`
	Expires int64     `json:"e"`
}

// Why a callback's flow is refused.
var (
	errFlowUnknown = errors.New("console: no sign-in of this browser has this state")
	errFlowExpired = errors.New("console: the sign-in's time ran out")
)

// flowCookie is the cookie name of the flow with state, or "" for a state
// this console could not have made (rand.Text: base32, 52 characters).
func flowCookie(state string) string {
	if len(state) != 52 || strings.Trim(state, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return ""
	}
	return flowCookiePrefix + state[:16]
}

// startSignin sends the person to the provider, keeping the flow and the
// page to come back to in a sealed cookie that only the callback path is
// sent. SameSite=Lax: the provider's redirect back is a top-level
// navigation from another site, which a Strict cookie would not follow.
func (c *Console) startSignin(w http.ResponseWriter, r *http.Request) {
	if c.provider == nil {
		c.notFound(w, r)
		return
	}
	f, target := c.provider.Start()
	name := flowCookie(f.State)
	plain, _ := json.Marshal(pendingFlow{Flow: f, Next: localPath(r.PostForm.Get("next")), Expires: c.now().Add(flowLifetime).Unix()})
	http.SetCookie(w, &http.Cookie{Name: name, Value: base64.RawURLEncoding.EncodeToString(seal(c.flowKey(), plain, []byte(name))),
		Path: auth.CallbackPath, MaxAge: int(flowCookieAge / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.secure()})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// flowKey seals flow cookies: derived from the device secret, which every
// process serving the console shares, so a person may come back to any.
func (c *Console) flowKey() []byte { return c.mac("tuntas signin flow v1") }

// takeFlow returns the flow that state names, and clears its cookie: a
// flow is used once.
func (c *Console) takeFlow(w http.ResponseWriter, r *http.Request, state string) (pendingFlow, error) {
	name := flowCookie(state)
	if name == "" {
		return pendingFlow{}, fmt.Errorf("%w: malformed state", errFlowUnknown)
	}
	ck, err := r.Cookie(name)
	if err != nil {
		return pendingFlow{}, errFlowUnknown
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: auth.CallbackPath, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secure()})
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return pendingFlow{}, fmt.Errorf("%w: %w", errFlowUnknown, err)
	}
	plain, err := open(c.flowKey(), raw, []byte(name))
	if err != nil {
		return pendingFlow{}, fmt.Errorf("%w: %w", errFlowUnknown, err)
	}
	var p pendingFlow
	if err := json.Unmarshal(plain, &p); err != nil {
		return pendingFlow{}, fmt.Errorf("%w: %w", errFlowUnknown, err)
	}
	// The name holds only the state's start: the whole of it must match.
	if p.Flow.State != state {
		return pendingFlow{}, fmt.Errorf("%w: state differs", errFlowUnknown)
	}
	if c.now().Unix() > p.Expires {
		return pendingFlow{}, errFlowExpired
	}
	return p, nil
}

// callback is where the provider sends the person back: the flow checked
// and taken, the code exchanged, the ID token verified, the session
// started. Whatever fails is a page in the person's language saying what
// to do, never an internal error; nothing of it is kept by the browser or
// the service worker.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if c.provider == nil {
		c.notFound(w, r)
		return
	}
	q := r.URL.Query()
	flow, err := c.takeFlow(w, r, q.Get("state"))
	if err != nil {
		c.logger.WarnContext(r.Context(), "console: sign-in callback", "error", err)
		if errors.Is(err, errFlowExpired) {
			c.signinFailed(w, r, http.StatusBadRequest, "signin.expired")
		} else {
			c.signinFailed(w, r, http.StatusBadRequest, "signin.badState")
		}
		return
	}
	if msg, denied := auth.ProviderError(q); msg != "" {
		c.logger.WarnContext(r.Context(), "console: the provider ended the sign-in", "error", msg)
		if denied {
			c.signinFailed(w, r, http.StatusForbidden, "signin.denied")
		} else {
			c.signinFailed(w, r, http.StatusBadGateway, "signin.providerError")
		}
		return
	}
	id, err := c.provider.Finish(r.Context(), flow.Flow, q.Get("code"))
	if err != nil {
		c.logger.WarnContext(r.Context(), "console: sign-in", "error", err)
		switch {
		case errors.Is(err, auth.ErrSigninRefused):
			c.signinFailed(w, r, http.StatusBadRequest, "signin.refused")
		case errors.Is(err, auth.ErrInvalid):
			c.signinFailed(w, r, http.StatusForbidden, "signin.notAllowed")
		default: // auth.ErrProviderDown, a request cut short
			w.Header().Set("Retry-After", "30")
			c.signinFailed(w, r, http.StatusServiceUnavailable, "signin.unavailable")
		}
		return
	}
	// The session lasts the working day, whatever the ID token's own
	// (often minutes-long) lifetime: startSession caps it at 12 hours.
	if err := c.startSession(w, r, id.Principal, c.now().Add(auth.MaxTokenLifetime), id.IDToken); err != nil {
		c.fail(w, r, err)
		return
	}
	c.signedIn(w, r, flow.Next)
}

// signedIn answers a completed sign-in with a page that moves on to next
// at once (a meta refresh, and a link). A redirect would not do: the way
// here began at the provider's site, and browsers withhold a SameSite=
// Strict cookie from every step of a navigation another site began, so
// next would find no session. The refresh is this page's own navigation.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request, next string) {
	p := c.newPage(w, r, "signin.done")
	p.Refresh = localPath(next)
	c.render(w, r, "signedin", p)
}

// signinFailed is the page of a sign-in that did not complete: why, in
// words, and the way to try again.
func (c *Console) signinFailed(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := c.newPage(w, r, "signin.failed")
	p.Status = status
	p.Alert = p.L.T(key)
	c.render(w, r, "signinfailed", p)
}

// signedOutPage is where the provider sends a person it signed out.
func (c *Console) signedOutPage(w http.ResponseWriter, r *http.Request) {
	p := c.signinForm(w, r)
	p.Flash = p.L.T("signin.signedOut")
	c.render(w, r, "signin", p)
}

// idTokenKey seals the ID token a session keeps for its sign-out: derived
// from the session ID, which only the person's cookie holds (the store
// keeps its hash), so the store alone cannot open it.
func idTokenKey(sessionID string) []byte {
	sum := sha256.Sum256([]byte("tuntas id token v1\x00" + sessionID))
	return sum[:]
}

// seal encrypts plain with AES-256-GCM under key, bound to aad; the nonce
// leads the result.
func seal(key, plain, aad []byte) []byte {
	gcm := newGCM(key)
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, aad)
}

// open is seal undone; an error for anything seal under key and aad did
// not make.
func open(key, sealed, aad []byte) ([]byte, error) {
	gcm := newGCM(key)
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("console: sealed value too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], aad)
}

// newGCM is AES-256-GCM under a 32-byte key (HMAC-SHA256 and SHA-256
// outputs are), which cannot fail.
func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(fmt.Sprintf("console: AES key of %d bytes", len(key)))
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return gcm
}

// signoutTarget is where a person goes once signed out of a session:
// on to the provider's end-session endpoint, with the ID token they signed
// in with, when the session began there and the provider offers one;
// else the sign-in page.
func (c *Console) signoutTarget(sessionID string, sealed []byte) string {
	if c.provider == nil || len(sealed) == 0 {
		return "/signin"
	}
	hint, err := open(idTokenKey(sessionID), sealed, nil)
	if err != nil {
		hint = nil // the provider then asks the person, or signs out by the client alone
	}
	if u := c.provider.SignoutURL(string(hint)); u != "" {
		return u
	}
	return "/signin"
}

// formAction is the Content-Security-Policy's form-action: the console,
// and the provider's origins its sign-in and sign-out forms redirect to
// (browsers check a form's redirects against it too).
func formAction(s *auth.Signin) string {
	v := "form-action 'self'"
	if s != nil {
		for _, o := range s.FormTargets() {
			v += " " + o
		}
	}
	return v
}
