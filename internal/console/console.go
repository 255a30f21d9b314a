// Package console owns Tuntas's web console: server-rendered pages in
// Bahasa Indonesia (English on request) for every role, adapters over the
// same service as /v1 (internal/casework), so that a page can neither see
// nor do more than the API lets the same person. Templates, styles, the little
// JavaScript and the message catalogues are embedded in the binary.
package console

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Notes are the per-person reminders and escalations the work queue shows.
type Notes interface {
	NotificationsFor(ctx context.Context, role household.Role, scope, agency string, limit int) ([]store.Notification, error)
	NotificationsReadAt(ctx context.Context, sub string) (time.Time, error)
	MarkNotificationsRead(ctx context.Context, sub string, at time.Time) error
}

// Config wires the console.
type Config struct {
	// Service is what every page calls: the /v1 rules, masking and audit.
	Service *casework.Service
	// API is the /v1 API beside the console: its verifier signs people
	// in, and its rate limit counts their pages too.
	API *api.Server
	// Notes keeps notifications and read markers.
	Notes Notes
	// Sessions keeps the sign-in sessions; required.
	Sessions Sessions
	// PlainHTTP, set only by `tuntas dev`, lets cookies travel without TLS
	// and sends no HSTS. Otherwise (the default) every cookie is Secure and
	// every answer carries HSTS, whether TLS ends in this process or at a
	// proxy in front of it.
	PlainHTTP bool
	// DevIssuer, set only by `tuntas dev`, lets the sign-in page mint a
	// token for any role and region; production leaves it nil.
	DevIssuer *auth.Issuer
	// Signin, when set, signs people in at the office's OpenID provider
	// ("Masuk" on the sign-in page) and out of it again (signin.go).
	Signin *auth.Signin
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// DeviceSecret derives each person's opaque device ID and the key that
	// seals their outbox on a phone (offline.go). Every process serving the
	// console must share it and it must outlive restarts, or forms left in
	// an outbox cannot be opened again; when nil a random one holds for
	// this process only.
	DeviceSecret []byte
}

// Console is the web console's handler.
type Console struct {
	svc       *casework.Service
	api       *api.Server
	notes     Notes
	sessions  Sessions
	plainHTTP bool
	// pruned is when (Unix seconds) this process last pruned sessions.
	pruned    atomic.Int64
	verifier  auth.Verifier
	devIssuer *auth.Issuer
	provider  *auth.Signin
	// csp is the Content-Security-Policy every answer carries.
	csp     string
	logger  *slog.Logger
	now     func() time.Time
	pages   map[string]*template.Template
	locales map[string]*Locale
	// assetVersion changes with the embedded assets, so browsers may keep
	// them for a long time.
	assetVersion string
	// pageBuild changes with anything a page is made of (templates,
	// catalogues, static files): a page a phone saved under another build
	// is stale (pageContext).
	pageBuild string
	mux       *http.ServeMux
	// deviceSecret derives device IDs and outbox keys (offline.go).
	deviceSecret []byte
	// handler is mux behind the cross-origin check and gzip.
	handler http.Handler
}

