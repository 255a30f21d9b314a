package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/household"
)

// post sends body with an Idempotency-Key, as a phone retrying on a bad
// connection does, and returns the status, the replay header and the body.
func postWithKey(t *testing.T, path, token, key string, body any) (int, string, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, sys.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), raw
}

func TestRetriedPostsWithAnIdempotencyKeyActOnce(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	l := openCase(t, p, nextKK())
	id := "/v1/cases/" + l.id

	// A draft saved twice with one key records one event.
	draft := surveyBody(600_000)
	draft["draft"] = true
	s1, _, first := postWithKey(t, id+"/survey", p.cw, "draft-1", draft)
	s2, replayed, second := postWithKey(t, id+"/survey", p.cw, "draft-1", draft)
	if s1 != http.StatusOK || s2 != http.StatusOK || replayed != "true" || !bytes.Equal(first, second) {
		t.Fatalf("retried draft: %d then %d (replayed %q), same body %t", s1, s2, replayed, bytes.Equal(first, second))
	}
	// The same key for another body is refused, naming the header.
	other := surveyBody(700_000)
	other["draft"] = true
	if got, _, raw := postWithKey(t, id+"/survey", p.cw, "draft-1", other); got != http.StatusUnprocessableEntity || !bytes.Contains(raw, []byte("Idempotency-Key")) {
		t.Fatalf("key reused for another body: %d %s", got, raw)
	}

	// An escalation retried with its key is one escalation.
	esc := map[string]any{"level": "province", "reason": "no KTP"}
	var a, b struct {
		EscalationID string         `json:"escalationId"`
		Case         household.Case `json:"case"`
	}
	s1, _, raw1 := postWithKey(t, id+"/escalations", p.supervisor, "esc-key-1", esc)
	s2, _, raw2 := postWithKey(t, id+"/escalations", p.supervisor, "esc-key-1", esc)
	_ = json.Unmarshal(raw1, &a)
	_ = json.Unmarshal(raw2, &b)
	if s1 != http.StatusCreated || s2 != http.StatusCreated || a.EscalationID == "" || a.EscalationID != b.EscalationID {
		t.Fatalf("retried escalation: %d %s / %d %s", s1, a.EscalationID, s2, b.EscalationID)
	}
	// A key is the caller's own: the province using the same key acts anew
	// (and is refused here only because a province escalation is open).
	if got, replayed, _ := postWithKey(t, id+"/escalations", p.province, "esc-key-1", esc); replayed == "true" || got != http.StatusConflict {
		t.Fatalf("another person's request with the same key: %d, replayed %q", got, replayed)
	}

	var tl struct {
		Events []household.Event `json:"events"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, id+"/timeline", p.admin, nil, &tl)
	counts := map[string]int{}
	for _, e := range tl.Events {
		counts[e.Type]++
	}
	if counts[household.EventSurveySaved] != 1 || counts[household.EventEscalated] != 1 {
		t.Fatalf("timeline after retries: %v, want one saved draft and one escalation", counts)
	}
}

// loseAnswer forgets the kept answer to a keyed request, as when the API
// that answered could not keep it (MongoDB was down) or the answer never
// reached the phone and the API died: the retry reaches the case again.
func loseAnswer(t *testing.T, role household.Role, region, path, key string) {
	t.Helper()
	sub := string(role) + "@" + region // as testSystem.token names people
	if err := sys.Idempotency.AbandonRequest(context.Background(), api.IdempotencyKey(sub, http.MethodPost, path, key)); err != nil {
		t.Fatal(err)
	}
}

// A retried action that had landed gets its original answer, not a
// refusal a phone cannot tell from a real one: the graduation that closed
// the case (409 "the case is closed" before), the visit that continued
// it as new (recorded twice before), the opening itself.
func TestARetriedActionThatLandedGetsItsAnswer(t *testing.T) {
	t.Parallel()
	p := tokens(t, sys)
	kk := nextKK()
	open := openBody(kk, "64.08.01.2001")
	s1, _, raw1 := postWithKey(t, "/v1/cases", p.cw, "open-"+kk, open)
	loseAnswer(t, household.RoleCaseworker, "64.08.01", "/v1/cases", "open-"+kk)
	s2, replayed, raw2 := postWithKey(t, "/v1/cases", p.cw, "open-"+kk, open)
	var first, again household.Case
	_ = json.Unmarshal(raw1, &first)
	_ = json.Unmarshal(raw2, &again)
	if s1 != http.StatusCreated || s2 != http.StatusCreated || replayed == "true" || first.ID == "" || again.ID != first.ID {
		t.Fatalf("open %d %s, retried after its answer was lost %d %s", s1, first.ID, s2, raw2)
	}

	l := &lifecycle{t: t, s: sys, p: p, id: first.ID}
	l.toVerification(600_000)
	l.do(p.verifier, "/verification", map[string]any{"outcome": "extreme_poor"})
	l.do(p.supervisor, "/interventions", map[string]any{"interventions": []map[string]any{{"program": "pkh", "agency": "dinsos"}}})
	l.do(p.dinsos, "/interventions/iv-1/status", map[string]any{"status": "acknowledged"})
	base := "/v1/cases/" + l.id
	tests := []struct {
		name, path, token, key string
		role                   household.Role
		region                 string
		body                   map[string]any
		check                  func(household.Case) bool
	}{
		{"a visit that continued the case as new", base + "/follow-ups", p.cw, "visit-" + kk, household.RoleCaseworker, "64.08.01",
			map[string]any{"visitDate": today, "monthlyExpenditure": 900_000},
			func(c household.Case) bool { return c.Status == household.StatusOpen && c.FollowUp.Visits == 1 }},
		{"a graduation that closed the case", base + "/graduation", p.verifier, "graduate-" + kk, household.RoleVerifier, "64.08",
			map[string]any{"notes": "above the line"},
			func(c household.Case) bool { return c.Outcome == household.OutcomeGraduated }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s1, _, raw1 := postWithKey(t, tt.path, tt.token, tt.key, tt.body)
			loseAnswer(t, tt.role, tt.region, tt.path, tt.key)
			s2, _, raw2 := postWithKey(t, tt.path, tt.token, tt.key, tt.body)
			var a, b household.Case
			_ = json.Unmarshal(raw1, &a)
			_ = json.Unmarshal(raw2, &b)
			if s1 != http.StatusOK || s2 != http.StatusOK || !tt.check(a) || !tt.check(b) {
				t.Fatalf("first %d %s\nretry %d %s", s1, raw1, s2, raw2)
			}
		})
	}
	// Another action on the closed case is still refused as closed.
	if got, _, raw := postWithKey(t, base+"/follow-ups", p.cw, "late-"+kk, map[string]any{"visitDate": today, "monthlyExpenditure": 900_000}); got != http.StatusConflict {
		t.Fatalf("a new visit to the closed case: %d %s", got, raw)
	}
	var tl struct {
		Events []household.Event `json:"events"`
	}
	sys.must(t, http.StatusOK, http.MethodGet, base+"/timeline", p.admin, nil, &tl)
	counts := map[string]int{}
	for _, e := range tl.Events {
		counts[e.Type]++
	}
	if counts[household.EventOpened] != 1 || counts[household.EventFollowUpRecorded] != 1 || counts[household.EventGraduated] != 1 {
		t.Fatalf("timeline after the retries: %v, want one opening, one visit and one graduation", counts)
	}
}

// A key whose request could not keep its answer is taken over by a retry
// after ten seconds, not held "in progress" (409) for a minute; a younger
// claim still holds retries off.
func TestAStaleIdempotencyClaimIsTakenOver(t *testing.T) {
	p := tokens(t, sys)
	tests := []struct {
		name   string
		age    time.Duration
		status int
	}{
		{"claimed eleven seconds ago", 11 * time.Second, http.StatusOK},
		{"claimed two seconds ago", 2 * time.Second, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := openCase(t, p, nextKK())
			path, key := "/v1/cases/"+l.id+"/survey", "survey-"+l.id
			claim := api.IdempotencyKey(string(household.RoleCaseworker)+"@64.08.01", http.MethodPost, path, key)
			if _, err := sys.Idempotency.BeginRequest(context.Background(), claim, time.Now().Add(-tt.age), time.Minute); err != nil {
				t.Fatal(err)
			}
			got, _, raw := postWithKey(t, path, p.cw, key, surveyBody(600_000))
			if got != tt.status {
				t.Fatalf("retry = %d, want %d: %s", got, tt.status, raw)
			}
		})
	}
}
