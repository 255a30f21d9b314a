package systemtest

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestFieldOutboxTakesNoFormAnotherSitePosts: the outbox sends its items
// later as the person, with a fresh CSRF token, so a form that another
// site's page posts to the console while the phone has no signal must not
// go into it (the service worker takes only forms posted from the
// console's own pages). Before, such a visit waited in the caseworker's
// outbox and was sent as theirs when the signal returned.
func TestFieldOutboxTakesNoFormAnotherSitePosts(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	toFollowUp(t, fp, id, headNIK)

	b.signIn(fp.cw)
	b.open("/")
	b.kept("/", "/cases/"+id)
	b.until("the outbox is ready", attrIs("data-outbox-ready", "1"))

	// Another site, on another origin, with a form aimed at the case.
	page := fmt.Sprintf(`<!doctype html><title>hadiah</title>
<form id="f" method="post" action="%s">
<input name="visitDate" value="%s"><input name="monthlyExpenditure" value="900.000">
<input name="csrf" value="x"><input name="nonce" value="from-elsewhere-1"></form>`,
		html.EscapeString(sys.URL+"/cases/"+id+"/follow-ups"), today)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Referrer-Policy", "unsafe-url")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	defer evil.Close()
	b.do(chromedp.Navigate(evil.URL))
	b.until("the other site's page", `document.title === "hadiah"`)

	// The signal drops and the page posts its form.
	b.offline()
	eval[bool](b.browser, `(document.getElementById("f").submit(), true)`)
	b.until("the post's navigation ended", `document.title !== "hadiah"`)

	b.online()
	b.open("/")
	b.until("the outbox is ready again", attrIs("data-outbox-ready", "1"))
	if got := eval[string](b.browser, `document.documentElement.getAttribute("data-outbox-items")`); got != "0" {
		t.Fatalf("the outbox holds %s items after another site posted a form offline", got)
	}
	if c, _ := caseNow(t, fp.cw, id); c.FollowUp.Visits != 0 {
		t.Fatalf("another site's form recorded %d visits as the caseworker", c.FollowUp.Visits)
	}
}