// New returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Sessions == nil {
		return nil, errors.New("console: Config.Sessions is required")
	}
	c := &Console{svc: cfg.Service, api: cfg.API, notes: cfg.Notes, sessions: cfg.Sessions, plainHTTP: cfg.PlainHTTP,
		verifier: cfg.API.Verifier(), devIssuer: cfg.DevIssuer, provider: cfg.Signin, deviceSecret: cfg.DeviceSecret, logger: cfg.Logger, now: cfg.Now}
	if len(c.deviceSecret) == 0 {
		c.deviceSecret = newDeviceSecret()
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.csp = contentSecurityPolicy + "; " + formAction(c.provider)
	var err error
	if c.locales, err = loadLocales(); err != nil {
		return nil, err
	}
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(path)
			h.Write(b)
		}
		return nil
	})
	c.assetVersion = hex.EncodeToString(h.Sum(nil))[:10]
	for _, f := range []fs.FS{templateFS, localeFS} {
		_ = fs.WalkDir(f, ".", func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(f, path)
				h.Write([]byte(path))
				h.Write(b)
			}
			return nil
		})
	}
	c.pageBuild = hex.EncodeToString(h.Sum(nil))[:10]
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := http.NewServeMux()
	m.Handle("GET /static/", http.HandlerFunc(c.static))
	m.HandleFunc("GET /signin", c.signinPage)
	m.HandleFunc("POST /signin", c.csrf(c.signin))
	m.HandleFunc("POST /signin/dev", c.csrf(c.signinDev))
	m.HandleFunc("POST /signin/oidc", c.csrf(c.startSignin))
	m.HandleFunc("GET "+auth.CallbackPath, c.callback)
	m.HandleFunc("GET "+auth.SignedOutPath, c.signedOutPage)
	m.HandleFunc("POST /signout", c.csrf(c.signout))
	m.HandleFunc("GET /lang/{code}", c.language)
	c.offlineRoutes(m)

	m.HandleFunc("GET /{$}", c.user(c.queuePage))
	m.HandleFunc("POST /notifications/read", c.user(c.csrf(c.markRead)))
	m.HandleFunc("GET /dashboard", c.user(c.dashboardPage))
	m.HandleFunc("GET /dashboard/progress", c.user(c.progressPage))
	m.HandleFunc("GET /cases", c.user(c.listPage))
	m.HandleFunc("GET /cases/new", c.user(c.openPage))
	m.HandleFunc("POST /cases", c.user(c.csrf(c.openCase)))
	m.HandleFunc("GET /cases/{id}", c.user(c.casePage))
	m.HandleFunc("POST /cases/{id}/photos", c.user(c.csrfWithin(maxEvidenceForm, c.uploadPhoto)))
	m.HandleFunc("GET /cases/{id}/photos/{pid}", c.user(c.photo))
	for _, f := range actionForms {
		limit := int64(maxForm)
		if takesEvidence(f.act) {
			limit = maxEvidenceForm
		}
		m.HandleFunc("POST /cases/{id}/"+f.path, c.user(c.csrfWithin(limit, c.act(f.act))))
	}
	m.HandleFunc("GET /imports", c.user(c.importsPage))
	m.HandleFunc("POST /imports", c.user(c.startImport)) // checks its CSRF token in the multipart body
	m.HandleFunc("GET /imports/{id}", c.user(c.importPage))
	m.HandleFunc("GET /imports/{id}/status", c.user(c.importStatus))
	m.HandleFunc("GET /imports/{id}/errors.csv", c.user(c.importErrorsCSV))
	m.HandleFunc("GET /province", c.user(c.provincePage))
	m.HandleFunc("GET /province/report.csv", c.user(c.provinceCSV))
	m.HandleFunc("GET /reports/quarterly", c.user(c.quarterlyPage))
	m.HandleFunc("GET /reports/quarterly.csv", c.user(c.quarterlyCSV))
	m.HandleFunc("GET /reports/quarterly.xlsx", c.user(c.quarterlyXLSX))
	m.HandleFunc("GET /villages/bnba", c.user(c.bnbaPage))
	c.livingRoutes(m)
	m.HandleFunc("/", c.notFound)
	c.mux = m
	c.handler = withGzip(crossOrigin.Handler(m))
}

// contentSecurityPolicy allows only the console's own scripts, styles,
// images, manifest and service worker: no inline script, no other origin.
// Its form-action (formAction) adds the provider's origins, where signing
// in and out lead.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// strictTransportSecurity tells a browser to come back over HTTPS only,
// for a year, so a session cookie is never offered to a plain-HTTP page.
const strictTransportSecurity = "max-age=31536000"

// ServeHTTP serves a console request with the security headers every page
// carries; cross-origin form posts are refused before any handler runs.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", c.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if c.secure() {
		h.Set("Strict-Transport-Security", strictTransportSecurity)
	}
	c.handler.ServeHTTP(w, r)
}

// crossOrigin refuses non-safe requests that a browser marks as coming
// from another origin (Sec-Fetch-Site, Origin): a second line behind the
// CSRF token.
var crossOrigin = http.NewCrossOriginProtection()

