package console

// The console as an installable web app for people in the field: a web app
// manifest and icons, a service worker (static/sw.js) that keeps the
// person's work queue and case pages on the phone, and an outbox
// (static/offline-db.js, static/outbox.js) that holds forms submitted with
// no signal until they can be sent, as the person who made them.
//
// What the server does for it is here: it names each signed-in person with
// an opaque device ID and hands their session the key that seals their
// outbox on the phone; it answers a form sent by the outbox in JSON
// instead of a page; and it answers a form post whose session has ended
// with a page (or JSON) that keeps what was typed and asks the person to
// sign in again.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

// Headers between the console and its scripts.
const (
	// outboxHeader marks a form post sent by the outbox: it is answered in
	// JSON (outboxAnswer), never with a page or a redirect.
	outboxHeader = "X-Tuntas-Outbox"
	// personHeader carries the opaque device ID of the person a page was
	// rendered for, so the service worker files its copy under that person.
	personHeader = "X-Tuntas-Person"
	// signinHeader marks the answer to a form post whose session has
	// ended, so the service worker keeps the post in the outbox.
	signinHeader = "X-Tuntas-Signin"
)

// fieldHeader marks the pages of a person who works in the field (a
// caseworker, a village officer): the service worker keeps only their
// pages on the device, and every case their work queue links to.
const fieldHeader = "X-Tuntas-Field"

// What a saved page was made from, for the service worker to tell a stale
// copy from a good one without fetching the page again (a case page is
// never a 304: each of its forms carries a fresh nonce).
const (
	// contextHeader is the page's context (pageContext).
	contextHeader = "X-Tuntas-Context"
	// versionHeader is, on a case page, the case's version as the person
	// sees it (casework.CaseView.Version).
	versionHeader = "X-Tuntas-Version"
)

// worksInField is whether a role works in the field: a caseworker, a
// village officer.
func worksInField(r household.Role) bool {
	return r == household.RoleCaseworker || r == household.RoleVillageOfficer
}

// offlineHeaders tell the service worker whose page this is, whether its
// person works in the field, and in what context it was rendered.
func (c *Console) offlineHeaders(w http.ResponseWriter, p *page) {
	if p.Person == "" || p.User == nil {
		return
	}
	w.Header().Set(personHeader, p.Person)
	w.Header().Set(contextHeader, c.pageContext(*p.User, p.L.Code))
	if worksInField(p.User.Role) {
		w.Header().Set(fieldHeader, "1")
	}
}

// fromOutbox reports whether the request is a form post the outbox sent.
func fromOutbox(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get(outboxHeader) == "1"
}

// newDeviceSecret is the secret of a console given none: it holds only
// for this process (see Config.DeviceSecret).
func newDeviceSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// mac is HMAC-SHA256 of the parts under the console's device secret.
func (c *Console) mac(parts ...string) []byte {
	h := hmac.New(sha256.New, c.deviceSecret)
	h.Write([]byte(strings.Join(parts, "\x00")))
	return h.Sum(nil)
}

// personID is the opaque name of a person on a device: the same for every
// session of theirs, different for everyone else, and telling nothing of
// who they are. The outbox tags each item with it.
func (c *Console) personID(sub string) string {
	return base64.RawURLEncoding.EncodeToString(c.mac("tuntas device person v1", sub)[:16])
}

// deviceKey is the AES-256 key that seals a person's outbox on a phone.
// Only a session of that person is given it (GET /device), and the phone
// forgets it when they sign out or someone else signs in: what they left
// in the outbox then stays on the phone, sealed, until they sign in again.
func (c *Console) deviceKey(sub string) []byte { return c.mac("tuntas device key v1", sub) }

// deviceSession is the signed-in person of a request from the service
// worker or the outbox, its answer never cached; without a session, or
// past the person's pace, it answers in JSON itself and reports false.
func (c *Console) deviceSession(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	w.Header().Set("Cache-Control", "no-store")
	p, err := c.session(r)
	if errors.Is(err, errNoSession) {
		writeJSON(w, http.StatusUnauthorized, outboxAnswer{State: stateSignin, Status: http.StatusUnauthorized,
			SigninURL: "/signin?next=%2F"})
		return auth.Principal{}, false
	}
	if err != nil {
		c.logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "error", err)
		writeJSON(w, http.StatusInternalServerError, outboxAnswer{State: stateRetry, Status: http.StatusInternalServerError})
		return auth.Principal{}, false
	}
	if wait := c.api.Throttle(p.Sub); wait > 0 {
		writeJSON(w, http.StatusTooManyRequests, outboxAnswer{State: stateRetry, Status: http.StatusTooManyRequests})
		return auth.Principal{}, false
	}
	return p, true
}

