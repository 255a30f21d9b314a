package codecserver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/codec"
	"github.com/tuntas-id/tuntas/internal/codecserver"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

const ui = "https://temporal-ui.dinsos.example"

// audit is the read model: where cases lie (summaries by ID; any other
// is not found), and the records of reads; err fails both.
type audit struct {
	mu        sync.Mutex
	summaries map[string]store.Summary
	records   []store.Access
	err       error
}

func (a *audit) Summary(_ context.Context, id string) (store.Summary, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return store.Summary{}, a.err
	}
	sum, ok := a.summaries[id]
	if !ok {
		return store.Summary{}, store.ErrNotFound
	}
	return sum, nil
}

func (a *audit) RecordAccess(_ context.Context, r store.Access) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.records = append(a.records, r)
	return nil
}

type fixture struct {
	t      *testing.T
	ring   *codec.Keyring
	issuer *auth.Issuer
	audit  *audit
	srv    *httptest.Server
}

func newFixture(t *testing.T, encode bool) *fixture {
	t.Helper()
	spec, err := codec.NewKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := codec.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := auth.NewIssuer([]byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ring: ring, issuer: issuer, audit: &audit{summaries: map[string]store.Summary{"run-7": {ID: "run-7", VillageCode: "64.08.01.2001"}}}}
	f.srv = httptest.NewServer(codecserver.New(codecserver.Config{Codec: codec.New(ring), Namespace: "default",
		Verifier: issuer.Verifier(), Records: f.audit, Origins: []string{ui}, Encode: encode}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) token(role household.Role, region string) string {
	f.t.Helper()
	tok, err := f.issuer.Issue(auth.Principal{Sub: string(role) + "@dinsos", Role: role, Region: region}, time.Hour, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return tok
}

// sealed are payloads as a case's history holds them: a case (with its
// KK) and an event naming it, sealed by the codec.
func (f *fixture) sealed() []*commonpb.Payload {
	f.t.Helper()
	return f.seal(map[string]any{"id": "run-7", "kk": "6408010101200001", "headName": "Siti Aminah", "villageCode": "64.08.01.2001"},
		map[string]any{"caseId": "run-7", "summary": "survey submitted"})
}

// seal seals values as the workers do.
func (f *fixture) seal(values ...any) []*commonpb.Payload {
	f.t.Helper()
	ps, err := codec.DataConverter(f.ring).ToPayloads(values...)
	if err != nil {
		f.t.Fatal(err)
	}
	return ps.GetPayloads()
}

func body(t *testing.T, ps []*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends payloads to path with the given headers.
func (f *fixture) post(path string, headers map[string]string, ps []*commonpb.Payload) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, bytes.NewReader(body(f.t, ps)))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if _, err := out.ReadFrom(resp.Body); err != nil {
		f.t.Fatal(err)
	}
	return resp, out.Bytes()
}

// opened is the data of the payloads an answer holds, one after another;
// nothing for an answer that holds none (a problem).
func opened(t *testing.T, raw []byte) []byte {
	t.Helper()
	var ps commonpb.Payloads
	if protojson.Unmarshal(raw, &ps) != nil {
		return nil
	}
	var out []byte
	for _, p := range ps.GetPayloads() {
		out = append(out, p.GetData()...)
	}
	return out
}

func TestAnAdministratorReadsTheHistoryAndTheReadIsRecorded(t *testing.T) {
	tests := []struct {
		name, path   string
		headers      map[string]string
		wantWorkflow string
	}{
		{"the CLI, namespace in the path", "/default/decode", nil, ""},
		{"the CLI, the workflow in the path", "/default/workflows/household-abc/decode", nil, "household-abc"},
		{"the Web UI, namespace in a header", "/decode", map[string]string{"X-Namespace": "default", "Origin": ui}, ""},
		{"a script naming the workflow", "/default/decode", map[string]string{"X-Workflow-Id": "household-def"}, "household-def"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			headers := map[string]string{"Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}
			for k, v := range tt.headers {
				headers[k] = v
			}
			resp, raw := f.post(tt.path, headers, f.sealed())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("= %d: %s", resp.StatusCode, raw)
			}
			var out commonpb.Payloads
			if err := protojson.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			var c struct {
				KK       string `json:"kk"`
				HeadName string `json:"headName"`
			}
			if err := converter.GetDefaultDataConverter().FromPayload(out.GetPayloads()[0], &c); err != nil || c.HeadName != "Siti Aminah" || c.KK != "6408010101200001" {
				t.Fatalf("decoded %+v, %v", c, err)
			}
			if origin := tt.headers["Origin"]; origin != "" && resp.Header.Get("Access-Control-Allow-Origin") != origin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", resp.Header.Get("Access-Control-Allow-Origin"), origin)
			}
			if len(f.audit.records) != 1 {
				t.Fatalf("records %+v, want one", f.audit.records)
			}
			r := f.audit.records[0]
			if r.Sub != "admin@dinsos" || r.Role != household.RoleAdmin || r.Route != "codec POST /default/decode" ||
				r.Workflow != tt.wantWorkflow || r.Rows != 2 || r.CaseID != "run-7" || !slices.Equal(r.CaseIDs, []string{"run-7"}) || r.At.IsZero() {
				t.Fatalf("recorded %+v", r)
			}
		})
	}
}

