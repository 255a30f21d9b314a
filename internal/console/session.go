package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

// Cookie names. The session cookie holds the bearer token itself: the
// console keeps no session store, so every API process can serve every
// person, and a session ends when its token does.
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

// user admits a request with a session whose token the API accepts;
// anyone else is sent to the sign-in page.
func (c *Console) user(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(sessionCookie)
		if err == nil {
			p, err := c.verifier.Verify(r.Context(), ck.Value)
			if err == nil {
				ctx := context.WithValue(r.Context(), userKey{}, p)
				// A page counts against the person's request limit, as /v1 does.
				if wait := c.api.Throttle(p.Sub); wait > 0 {
					c.tooMany(w, r.WithContext(ctx), wait)
					return
				}
				next(w, r.WithContext(ctx))
				return
			}
			clearCookie(w, r, sessionCookie)
		}
		if r.Method != http.MethodGet {
			http.Error(w, "sign in again", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// startSession keeps token in an HttpOnly, SameSite=Strict cookie
// (Secure over HTTPS) that expires with the token.
func startSession(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: tokenExpiry(token),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

// tokenExpiry reads the exp claim of a token that has been verified; a
// token without one gives a cookie that ends with the browser session.
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

func secure(r *http.Request) bool { return r.TLS != nil }

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

// csrfToken is the request's CSRF token, set as a cookie the first time:
// every form carries it in a hidden field, and a post whose field does not
// match the cookie is refused (another site can neither read the cookie
// nor, with SameSite=Strict, send it).
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
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
func (c *Console) csrf(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil || !validCSRF(r, r.PostForm.Get(csrfField)) {
			c.forbidden(w, r)
			return
		}
		next(w, r)
	}
}

// maxForm bounds a form post (a survey of 30 members is a few KB).
const maxForm = 256 << 10

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

// signinPage offers the token field, and in dev the role picker.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "signin.title")
	p.Form["next"] = []string{r.URL.Query().Get("next")}
	p.Data = devPicker()
	c.render(w, r, "signin", p)
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if _, err := c.verifier.Verify(r.Context(), token); err != nil {
		p := c.newPage(w, r, "signin.title")
		p.Status = http.StatusUnauthorized
		p.Errs["token"] = p.L.T("signin.invalid")
		p.Form = r.PostForm
		p.Data = devPicker()
		c.render(w, r, "signin", p)
		return
	}
	startSession(w, r, token)
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
	token, err := c.devIssuer.Issue(pr, 8*time.Hour, c.now())
	if err != nil {
		p := c.newPage(w, r, "signin.title")
		p.Status = http.StatusUnprocessableEntity
		p.Errs["dev"] = err.Error()
		p.Form = f
		p.Data = devPicker()
		c.render(w, r, "signin", p)
		return
	}
	startSession(w, r, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// localPath is next when it is a path on this site, else "/": a sign-in
// link cannot send a person elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// language switches the catalogue and goes back to the page.
func (c *Console) language(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if _, ok := c.locales[code]; ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(r)})
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