// device answers the signed-in person's device ID, outbox key and the
// CSRF token the outbox sends forms with; 401 (JSON) to anyone else. It is
// never cached.
func (c *Console) device(w http.ResponseWriter, r *http.Request) {
	p, ok := c.deviceSession(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"person": c.personID(p.Sub),
		"key":    base64.RawURLEncoding.EncodeToString(c.deviceKey(p.Sub)),
		"csrf":   c.csrfToken(w, r),
	})
}

// pageContext names what a person's page depends on besides its case:
// this build's templates, catalogues and static files, the person, what
// they may see and do (role, region, agency) and their language. A page
// saved on a phone in another context is stale whatever its case did. It
// is opaque (HMAC under the device secret) and tells nothing of the person.
func (c *Console) pageContext(p auth.Principal, lang string) string {
	return base64.RawURLEncoding.EncodeToString(
		c.mac("tuntas page context v1", c.pageBuild, p.Sub, string(p.Role), p.Region, p.Agency, lang)[:12])
}

// deviceCases answers the signed-in person, and no one else, what their
// phone needs to keep its saved pages fresh without fetching them again:
// the context their pages are rendered in now, and the version of each
// case of their work queue as they see it (the read model's summary). The
// service worker fetches a saved case page again only when its version or
// context moved (or it is missing, or a day old). The list is personal
// data of the queue: never cached; 401 (JSON) without a session, 403 to
// anyone who does not work in the field (their pages are not kept).
func (c *Console) deviceCases(w http.ResponseWriter, r *http.Request) {
	p, ok := c.deviceSession(w, r)
	if !ok {
		return
	}
	if !worksInField(p.Role) {
		// Only a field person's pages are kept on a device (fieldHeader).
		writeJSON(w, http.StatusForbidden, outboxAnswer{State: stateRefused, Status: http.StatusForbidden})
		return
	}
	who := casework.Caller{Principal: p, Route: "console " + r.Pattern}
	versions := map[string]int64{}
	for _, k := range workKinds[p.Role] {
		l, err := c.svc.ListCases(r.Context(), who, k.Filter)
		if err != nil {
			c.logger.ErrorContext(r.Context(), "console", "path", r.URL.Path, "error", err)
			writeJSON(w, http.StatusInternalServerError, outboxAnswer{State: stateRetry, Status: http.StatusInternalServerError})
			return
		}
		for _, it := range l.Items {
			versions["/cases/"+url.PathEscape(it.ID)] = it.Version
		}
	}
	writeJSON(w, http.StatusOK, deviceCasesAnswer{Person: c.personID(p.Sub), Context: c.pageContext(p, c.locale(r).Code),
		Versions: versions})
}

// deviceCasesAnswer is GET /device/cases: versions maps the path of each
// case page of the person's work queue to the case's version.
type deviceCasesAnswer struct {
	Person   string           `json:"person"`
	Context  string           `json:"context"`
	Versions map[string]int64 `json:"versions"`
}

// The states an outbox item ends a send in.
const (
	stateSent     = "sent"     // acted on; caseUrl shows the case as it now is
	stateRefused  = "refused"  // not acted on: fields holds each field's message
	stateConflict = "conflict" // someone else acted first; caseUrl shows the case now
	stateSignin   = "signin"   // no session: sign in (signinUrl) and send again
	stateCSRF     = "csrf"     // the form's token is stale: fetch a new one and send again
	stateRetry    = "retry"    // the server is busy or failing: send again later
)

