// Package codecserver owns Temporal's remote codec endpoint for operators:
// the HTTP service that the Temporal Web UI and CLI send sealed payloads to
// (POST /{namespace}/decode and /encode, or /decode with the namespace in
// X-Namespace) so that an administrator can read a case's history. It is
// the one way to see inside a history without a worker's key, so it is
// guarded like the API: a bearer token verified as the API verifies it,
// the admin role alone, whose region must hold the cases the payloads
// name, CORS for the configured Web UI origins only, and every decode kept
// on the record of who read which household's data.
package codecserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// Codec seals and opens payloads (codec.Codec): Reveal opens what it
// sealed and passes the rest through, for display.
type Codec interface {
	Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error)
	Reveal(payloads []*commonpb.Payload) ([]*commonpb.Payload, error)
}

// Records is the read model as the codec server needs it (store.Store):
// where a case lies, and the record of who read a household's data.
type Records interface {
	Summary(ctx context.Context, id string) (store.Summary, error)
	RecordAccess(ctx context.Context, a store.Access) error
}

// Config configures the handler.
type Config struct {
	Codec Codec
	// Namespace is the Temporal namespace whose payloads this server
	// opens; any other is not found.
	Namespace string
	Verifier  auth.Verifier
	Records   Records
	// Origins are the Web UI origins (scheme://host[:port]) that may call
	// from a browser; see ParseOrigins. None: no browser may.
	Origins []string
	// Encode allows /encode. Off, it answers 403: a sealed payload is what
	// a case trusts as Tuntas's own message, and encoding would let any
	// admin token forge one (a signal or update sent from the Web UI).
	Encode bool
	Logger *slog.Logger
	// Now is the clock of the audit record; time.Now when nil.
	Now func() time.Time
}

// Headers a browser may send: the Web UI sends the namespace and, with
// "pass access token" on, the bearer token; X-Workflow-Id names the
// workflow for the record when a client knows it.
const (
	HeaderNamespace = "X-Namespace"
	HeaderWorkflow  = "X-Workflow-Id"
)

// MaxBody bounds a request: Temporal refuses payloads past 2 MiB, and a
// page of a history's events is a few of them.
const MaxBody = 8 << 20

// maxRecordedCases bounds the cases one decode puts on the record.
const maxRecordedCases = 64

// Route names the codec server's reads on the audit record.
const Route = "codec POST /{namespace}/decode"

// New returns the codec server's handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &handler{cfg: cfg}
}

