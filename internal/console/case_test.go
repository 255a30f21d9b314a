package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// oneCase is a read model holding one case and its empty timeline; any
// other read the test did not expect panics through the nil interface.
type oneCase struct {
	casework.ReadModel
	c household.Case
}

func (o oneCase) Case(_ context.Context, id string) (household.Case, error) {
	if id != o.c.ID {
		return household.Case{}, store.ErrNotFound
	}
	return o.c, nil
}

func (o oneCase) Summary(ctx context.Context, id string) (store.Summary, error) {
	c, err := o.Case(ctx, id)
	return store.SummaryOf(c), err
}

func (o oneCase) Timeline(context.Context, string, int64) ([]household.Event, error) { return nil, nil }

func (o oneCase) RecordAccess(context.Context, store.Access) error { return nil }

var flashText = regexp.MustCompile(`<p class="flash"[^>]*>([^<]*)</p>`)

func TestCasePageShowsOnlyTheCataloguesDoneMessages(t *testing.T) {
	cs := household.Case{ID: "c-1", KK: "6408010101010001", HeadNIK: "6408014101850001", HeadName: "Siti",
		VillageCode: "64.08.01.2001", DistrictCode: "64.08.01", RegencyCode: "64.08", Stage: household.StageCollecting,
		Status: household.StatusOpen, OpenedAt: time.Now()}
	c, issuer := newTestConsoleWith(t, func(cfg *Config) {
		cfg.Service = casework.New(casework.Config{Store: oneCase{c: cs}})
		cfg.API = api.NewServer(api.Config{Service: cfg.Service, Verifier: cfg.DevIssuer.Verifier()})
	})
	session := cookieOf(signIn(t, c, "https://tuntas.test", caseworkerToken(t, issuer, time.Hour), "/"), sessionCookie)
	if session == nil {
		t.Fatal("no session cookie")
	}
	phishing := "Akun Anda diblokir. Hubungi 0812-0000-0000 untuk membukanya."
	tests := []struct {
		done      string
		wantFlash string // "" for none
	}{
		{"survey", "Pendataan tersimpan."},
		{"open", "Kasus dibuka."},
		{"duplicate-resolution", "Keputusan atas kemungkinan ganda tersimpan."},
		{phishing, ""},
		{"survey ", ""},
		{"../survey", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.done, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "https://tuntas.test/cases/c-1?done="+url.QueryEscape(tt.done), nil)
			req.AddCookie(session)
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("case page: %d", rec.Code)
			}
			var flash string
			if m := flashText.FindStringSubmatch(body); m != nil {
				flash = m[1]
			}
			if flash != tt.wantFlash {
				t.Fatalf("done=%q shows the flash %q, want %q", tt.done, flash, tt.wantFlash)
			}
			// The page's own path is in its language link, encoded; the
			// words of the link must be nowhere as text.
			if strings.Contains(body, "Akun Anda diblokir") || strings.Contains(body, ">done.") {
				t.Fatalf("done=%q puts the link's words on the page", tt.done)
			}
		})
	}
}

// TestEveryActionHasOneFormThatReadsItsInput: the case page posts each
// action to one path, and every action but escalation (read by act
// itself) has its form's reader.
func TestEveryActionHasOneFormThatReadsItsInput(t *testing.T) {
	forms := map[household.Action]int{}
	for _, f := range actionForms {
		forms[f.act]++
	}
	for _, act := range household.Actions {
		if forms[act] != 1 {
			t.Errorf("%s has %d forms, want 1", act, forms[act])
		}
		if _, ok := formInputs[act]; ok == (act == household.ActEscalate) {
			t.Errorf("%s: a form reader %t", act, ok)
		}
	}
}
