package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// Cookie names. The session cookie holds a random session ID, not the
// token: the session lives in the store (Sessions) under a hash of the ID,
// so every API process serves every person, signing out ends the session
// in all of them, and the cookie is worth nothing as a bearer token.
const (
	sessionCookie = "tuntas_session"
	csrfCookie    = "tuntas_csrf"
	langCookie    = "tuntas_lang"
	csrfField     = "csrf"
)

type userKey struct{}

func userFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(userKey{}).(auth.Principal)
	return p, ok
}

// Sessions keeps the console's sign-in sessions where every API process
// reads them (store.Store in MongoDB).
type Sessions interface {
	CreateSession(ctx context.Context, s store.Session) error
	// Session is the session under key; store.ErrNotFound when there is
	// none or it expired by now.
	Session(ctx context.Context, key string, now time.Time) (store.Session, error)
	DeleteSession(ctx context.Context, key string) error
	PruneSessions(ctx context.Context, now time.Time) (int64, error)
}

// errNoSession is a request without a live session: no cookie, or one
// whose session ended or expired.
var errNoSession = errors.New("console: no session")

// user admits a request with a live session; anyone else is sent to the
// sign-in page. A store that cannot answer is an error, not a sign-out.
func (c *Console) user(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := c.session(r)
		switch {
		case err == nil:
			ctx := context.WithValue(r.Context(), userKey{}, p)
			// A page counts against the person's request limit, as /v1 does.
			if wait := c.api.Throttle(p.Sub); wait > 0 {
				c.tooMany(w, r.WithContext(ctx), wait)
				return
			}
			next(w, r.WithContext(ctx))
			return
		case !errors.Is(err, errNoSession):
			c.fail(w, r, err)
			return
		}
		if _, err := r.Cookie(sessionCookie); err == nil {
			c.clearCookie(w, sessionCookie)
		}
		if r.Method != http.MethodGet {
			c.signinAgain(w, r)
			return
		}
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// session is the person whose session the request's cookie names.
func (c *Console) session(r *http.Request) (auth.Principal, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return auth.Principal{}, errNoSession
	}
	s, err := c.sessions.Session(r.Context(), sessionKey(ck.Value), c.now())
	if errors.Is(err, store.ErrNotFound) {
		return auth.Principal{}, errNoSession
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("console: session: %w", err)
	}
	return auth.Principal{Sub: s.Sub, Role: s.Role, Region: s.Region, Agency: s.Agency}, nil
}

// sessionKey is what the store keeps of a session ID: its hash, so that a
// copy of the store (a backup, a log) opens no session.
func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// startSession signs p in until expires (the token's expiry; at most
// auth.MaxTokenLifetime from now): the session goes to the store under a
// hash of a new random ID, and the ID to an HttpOnly, SameSite=Strict,
// Secure cookie that expires with it. idToken, for a person signed in at
// the provider, is kept sealed for the sign-out (idTokenKey).
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, p auth.Principal, expires time.Time, idToken string) error {
	now := c.now()
	if limit := now.Add(auth.MaxTokenLifetime); expires.IsZero() || expires.After(limit) {
		expires = limit
	}
	id := rand.Text()
	s := store.Session{Key: sessionKey(id), Sub: p.Sub, Role: p.Role, Region: p.Region, Agency: p.Agency, Expires: expires}
	if idToken != "" {
		s.IDToken = seal(idTokenKey(id), []byte(idToken), nil)
	}
	if err := c.sessions.CreateSession(r.Context(), s); err != nil {
		return fmt.Errorf("console: start session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.secure()})
	c.pruneSessions(r.Context(), now)
	return nil
}

// pruneEvery spaces the deletions of expired sessions: the store has no TTL
// index (FerretDB), and one pass an hour by whichever process signs someone
// in keeps the collection to about a day's sign-ins.
const pruneEvery = time.Hour

// pruneSessions deletes the expired sessions if no pass of this process
// did in the last pruneEvery. A failed pass is logged and tried again at
// the next interval: the sign-in it rides on has succeeded.
func (c *Console) pruneSessions(ctx context.Context, now time.Time) {
	last := c.pruned.Load()
	if now.Unix()-last < int64(pruneEvery/time.Second) || !c.pruned.CompareAndSwap(last, now.Unix()) {
		return
	}
	if _, err := c.sessions.PruneSessions(ctx, now); err != nil {
		c.logger.WarnContext(ctx, "console: prune sessions", "error", err)
	}
}

// tokenExpiry reads the exp claim of a token that has been verified; zero
// for a token without one (startSession then caps the session at
// auth.MaxTokenLifetime).
func tokenExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

// secure reports whether cookies are Secure and answers carry HSTS: always,
// unless the console was configured for plain HTTP (`tuntas dev`). Whether
// this request came over TLS says nothing behind a proxy that ends TLS.
func (c *Console) secure() bool { return !c.plainHTTP }

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure()})
}

// csrfToken is the request's CSRF token, set as a cookie the first time:
// every form carries it in a hidden field, and a post whose field does not
// match the cookie is refused (another site can neither read the cookie
// nor, with SameSite=Strict, send it).
func (c *Console) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.secure()})
	// A page rendered in this request reads the token from the cookie jar
	// of the request, so keep it there too.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// validCSRF reports whether the posted token matches the cookie.
func validCSRF(r *http.Request, posted string) bool {
	ck, err := r.Cookie(csrfCookie)
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(posted)) == 1
}

// csrf refuses a form post without the request's CSRF token.
func (c *Console) csrf(next http.HandlerFunc) http.HandlerFunc { return c.csrfWithin(maxForm, next) }