type handler struct{ cfg Config }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
		return
	}
	origin := r.Header.Get("Origin")
	if origin != "" {
		w.Header().Add("Vary", "Origin")
		if !slices.Contains(h.cfg.Origins, origin) {
			// A page of another site: no CORS headers, so the browser
			// keeps even this refusal from it, and nothing is decoded.
			problem(w, http.StatusForbidden, "origin not allowed", "this codec server answers only the configured Temporal Web UI")
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method == http.MethodOptions {
		if origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
			problem(w, http.StatusBadRequest, "not a preflight", "OPTIONS answers only a browser's CORS preflight")
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", http.MethodPost)
		w.Header().Set("Access-Control-Allow-Headers", strings.Join([]string{"Authorization", "Content-Type", HeaderNamespace, HeaderWorkflow}, ", "))
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		problem(w, http.StatusNotFound, "not found", "the codec server answers POST /{namespace}/decode and /{namespace}/encode")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem(w, http.StatusMethodNotAllowed, "method not allowed", "use POST")
		return
	}
	who, err := h.authenticate(r)
	if err != nil {
		h.cfg.Logger.InfoContext(r.Context(), "codec: refused", "op", rt.op, "reason", err)
		w.Header().Set("WWW-Authenticate", `Bearer realm="tuntas-codec"`)
		problem(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
		return
	}
	if who.Role != household.RoleAdmin {
		h.cfg.Logger.InfoContext(r.Context(), "codec: refused", "op", rt.op, "sub", who.Sub, "role", who.Role)
		problem(w, http.StatusForbidden, "forbidden", "only an administrator may read Temporal payloads")
		return
	}
	ns, err := rt.namespace(r.Header.Get(HeaderNamespace))
	if err != nil {
		problem(w, http.StatusBadRequest, "bad namespace", err.Error())
		return
	}
	if ns != h.cfg.Namespace {
		problem(w, http.StatusNotFound, "unknown namespace", "this codec server opens the payloads of namespace "+h.cfg.Namespace)
		return
	}
	workflow := rt.workflow
	if workflow == "" {
		workflow = r.Header.Get(HeaderWorkflow)
	}
	if len(workflow) > 1000 {
		problem(w, http.StatusBadRequest, "bad workflow", "a workflow ID is at most 1000 characters")
		return
	}
	in, status, err := readPayloads(w, r)
	if err != nil {
		problem(w, status, http.StatusText(status), err.Error())
		return
	}
	var out []*commonpb.Payload
	switch rt.op {
	case opEncode:
		out, status, err = h.encode(r.Context(), who, ns, workflow, in)
	default:
		out, status, err = h.decode(r.Context(), who, ns, workflow, in)
	}
	if err != nil {
		problem(w, status, http.StatusText(status), err.Error())
		return
	}
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
	if err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "codec: marshal", "error", err)
		problem(w, http.StatusInternalServerError, "internal error", "the payloads could not be written")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// decode opens the payloads for who, once the read is on the record: a
// decode that cannot be recorded is not answered.
func (h *handler) decode(ctx context.Context, who auth.Principal, ns, workflow string, in []*commonpb.Payload) ([]*commonpb.Payload, int, error) {
	if len(in) == 0 {
		return in, http.StatusOK, nil // nothing is read
	}
	out, err := h.cfg.Codec.Reveal(in)
	if err != nil {
		h.cfg.Logger.WarnContext(ctx, "codec: decode refused", "sub", who.Sub, "workflow", workflow, "error", err)
		return nil, http.StatusBadRequest, errors.New("a payload does not open with this server's keys")
	}
	cases, villages := subjectsOf(out)
	if status, err := h.inScope(ctx, who, cases, villages); err != nil {
		return nil, status, err
	}
	a := store.Access{Sub: who.Sub, Role: who.Role, Route: strings.Replace(Route, "{namespace}", ns, 1),
		Workflow: workflow, CaseIDs: cases, Rows: len(in), At: h.cfg.Now()}
	if len(cases) == 1 {
		a.CaseID = cases[0]
	}
	if err := h.cfg.Records.RecordAccess(ctx, a); err != nil {
		h.cfg.Logger.ErrorContext(ctx, "codec: record decode", "sub", who.Sub, "workflow", workflow, "error", err)
		return nil, http.StatusServiceUnavailable, errors.New("the read could not be recorded; nothing was decoded")
	}
	h.cfg.Logger.InfoContext(ctx, "codec: decoded", "sub", who.Sub, "namespace", ns, "workflow", workflow, "payloads", len(in), "cases", len(cases))
	return out, http.StatusOK, nil
}

// inScope checks that every case and village the payloads name lies in
// who's region, as every read of a case is checked (an administrator's
// region is a province: auth.Principal.Validate): a case the read model
// does not hold (not yet projected) is judged by its village alone.
func (h *handler) inScope(ctx context.Context, who auth.Principal, cases, villages []string) (int, error) {
	for _, id := range cases {
		sum, err := h.cfg.Records.Summary(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			h.cfg.Logger.ErrorContext(ctx, "codec: read a case's region", "case", id, "error", err)
			return http.StatusServiceUnavailable, errors.New("the cases' regions could not be read; nothing was decoded")
		}
		villages = append(villages, sum.VillageCode)
	}
	for _, v := range villages {
		if !who.Sees(v) {
			h.cfg.Logger.WarnContext(ctx, "codec: decode outside the reader's region refused", "sub", who.Sub, "region", who.Region, "village", v)
			return http.StatusForbidden, errors.New("the payloads hold a case outside your region")
		}
	}
	return http.StatusOK, nil
}

// encode seals the payloads for who, where encoding is allowed. An empty
// list has nothing to seal.
func (h *handler) encode(ctx context.Context, who auth.Principal, ns, workflow string, in []*commonpb.Payload) ([]*commonpb.Payload, int, error) {
	if len(in) == 0 {
		return in, http.StatusOK, nil
	}
	if !h.cfg.Encode {
		h.cfg.Logger.WarnContext(ctx, "codec: encode refused (off)", "sub", who.Sub, "workflow", workflow)
		return nil, http.StatusForbidden, errors.New("encoding is off on this codec server: a sealed payload is what a case trusts as Tuntas's own message")
	}
	out, err := h.cfg.Codec.Encode(in)
	if err != nil {
		h.cfg.Logger.ErrorContext(ctx, "codec: encode", "error", err)
		return nil, http.StatusInternalServerError, errors.New("the payloads could not be sealed")
	}
	h.cfg.Logger.WarnContext(ctx, "codec: encoded", "sub", who.Sub, "namespace", ns, "workflow", workflow, "payloads", len(in))
	return out, http.StatusOK, nil
}

// authenticate verifies the request's bearer token.
func (h *handler) authenticate(r *http.Request) (auth.Principal, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, auth.ErrMissing
	}
	return h.cfg.Verifier.Verify(r.Context(), strings.TrimSpace(token))
}

// The two operations of the codec protocol.
const (
	opDecode = "decode"
	opEncode = "encode"
)

// route is what a request's path says: the operation, and the namespace
// and workflow where the path names them.
type route struct {
	op, ns, workflow string
}

// parseRoute reads /decode, /{namespace}/decode and
// /{namespace}/workflows/{workflowID}/decode (and the same with encode):
// the CLI puts the namespace in the path ({namespace} in --codec-endpoint),
// the Web UI sends it as X-Namespace, and a CLI endpoint may name the
// workflow being shown so that the record says which.
func parseRoute(path string) (route, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	op := parts[len(parts)-1]
	if op != opDecode && op != opEncode {
		return route{}, false
	}
	unescape := func(s string) (string, bool) {
		v, err := url.PathUnescape(s)
		return v, err == nil && v != ""
	}
	rt := route{op: op}
	var ok bool
	switch len(parts) {
	case 1:
		return rt, true
	case 2:
		rt.ns, ok = unescape(parts[0])
		return rt, ok
	case 4:
		if parts[1] != "workflows" {
			return route{}, false
		}
		if rt.ns, ok = unescape(parts[0]); !ok {
			return route{}, false
		}
		rt.workflow, ok = unescape(parts[2])
		return rt, ok
	}
	return route{}, false
}

// namespace is the route's namespace, or the header's; both given, they
// must agree.
func (rt route) namespace(header string) (string, error) {
	switch {
	case rt.ns == "" && header == "":
		return "", fmt.Errorf("name the namespace in the path (/{namespace}/%s) or in %s", rt.op, HeaderNamespace)
	case rt.ns == "":
		return header, nil
	case header != "" && header != rt.ns:
		return "", fmt.Errorf("the path names namespace %q and %s %q", rt.ns, HeaderNamespace, header)
	}
	return rt.ns, nil
}

// readPayloads reads the request's {"payloads": [...]}.
func readPayloads(w http.ResponseWriter, r *http.Request) ([]*commonpb.Payload, int, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is larger than %d bytes", MaxBody)
	}
	if err != nil {
		return nil, http.StatusBadRequest, errors.New("the body could not be read")
	}
	var ps commonpb.Payloads
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &ps); err != nil {
		return nil, http.StatusBadRequest, errors.New(`the body must be {"payloads": [...]}, each payload as Temporal's JSON of a Payload`)
	}
	return ps.GetPayloads(), http.StatusOK, nil
}

