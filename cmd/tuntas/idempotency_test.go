package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

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