// csrfWithin is csrf for a form of at most limit bytes (one carrying a
// photo).
func (c *Console) csrfWithin(limit int64, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseForm(); err != nil || !validCSRF(r, r.PostForm.Get(csrfField)) {
			c.forbidden(w, r)
			return
		}
		next(w, r)
	}
}

// maxForm bounds a form post as the API bounds a body: a survey of 30
// members is a few KiB.
const maxForm = 64 << 10

func (c *Console) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	p := c.newPage(w, r, "error.title")
	p.Status = http.StatusTooManyRequests
	p.Alert = p.L.T("problem.429")
	c.render(w, r, "error", p)
}

func (c *Console) forbidden(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "error.title")
	p.Status = http.StatusForbidden
	p.Alert = p.L.T("error.csrf")
	c.render(w, r, "error", p)
}

// signinPage offers the provider's sign-in when one is configured, the
// token field, and in dev the role picker.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "signin", c.signinForm(w, r))
}

// signinForm is the sign-in page's data, coming back to the query's next.
func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) *page {
	p := c.newPage(w, r, "signin.title")
	p.Form["next"] = []string{r.URL.Query().Get("next")}
	p.Data = c.signinChoices()
	return p
}

// signinChoices are the ways in the sign-in page offers: the provider
// (when configured) and, in dev, the role picker's people.
func (c *Console) signinChoices() map[string]any {
	d := devPicker()
	d["Provider"] = c.provider != nil
	return d
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostForm.Get("token"))
	who, err := c.verifier.Verify(r.Context(), token)
	if err != nil {
		p := c.newPage(w, r, "signin.title")
		p.Status = http.StatusUnauthorized
		p.Errs["token"] = p.L.T("signin.invalid")
		p.Form = r.PostForm
		p.Data = c.signinChoices()
		c.render(w, r, "signin", p)
		return
	}
	if err := c.startSession(w, r, who, tokenExpiry(token), ""); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
}

// signinDev mints a dev token for the chosen person; only `tuntas dev`
// gives the console an issuer.
func (c *Console) signinDev(w http.ResponseWriter, r *http.Request) {
	if c.devIssuer == nil {
		c.notFound(w, r)
		return
	}
	f := r.PostForm
	pr := auth.Principal{Sub: strings.TrimSpace(f.Get("sub")), Role: household.Role(f.Get("role")),
		Region: strings.TrimSpace(f.Get("region")), Agency: f.Get("agency")}
	if pr.Role != household.RoleAgency {
		pr.Agency = ""
	}
	const ttl = 8 * time.Hour
	now := c.now()
	if _, err := c.devIssuer.Issue(pr, ttl, now); err != nil {
		p := c.newPage(w, r, "signin.title")
		p.Status = http.StatusUnprocessableEntity
		p.Errs["dev"] = err.Error()
		p.Form = f
		p.Data = c.signinChoices()
		c.render(w, r, "signin", p)
		return
	}
	if err := c.startSession(w, r, pr, now.Add(ttl), ""); err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signout ends the session in the store, so its cookie opens nothing
// even if it was copied, and clears the cookie. A store that cannot delete
// it says so instead of pretending the person is out.
//
// A session begun at the provider goes on to sign out there too
// (signoutTarget), so that the next person on a shared phone is asked for
// their own password rather than let in as the last one.
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	c.clearCookie(w, sessionCookie)
	target := "/signin"
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		key := sessionKey(ck.Value)
		if c.provider != nil {
			s, err := c.sessions.Session(r.Context(), key, c.now())
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				c.fail(w, r, fmt.Errorf("console: sign out: %w", err))
				return
			}
			target = c.signoutTarget(ck.Value, s.IDToken)
		}
		if err := c.sessions.DeleteSession(r.Context(), key); err != nil {
			c.fail(w, r, fmt.Errorf("console: sign out: %w", err))
			return
		}
	}
	// Pages are kept by the browser to revalidate (private, no-cache): on a
	// shared phone the next person must not reach them with Back. The
	// service worker's copies and the outbox (storage) are its own affair.
	w.Header().Set("Clear-Site-Data", `"cache"`)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath is next when it is a path of this console, re-serialised from
// its parts, else "/": a sign-in or language link cannot send a person
// elsewhere. Browsers read a backslash as a slash and drop tabs and
// newlines, so a path of "/\evil" or "/<tab>/evil" is the site evil to
// them, and so is one that decodes to it ("/%5Cevil", "/%09/evil"); a
// scheme, a host, user info, a backslash, a control character or a space,
// raw or decoded, or a path not starting with a single "/" is refused.
func localPath(next string) string {
	if strings.ContainsFunc(next, unsafeInPath) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.ContainsFunc(u.Path, unsafeInPath) {
		return "/"
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// unsafeInPath are the characters a redirect target may not hold, raw or
// decoded.
func unsafeInPath(r rune) bool {
	return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r)
}

// language switches the catalogue and goes back to the page.
func (c *Console) language(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := c.locales[code]; ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.secure()})
	}
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// devPerson is one of the picker's suggestions.
type devPerson struct {
	Sub, Role, Region, Agency string
}

// devPicker is what the dev sign-in offers: a person for every role in
// Kutai Timur's first kecamatan, and the roles and agencies to choose.
func devPicker() map[string]any {
	return map[string]any{
		"People": []devPerson{
			{"ani", "caseworker", "64.08.01", ""}, {"budi", "village_officer", "64.08.01.2001", ""},
			{"citra", "verifier", "64.08", ""}, {"dewi", "supervisor", "64.08", ""},
			{"eka", "agency", "64.08", "dinsos"}, {"fajar", "province", "64", ""}, {"gita", "admin", "64", ""},
		},
		"Roles":    household.Roles,
		"Agencies": household.Agencies,
	}
}