// subjectsOf are the cases whose data the opened payloads hold, and the
// villages of the households among them, as far as their JSON says: a
// "caseId", "otherCaseId" or "fromCaseId" (events, notifications, claims,
// findings and notices), an actor's "case", and the "id" and
// "villageCode" (or "village") of an object that has a "kk" (a case, a
// projection's snapshot, an opening, a claim). The Web UI does not say
// which workflow it shows, so these put its reads on each household's
// record, and let its region be checked.
func subjectsOf(payloads []*commonpb.Payload) (cases, villages []string) {
	add := func(list *[]string, v string) {
		if v != "" && len(*list) < maxRecordedCases && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 32 {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for _, k := range []string{"caseId", "otherCaseId", "fromCaseId", "case"} {
				if s, ok := v[k].(string); ok {
					add(&cases, s)
				}
			}
			if _, household := v["kk"].(string); household {
				if id, ok := v["id"].(string); ok {
					add(&cases, id)
				}
				for _, k := range []string{"villageCode", "village"} {
					if s, ok := v[k].(string); ok {
						add(&villages, s)
					}
				}
			}
			for _, x := range v {
				walk(x, depth+1)
			}
		case []any:
			for _, x := range v {
				walk(x, depth+1)
			}
		}
	}
	for _, p := range payloads {
		if string(p.GetMetadata()["encoding"]) != "json/plain" {
			continue
		}
		var v any
		if json.Unmarshal(p.GetData(), &v) == nil {
			walk(v, 0)
		}
	}
	slices.Sort(cases)
	slices.Sort(villages)
	return cases, villages
}

// problem answers an RFC 9457 problem; detail never holds an internal
// error's text.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status, "detail": detail})
}

// ParseOrigins reads a comma-separated list of Web UI origins, each a
// scheme (http or https), a host and an optional port, nothing more: no
// wildcard, no path, no trailing slash (a browser's Origin has none, and
// the UI would fail to connect without saying why).
func ParseOrigins(spec string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(spec, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "*") {
			return nil, fmt.Errorf("codec server: origin %q: want scheme://host[:port], no wildcard, path or trailing slash", o)
		}
		out = append(out, o)
	}
	return out, nil
}