// outboxAnswer is the console's answer to a form post from the outbox.
type outboxAnswer struct {
	State     string            `json:"state"`
	Status    int               `json:"status"`
	CaseURL   string            `json:"caseUrl,omitempty"`
	Message   string            `json:"message,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	SigninURL string            `json:"signinUrl,omitempty"`
	// Now is where the case stands now, in words (its stage, or how it
	// closed), when the answer shows the case.
	Now string `json:"now,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// done ends a form post that acted: a redirect to target for a browser,
// the state "sent" and target for the outbox.
func (c *Console) done(w http.ResponseWriter, r *http.Request, target string) {
	if fromOutbox(r) {
		writeJSON(w, http.StatusOK, outboxAnswer{State: stateSent, Status: http.StatusOK, CaseURL: target})
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// answerOutbox turns the page a form post would have shown into the
// outbox's answer: the page's status decides the state, its alert is the
// message and its field messages go by field name.
func (c *Console) answerOutbox(w http.ResponseWriter, r *http.Request, name string, p *page) {
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	a := outboxAnswer{Status: status, Message: p.Alert, Fields: p.Errs, CaseURL: caseURLOf(r, p)}
	switch {
	case status == http.StatusConflict:
		a.State = stateConflict
	case name == "error" && status == http.StatusForbidden:
		// Only the CSRF check answers the error page with 403: the
		// service's refusals come back on the form.
		a.State = stateCSRF
	case status == http.StatusTooManyRequests || status >= 500:
		a.State = stateRetry
	default:
		a.State = stateRefused
	}
	if name == "notfound" {
		a.Message = p.L.T("notfound.body")
	}
	if d, ok := p.Data.(caseData); ok {
		if d.Case.Status == household.StatusClosed {
			a.Now = p.L.Enum("outcome", d.Case.Outcome)
		} else {
			a.Now = p.L.Enum("stage", d.Case.Stage)
		}
	}
	if len(a.Fields) == 0 {
		a.Fields = nil
	}
	writeJSON(w, status, a)
}

// caseURLOf is the page of the case a post was about: the case in its path,
// or the open case a refused opening named.
func caseURLOf(r *http.Request, p *page) string {
	if id := r.PathValue("id"); id != "" {
		return "/cases/" + url.PathEscape(id)
	}
	if d, ok := p.Data.(map[string]any); ok {
		if id, _ := d["CaseID"].(string); id != "" {
			return "/cases/" + url.PathEscape(id)
		}
	}
	return ""
}

// formUpdateID is the workflow update a form post names: the person, the
// form's path and its nonce, hashed. A form sent twice (a double tap, a
// retry on a bad link, the outbox after a lost answer) acts once.
func formUpdateID(sub, path, nonce string) (key, updateID string) {
	sum := sha256.Sum256([]byte(sub + "\x00" + path + "\x00" + nonce))
	key = hex.EncodeToString(sum[:])
	return key, "console-" + key[:40]
}

// signinAgain answers a form post whose session has ended (or never was).
// Nothing typed is lost: the outbox gets JSON telling it to keep the item
// and where to sign in; the service worker sees signinHeader and keeps the
// post itself; a browser without them gets a page in the console's layout
// that shows what was typed, to copy, and the way to sign in and come back.
func (c *Console) signinAgain(w http.ResponseWriter, r *http.Request) {
	back := localPath(returnPath(r.URL.Path))
	signin := "/signin?next=" + url.QueryEscape(back)
	w.Header().Set(signinHeader, "required")
	l := c.locale(r)
	if fromOutbox(r) {
		writeJSON(w, http.StatusUnauthorized, outboxAnswer{State: stateSignin, Status: http.StatusUnauthorized,
			SigninURL: signin, Message: l.T("expired.lead")})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm() // a body that does not parse shows nothing typed; the page still answers
	p := c.newPage(w, r, "expired.title")
	p.Status = http.StatusUnauthorized
	p.Data = map[string]any{"Signin": signin, "Typed": typedText(r.PostForm)}
	c.render(w, r, "expired", p)
}

// returnPath is the page a form was posted from: its case, the opening
// form, or the work queue.
func returnPath(path string) string {
	switch {
	case path == "/cases":
		return "/cases/new"
	case strings.HasPrefix(path, "/cases/"):
		id, _, _ := strings.Cut(strings.TrimPrefix(path, "/cases/"), "/")
		return "/cases/" + id
	case path == "/imports":
		return "/imports"
	}
	return "/"
}

// typedText is what a person typed into a form, one "field: value" line
// each, without the form's own hidden fields.
func typedText(f url.Values) string {
	var lines []string
	for k, vs := range f {
		if k == csrfField || k == "nonce" || k == "addMember" {
			continue
		}
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				lines = append(lines, k+": "+v)
			}
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// offlinePage is what the service worker shows for a page that was never
// saved on the phone; it holds nobody's data.
func (c *Console) offlinePage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "offline.title")
	c.render(w, r, "offline", p)
}

// serviceWorker serves static/sw.js from the site's root, so that its
// scope is the whole console, with this build's asset version and the
// shell it keeps in front of it: the static files under the same
// content-hashed URLs the pages link (assetURL), so that keeping them
// costs no second download. Browsers look for a new one on every visit
// (no-cache); a new version replaces the old caches.
func (c *Console) serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/sw.js")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := "?v=" + c.assetVersion
	conf, _ := json.Marshal(map[string]any{
		"version":   c.assetVersion,
		"offlineDB": assetURL("offline-db.js"),
		"shell": []string{assetURL("app.css"), assetURL("app.js"), assetURL("offline-db.js"),
			assetURL("outbox.js"), assetURL("evidence.js"), assetURL("icon.svg"), "/icons/192.png" + v, "/offline"},
	})
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write([]byte("self.TUNTAS = " + string(conf) + ";\n"))
	_, _ = w.Write(b)
}

// manifest is the web app manifest: the console installs as an app that
// opens on the work queue.
func (c *Console) manifest(w http.ResponseWriter, r *http.Request) {
	l := c.locale(r)
	v := "?v=" + c.assetVersion
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose,omitempty"`
	}
	m := map[string]any{
		"name": l.T("app.name"), "short_name": "Tuntas", "description": l.T("app.description"),
		"lang": l.Code, "start_url": "/", "scope": "/", "id": "/", "display": "standalone",
		"background_color": "#f5f7f8", "theme_color": "#0b6e4f",
		"icons": []icon{
			{Src: "/icons/192.png" + v, Sizes: "192x192", Type: "image/png", Purpose: "any"},
			{Src: "/icons/512.png" + v, Sizes: "512x512", Type: "image/png", Purpose: "any"},
			{Src: "/icons/512.png" + v, Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
			{Src: "/static/icon.svg" + v, Sizes: "any", Type: "image/svg+xml", Purpose: "any"},
		},
	}
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	_ = json.NewEncoder(w).Encode(m)
}

// iconSizes are the PNG icons an installed app needs (Android asks for
// 192 and 512 px).
var iconSizes = map[string]int{"192": 192, "512": 512}

var iconPNGs sync.Map // size → []byte, drawn once per process

// icon serves the app icon as a PNG of the asked size.
func (c *Console) icon(w http.ResponseWriter, r *http.Request) {
	size, ok := iconSizes[strings.TrimSuffix(r.PathValue("file"), ".png")]
	if !ok || !strings.HasSuffix(r.PathValue("file"), ".png") {
		c.notFound(w, r)
		return
	}
	b, ok := iconPNGs.Load(size)
	if !ok {
		png, err := iconPNG(size)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		b, _ = iconPNGs.LoadOrStore(size, png)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(b.([]byte))
}

// offlineRoutes are the installable app's own paths.
func (c *Console) offlineRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /sw.js", c.serviceWorker)
	m.HandleFunc("GET /manifest.webmanifest", c.manifest)
	m.HandleFunc("GET /icons/{file}", c.icon)
	m.HandleFunc("GET /device", c.device)
	m.HandleFunc("GET /device/cases", c.deviceCases)
	m.HandleFunc("GET /offline", c.offlinePage)
}

// OutboxWords are the catalogue's messages the outbox script shows, for
// the page to carry (the script has no words of its own), with the month
// names and the offset of the person's clock (in seconds east of UTC), so
// that it writes a moment as the pages do ("7 Des 2026 21.13", WITA).
func (l *Locale) OutboxWords() map[string]string {
	out := map[string]string{}
	for k, v := range l.messages {
		if strings.HasPrefix(k, "outbox.") {
			out[strings.TrimPrefix(k, "outbox.")] = v
		}
	}
	_, offset := time.Now().In(l.clock()).Zone()
	out["_months"] = strings.Join(l.months, " ")
	out["_offset"] = strconv.Itoa(offset)
	return out
}