func TestOnlyAnAdministratorWithAValidTokenReadsAnything(t *testing.T) {
	f := newFixture(t, false)
	other, err := auth.NewIssuer([]byte(strings.Repeat("o", 32)))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Issue(auth.Principal{Sub: "x", Role: household.RoleAdmin, Region: "64"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		auth   string
		status int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"not a bearer token", "Basic YWRtaW46YWRtaW4=", http.StatusUnauthorized},
		{"a token another key signed", "Bearer " + forged, http.StatusUnauthorized},
		{"a caseworker", "Bearer " + f.token(household.RoleCaseworker, "64.08.01"), http.StatusForbidden},
		{"a supervisor", "Bearer " + f.token(household.RoleSupervisor, "64.08"), http.StatusForbidden},
		{"the province", "Bearer " + f.token(household.RoleProvince, "64"), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := f.post("/default/decode", map[string]string{"Authorization": tt.auth}, f.sealed())
			if resp.StatusCode != tt.status {
				t.Fatalf("= %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if len(opened(t, raw)) > 0 {
				t.Fatalf("the refusal holds payloads: %s", raw)
			}
		})
	}
	if len(f.audit.records) != 0 {
		t.Fatalf("refusals recorded as reads: %+v", f.audit.records)
	}
}

func TestCORSAnswersOnlyTheConfiguredWebUI(t *testing.T) {
	f := newFixture(t, false)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, f.srv.URL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := preflight(ui)
	allowed := strings.ToLower(ok.Header.Get("Access-Control-Allow-Headers"))
	if ok.StatusCode != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != ui ||
		!strings.Contains(ok.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(allowed, "authorization") || !strings.Contains(allowed, "x-namespace") {
		t.Fatalf("preflight from the UI = %d %v", ok.StatusCode, ok.Header)
	}
	for _, origin := range []string{"https://evil.example", "https://temporal-ui.dinsos.example.evil.example", "http://temporal-ui.dinsos.example", "null"} {
		denied := preflight(origin)
		if denied.StatusCode != http.StatusForbidden || denied.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s = %d, Allow-Origin %q; want 403 without it", origin, denied.StatusCode, denied.Header.Get("Access-Control-Allow-Origin"))
		}
		// A page of that site posting anyway (a simple request skips the
		// preflight) decodes nothing, even with an admin's token.
		resp, raw := f.post("/default/decode", map[string]string{"Origin": origin, "Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}, f.sealed())
		if resp.StatusCode != http.StatusForbidden || len(opened(t, raw)) > 0 {
			t.Errorf("a post from %s = %d: %s", origin, resp.StatusCode, raw)
		}
	}
	if len(f.audit.records) != 0 {
		t.Fatalf("refused origins recorded reads: %+v", f.audit.records)
	}
}

func TestADecodeThatCannotBeRecordedIsNotAnswered(t *testing.T) {
	f := newFixture(t, false)
	f.audit.err = errors.New("mongodb: connection refused")
	resp, raw := f.post("/default/decode", map[string]string{"Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}, f.sealed())
	if resp.StatusCode != http.StatusServiceUnavailable || len(opened(t, raw)) > 0 || bytes.Contains(raw, []byte("mongodb")) {
		t.Fatalf("= %d: %s", resp.StatusCode, raw)
	}
}

func TestPayloadsAreOpenedOnlyWhereTheyShouldBe(t *testing.T) {
	f := newFixture(t, false)
	admin := map[string]string{"Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}

	// A search attribute's payload was never sealed: it comes back as it is.
	plain, err := converter.GetDefaultDataConverter().ToPayload("64.08.01.2001")
	if err != nil {
		t.Fatal(err)
	}
	resp, raw := f.post("/default/decode", admin, append(f.sealed(), plain))
	var out commonpb.Payloads
	if resp.StatusCode != http.StatusOK || protojson.Unmarshal(raw, &out) != nil || len(out.GetPayloads()) != 3 || !proto.Equal(out.GetPayloads()[2], plain) {
		t.Fatalf("with an unsealed payload = %d: %s", resp.StatusCode, raw)
	}

	// A tampered one does not open, and says nothing of why.
	bad := f.sealed()
	bad[0].Data[len(bad[0].Data)-1] ^= 1
	if resp, raw := f.post("/default/decode", admin, bad); resp.StatusCode != http.StatusBadRequest || len(opened(t, raw)) > 0 {
		t.Fatalf("tampered = %d: %s", resp.StatusCode, raw)
	}
	// Another namespace's payloads are not this server's.
	if resp, raw := f.post("/other/decode", admin, f.sealed()); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another namespace = %d: %s", resp.StatusCode, raw)
	}
	if resp, raw := f.post("/default/decode", map[string]string{"Authorization": admin["Authorization"], "X-Namespace": "other"}, f.sealed()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("path and header disagree = %d: %s", resp.StatusCode, raw)
	}
	if resp, raw := f.post("/default/peek", admin, f.sealed()); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown route = %d: %s", resp.StatusCode, raw)
	}
}

func TestEncodingIsOffUnlessTurnedOn(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"sub": "system"})
	if err != nil {
		t.Fatal(err)
	}
	off := newFixture(t, false)
	admin := map[string]string{"Authorization": "Bearer " + off.token(household.RoleAdmin, "64")}
	if resp, raw := off.post("/default/encode", admin, []*commonpb.Payload{plain}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("encode while off = %d: %s", resp.StatusCode, raw)
	}
	// The CLI encodes a request's payloads, and most requests have none.
	if resp, raw := off.post("/default/encode", admin, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("encode of nothing = %d: %s", resp.StatusCode, raw)
	}
	on := newFixture(t, true)
	resp, raw := on.post("/default/encode", map[string]string{"Authorization": "Bearer " + on.token(household.RoleAdmin, "64")}, []*commonpb.Payload{plain})
	var out commonpb.Payloads
	if resp.StatusCode != http.StatusOK || protojson.Unmarshal(raw, &out) != nil || len(out.GetPayloads()) != 1 {
		t.Fatalf("encode while on = %d: %s", resp.StatusCode, raw)
	}
	var got map[string]string
	if err := codec.DataConverter(on.ring).FromPayload(out.GetPayloads()[0], &got); err != nil || got["sub"] != "system" {
		t.Fatalf("the sealed payload opens as %v, %v", got, err)
	}
}

func TestOriginsAreExactSchemeHostAndPort(t *testing.T) {
	good, err := codecserver.ParseOrigins(" https://ui.example:8443 , http://127.0.0.1:8233")
	if err != nil || !slices.Equal(good, []string{"https://ui.example:8443", "http://127.0.0.1:8233"}) {
		t.Fatalf("= %v, %v", good, err)
	}
	for _, bad := range []string{"*", "https://*.example", "https://ui.example/", "https://ui.example/path", "ui.example", "ftp://ui.example", "https://user@ui.example", "null"} {
		if _, err := codecserver.ParseOrigins(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// An administrator reads only cases in their region, as every read is
// checked: every case and household the payloads name must lie in it. (An
// administrator's region is a province; the registry holds one, so the
// cases of another province are what a read model shared wrongly would
// hold.)
func TestAnAdministratorReadsOnlyCasesInTheirRegion(t *testing.T) {
	f := newFixture(t, false)
	f.audit.summaries["run-9"] = store.Summary{ID: "run-9", VillageCode: "63.01.01.2001"}
	tests := []struct {
		name     string
		payloads []*commonpb.Payload
		status   int
	}{
		{"a case of the province", f.sealed(), http.StatusOK},
		{"a case of another province, by its ID", f.seal(map[string]any{"caseId": "run-9", "summary": "survey submitted"}), http.StatusForbidden},
		{"an opening in another province, by its village", f.seal(map[string]any{"open": map[string]any{"kk": "6301010101200001", "headName": "Siti Aminah", "villageCode": "63.01.01.2001"}}), http.StatusForbidden},
		{"a case not yet in the read model, by its village", f.seal(map[string]any{"caseId": "run-new", "village": "64.08.01.2001", "kk": "6408010101200002", "headName": "Siti Aminah"}), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.audit.records)
			resp, raw := f.post("/default/decode", map[string]string{"Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}, tt.payloads)
			if resp.StatusCode != tt.status {
				t.Fatalf("= %d, want %d: %s", resp.StatusCode, tt.status, raw)
			}
			if recorded := len(f.audit.records) - before; (tt.status == http.StatusOK) != (recorded == 1) || bytes.Contains(opened(t, raw), []byte("Siti")) != (tt.status == http.StatusOK) {
				t.Fatalf("recorded %d reads, answered %s", recorded, raw)
			}
		})
	}
}

func TestADecodeWhoseCasesCannotBeLocatedIsNotAnswered(t *testing.T) {
	f := newFixture(t, false)
	f.audit.err = errors.New("mongodb: connection refused")
	resp, raw := f.post("/default/decode", map[string]string{"Authorization": "Bearer " + f.token(household.RoleAdmin, "64")}, f.seal(map[string]any{"caseId": "run-7"}))
	if resp.StatusCode != http.StatusServiceUnavailable || len(opened(t, raw)) > 0 || bytes.Contains(raw, []byte("mongodb")) {
		t.Fatalf("= %d: %s", resp.StatusCode, raw)
	}
}
