package systemtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/devstack/oidcprovider"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
)

// TestConsoleSignsPeopleInThroughTheProvidersLoginPage runs `tuntas api`
// configured by environment as production is, its console registered at
// a real OpenID provider (zitadel's certified op, in
// internal/devstack/oidcprovider) on 127.0.0.1, another site to the
// browser than the console on localhost. Through the provider's login
// page a caseworker signs in and sees their queue, their phone gets its
// outbox key and the service worker keeps nothing of the sign-in; signing
// out signs out at the provider, whose login page a supervisor then meets
// again, and sees their own queue. A callback whose state was tampered
// with, and a refused consent, end on Indonesian pages without a session.
func TestConsoleSignsPeopleInThroughTheProvidersLoginPage(t *testing.T) {
	chromium(t)
	// Loa Janan (Kutai Kartanegara), where no other test opens cases.
	const district, regency, village = "64.02.03", "64.02", "64.02.03.2001"
	people := []oidcprovider.Person{
		{Username: "wulan", Password: "wulan-sandi", Name: "Wulan", Role: household.RoleCaseworker, Region: district},
		{Username: "yosef", Password: "yosef-sandi", Name: "Yosef", Role: household.RoleSupervisor, Region: regency},
	}
	dev := func(role household.Role, region string) string {
		tok, err := sys.Issuer.Issue(auth.Principal{Sub: "setup-" + string(role), Role: role, Region: region}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	open := func(n int) string {
		body := openBody(nextKK(), village)
		body["headNik"] = fmt.Sprintf("640203410185%04d", n)
		body["headName"] = fmt.Sprintf("Keluarga Loa Janan %d", n)
		var c household.Case
		sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", dev(household.RoleCaseworker, district), body, &c)
		return c.ID
	}
	surveyID, escalatedID := open(int(kkSeq.Add(1))), open(int(kkSeq.Add(1)))
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases/"+escalatedID+"/escalations", dev(household.RoleSupervisor, regency),
		map[string]any{"level": "regency", "reason": "banjir di Loa Janan"}, nil)

	prov, err := oidcprovider.Listen("127.0.0.1:0", oidcprovider.Config{People: people})
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	base := "http://localhost:" + port
	prov.Register(oidcprovider.Client{ID: "tuntas-console", Secret: "rahasia-konsol",
		RedirectURIs: []string{base + auth.CallbackPath}, PostLogoutURIs: []string{base + auth.SignedOutPath}})

	key, err := os.ReadFile(filepath.Join(sys.dataDir, "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	// The API names new cases' workflows with the system's pseudonym key.
	personKey, err := os.ReadFile(filepath.Join(sys.dataDir, "person.key"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"TEMPORAL_ADDRESS": sys.Stack.TemporalAddress, "TEMPORAL_NAMESPACE": sys.Stack.Namespace,
		"MONGODB_URI": sys.Stack.MongoURI, "MONGODB_DATABASE": devsystem.Database, "TUNTAS_HTTP_ADDR": addr,
		"TUNTAS_METRICS_ADDR": "", "TUNTAS_TOKEN_SECRET": "", "TUNTAS_CODEC_KEY": strings.TrimSpace(string(key)), "TUNTAS_PERSON_KEY": strings.TrimSpace(string(personKey)),
		"TUNTAS_DEVICE_SECRET": strings.Repeat("d", 32),
		"TUNTAS_OIDC_ISSUER":   prov.Issuer(), "TUNTAS_OIDC_AUDIENCE": "tuntas-api", "TUNTAS_OIDC_JWKS_URL": "",
		"TUNTAS_OIDC_ROLE_CLAIM": "", "TUNTAS_OIDC_REGION_CLAIM": "", "TUNTAS_OIDC_AGENCY_CLAIM": "",
		"TUNTAS_OIDC_CLIENT_ID": "tuntas-console", "TUNTAS_OIDC_CLIENT_SECRET": "rahasia-konsol",
		"TUNTAS_OIDC_REDIRECT_URL": base + auth.CallbackPath, "TUNTAS_OIDC_POST_LOGOUT_URL": "", "TUNTAS_OIDC_SCOPES": "",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, []string{"api"}, &bytes.Buffer{}, &stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("api ended with %v: %s", err, stderr.String())
		}
	}()
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	b := newBrowser(t, base)
	// atProvider goes from a console page to the provider's login page.
	atProvider := func(path string) {
		t.Helper()
		b.open(path)
		if got := eval[string](b, `location.pathname`); got != "/signin" {
			t.Fatalf("%s without a session is %s, want the sign-in page", path, got)
		}
		b.do(chromedp.Click(chromedp.CSS("#signin-provider-submit")), chromedp.WaitVisible(chromedp.CSS("#username")))
		if u := eval[string](b, `location.origin`); u != prov.Issuer() {
			t.Fatalf("Masuk led to %s, want the provider %s", u, prov.Issuer())
		}
	}
	login := func(user, password string) {
		t.Helper()
		b.do(chromedp.SetValue(chromedp.CSS("#username"), user), chromedp.SetValue(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("#login-submit")))
	}
	queueShows := func(who, id string) {
		t.Helper()
		b.until(who+"'s queue with /cases/"+id, `location.origin === "`+base+`" && location.pathname === "/" && `+
			`!!document.querySelector('main a[href="/cases/`+id+`"]')`)
	}

	// The caseworker: Masuk, the provider's page, back to their queue.
	atProvider("/")
	login("wulan", "wulan-sandi")
	queueShows("the caseworker", surveyID)
	if who := b.text("header .person"); !strings.HasPrefix(who, "wulan ·") {
		t.Errorf("signed in as %q, want wulan", who)
	}
	// The phone holds the person's outbox key, as after any sign-in, and
	// the service worker kept no page of the sign-in.
	me := b.person()
	b.until("the outbox key on the phone", `window.TuntasOutbox.device().then(d => !!d && d.person === "`+me+`")`)
	b.until("the service worker's copy of the queue", `caches.open("pages-`+me+`").then(c => c.match("/")).then(Boolean)`)
	kept := eval[string](b, `(async () => { const out = []; for (const n of await caches.keys()) { for (const r of await (await caches.open(n)).keys()) out.push(new URL(r.url).pathname); } return out.join(" "); })()`)
	if strings.Contains(kept, "/signin") || strings.Contains(kept, "/signedout") {
		t.Errorf("the service worker kept a page of the sign-in: %s", kept)
	}

	// Signing out goes on to the provider and back to the console.
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	b.until("the console after signing out", `location.origin === "`+base+`" && location.pathname === "`+auth.SignedOutPath+`" && document.readyState === "complete"`)
	if got := b.text(".flash"); !strings.Contains(got, "Anda sudah keluar") {
		t.Errorf("after signing out the console says %q", got)
	}
	if n := prov.SignedOut("wulan"); n != 1 {
		t.Errorf("the provider ended wulan's session %d times, want 1", n)
	}

	// The supervisor, on the same browser: the provider asks again (its
	// session ended with wulan's sign-out), and their own queue shows.
	atProvider("/")
	login("yosef", "yosef-sandi")
	queueShows("the supervisor", escalatedID)
	if eval[bool](b, `!!document.querySelector('main a[href="/cases/`+surveyID+`"]')`) {
		t.Error("the supervisor's queue holds the caseworker's survey")
	}
	b.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	b.until("signed out", `location.pathname === "`+auth.SignedOutPath+`"`)

	// A refused consent: an Indonesian page, no session.
	atProvider("/")
	b.do(chromedp.Click(chromedp.CSS("#login-deny")))
	b.until("the refusal's page", `location.pathname === "`+auth.CallbackPath+`" && !!document.getElementById("signin-failed")`)
	if got := b.text("#alert"); !strings.Contains(got, "membatalkan") {
		t.Errorf("a refused consent says %q", got)
	}

	// A callback whose state was tampered with: caught on its way back,
	// its state altered, refused, and the flow spent.
	paused := chromedp.Events(b.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(b.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*" + auth.CallbackPath + "*"}}}); err != nil {
		t.Fatal(err)
	}
	caught := make(chan string, 1)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(b.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonAborted})
			caught <- ev.Request.URL
			return
		}
	}()
	atProvider("/")
	login("wulan", "wulan-sandi")
	var back string
	select {
	case back = <-caught:
	case <-time.After(stepTimeout):
		t.Fatal("the provider never sent the browser back")
	}
	if _, err := chromedp.Call(b.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(back)
	q := u.Query()
	state := []byte(q.Get("state"))
	state[len(state)-1] ^= 1
	q.Set("state", string(state))
	u.RawQuery = q.Encode()
	b.do(chromedp.Navigate(u.String()), chromedp.WaitReady(chromedp.CSS("main")))
	if got := b.text("#alert"); !strings.Contains(got, "tidak dikenali") {
		t.Errorf("a tampered state says %q", got)
	}
	b.open("/")
	if got := eval[string](b, `location.pathname`); got != "/signin" {
		t.Errorf("after a tampered state the queue is %s, want the sign-in page", got)
	}
}