// page is what every template receives.
type page struct {
	L      *Locale
	Title  string
	User   *auth.Principal
	CSRF   string
	Path   string
	Asset  string
	Dev    bool
	Flash  string
	Alert  string
	Nav    string
	Errs   map[string]string
	Form   map[string][]string
	Data   any
	Status int
	// Person is the signed-in person's opaque device ID (offline.go).
	Person string
	// Refresh, when set, is where the page moves on to at once.
	Refresh string
	// act is the case form Form and Errs belong to ("" for none): the
	// other forms of the page are shown without them (For).
	act string
}

// For is the page as the case form of action sees it: with the posted
// values and field messages when they are its own (or when no form was
// posted: a saved draft), blank otherwise, so that a message is shown
// beside the form that was refused only.
func (p *page) For(action string) *page {
	if p.act == "" || p.act == action {
		return p
	}
	q := *p
	q.Errs, q.Form = map[string]string{}, map[string][]string{}
	return &q
}

// Get is the first posted value of a form field.
func (p *page) Get(name string) string {
	if v := p.Form[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether the form holds value for name (checkboxes, selects).
func (p *page) Has(name, value string) bool {
	for _, v := range p.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err is the message for a form field, "" when it has none.
func (p *page) Err(name string) string { return p.Errs[name] }

// newPage starts the data of a page for the request.
func (c *Console) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	p := &page{L: c.locale(r), Path: r.URL.RequestURI(), Asset: c.assetVersion, Dev: c.devIssuer != nil,
		CSRF: c.csrfToken(w, r), Errs: map[string]string{}, Form: map[string][]string{}}
	p.Title = p.L.T(title)
	if u, ok := userFrom(r.Context()); ok {
		p.User = &u
		p.L = p.L.In(u.Region)
		p.Person = c.personID(u.Sub)
	}
	return p
}

// render writes a page; a template failure is logged and answered as an
// internal error (the page is rendered to a buffer first).
func (c *Console) render(w http.ResponseWriter, r *http.Request, name string, p *page) {
	if fromOutbox(r) {
		c.answerOutbox(w, r, name, p)
		return
	}
	t, ok := c.pages[name]
	if !ok {
		c.fail(w, r, fmt.Errorf("console: no page %q", name))
		return
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		c.fail(w, r, fmt.Errorf("console: render %s: %w", name, err))
		return
	}
	body := []byte(buf.String())
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// A page is the person's own and may change at any moment: the
	// browser keeps it only to ask whether it changed (ETag), and a page
	// that did not change costs a round trip without its body. Signing
	// out clears what the browser kept (Clear-Site-Data). A page its
	// handler marked no-store (signing in) is not kept at all.
	if h.Get("Cache-Control") != "no-store" {
		h.Set("Cache-Control", "private, no-cache")
	}
	h.Add("Vary", "Cookie")
	c.offlineHeaders(w, p)
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h.Set("ETag", etag)
	if p.Status == 0 && r.Method == http.MethodGet && etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, _ = w.Write(body)
}

// etagMatches reports whether an If-None-Match header names etag, by the
// weak comparison (a gzipped answer's ETag comes back marked weak).
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}

// fail answers err: a problem the API would answer is shown in words (a
// missing or out-of-region case is the one not-found page); anything else
// is logged once and shown as an internal error.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	pr, ok := api.ProblemOf(err)
	if ok && pr.Status == http.StatusNotFound {
		c.notFound(w, r)
		return
	}
	p := c.newPage(w, r, "error.title")
	if ok {
		p.Status = pr.Status
		p.Alert = p.L.Problem(pr)
	} else if errors.Is(err, context.Canceled) {
		return
	} else {
		c.logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "error", err)
		p.Status = http.StatusInternalServerError
		p.Alert = p.L.T("error.internal")
	}
	c.render(w, r, "error", p)
}

// notFound is the one page for a missing page, a missing case and a case
// outside the person's region alike.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "notfound.title")
	p.Status = http.StatusNotFound
	c.render(w, r, "notfound", p)
}

// caller is the person of the request on a console page, for the service.
func caller(r *http.Request) casework.Caller {
	u, _ := userFrom(r.Context())
	return casework.Caller{Principal: u, Route: "console " + r.Pattern}
}
