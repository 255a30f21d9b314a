package systemtest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/workflows"
)

// webUI is the Temporal Web UI's origin the codec server is configured for.
const webUI = "http://127.0.0.1:8233"

// startCodecServer runs `tuntas codec-server` on s, configured by
// environment as production runs it, until the test ends, and returns
// its URL.
func startCodecServer(t *testing.T, s *testSystem) string {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(s.dataDir, "codec.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := os.ReadFile(filepath.Join(s.dataDir, "token.secret"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for k, v := range map[string]string{
		"TEMPORAL_NAMESPACE": s.Stack.Namespace, "MONGODB_URI": s.Stack.MongoURI, "MONGODB_DATABASE": devsystem.Database,
		"TUNTAS_CODEC_HTTP_ADDR": addr, "TUNTAS_CODEC_UI_ORIGIN": webUI, "TUNTAS_CODEC_KEY": strings.TrimSpace(string(key)),
		"TUNTAS_TOKEN_SECRET": strings.TrimSpace(string(secret)), "TUNTAS_OIDC_ISSUER": "", "TUNTAS_CODEC_ENCODE": "",
	} {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"codec-server"}, &bytes.Buffer{}, &bytes.Buffer{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("codec-server ended with %v", err)
		}
	})
	url := "http://" + addr
	eventually(t, time.Minute, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return url
}

// rawHistory is a case's history as Temporal keeps it, read without the
// codec (as an operator's Web UI or CLI reads it), every run.
func rawHistory(t *testing.T, s *testSystem, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	raw, err := client.Dial(client.Options{HostPort: s.Stack.TemporalAddress, Namespace: s.Stack.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var events []*historypb.HistoryEvent
	it := raw.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// payloadsOf are every payload the events hold, failures' sealed
// attributes among them, as the Web UI sends them to a codec server.
func payloadsOf(t *testing.T, events []*historypb.HistoryEvent) []*commonpb.Payload {
	t.Helper()
	var out []*commonpb.Payload
	for _, e := range events {
		err := proxy.VisitPayloads(context.Background(), e, proxy.VisitPayloadsOptions{
			SkipSearchAttributes: true,
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				out = append(out, ps...)
				return ps, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestAdministratorsReadHistoriesThroughTheCodecServerAndNobodyElse runs a
// case, takes the payloads of its history as Temporal stores them, and
// sends them to `tuntas codec-server` as the Web UI does: an administrator
// reads the household in them, and the read is on its record; anyone else
// reads nothing (401 without a valid token, 403 for every other role, 403
// from a browser page of another origin). The Temporal CLI's way (a client
// whose gRPC calls pass every payload through the remote codec) reads the
// same history for an administrator only.
func TestAdministratorsReadHistoriesThroughTheCodecServerAndNobodyElse(t *testing.T) {
	codecURL := startCodecServer(t, sys)
	p := tokens(t, sys)
	kk, head, name := nextKK(), nextNIK(), "Wulan Sandikodek"
	body := openBody(kk, "64.08.01.2001")
	body["headNik"], body["headName"] = head, name
	var c household.Case
	sys.must(t, http.StatusCreated, http.MethodPost, "/v1/cases", p.cw, body, &c)
	survey := surveyBody(600_000)
	survey["survey"].(map[string]any)["members"] = []map[string]any{
		{"nik": head, "name": name, "relation": "head", "birthDate": "1985-01-01", "sex": "F", "education": "sd", "occupation": "farmer"}}
	sys.must(t, http.StatusOK, http.MethodPost, "/v1/cases/"+c.ID+"/survey", p.cw, survey, nil)

	wid := workflows.WorkflowID(sys.Pseudonyms, kk)
	events := rawHistory(t, sys, wid)
	payloads := payloadsOf(t, events)
	sealed, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{kk, head, name} {
		if bytes.Contains(sealed, []byte(secret)) {
			t.Fatalf("the stored payloads hold %q in the clear", secret)
		}
	}

	post := func(path string, headers map[string]string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, codecURL+path, bytes.NewReader(sealed))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, b.Bytes()
	}
	// As the Web UI sends them: /decode, the namespace in X-Namespace, the
	// access token passed on, from the UI's origin.
	status, header, raw := post("/decode", map[string]string{"X-Namespace": sys.Stack.Namespace, "Origin": webUI, "Authorization": "Bearer " + p.admin})
	if status != http.StatusOK || header.Get("Access-Control-Allow-Origin") != webUI {
		t.Fatalf("the administrator's decode = %d (Allow-Origin %q): %s", status, header.Get("Access-Control-Allow-Origin"), raw)
	}
	var opened commonpb.Payloads
	if err := protojson.Unmarshal(raw, &opened); err != nil || len(opened.GetPayloads()) != len(payloads) {
		t.Fatalf("decoded %d payloads of %d: %v", len(opened.GetPayloads()), len(payloads), err)
	}
	plain, err := proto.Marshal(&opened)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{kk, head, name} {
		if !bytes.Contains(plain, []byte(secret)) {
			t.Errorf("the decoded history does not show %q", secret)
		}
	}

	for _, tt := range []struct {
		who    string
		auth   string
		status int
	}{
		{"nobody", "", http.StatusUnauthorized},
		{"a forged token", "Bearer " + p.admin[:len(p.admin)-4] + "AAAA", http.StatusUnauthorized},
		{"the caseworker", "Bearer " + p.cw, http.StatusForbidden},
		{"the supervisor", "Bearer " + p.supervisor, http.StatusForbidden},
		{"the verifier", "Bearer " + p.verifier, http.StatusForbidden},
		{"the province", "Bearer " + p.province, http.StatusForbidden},
		{"an agency", "Bearer " + p.dinsos, http.StatusForbidden},
	} {
		status, _, raw := post("/"+sys.Stack.Namespace+"/decode", map[string]string{"Authorization": tt.auth})
		if status != tt.status || bytes.Contains(raw, []byte(`"payloads"`)) {
			t.Errorf("%s's decode = %d, want %d: %s", tt.who, status, tt.status, raw)
		}
	}

	preflight := func(origin string) (int, string) {
		req, _ := http.NewRequest(http.MethodOptions, codecURL+"/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin")
	}
	if status, allow := preflight(webUI); status != http.StatusNoContent || allow != webUI {
		t.Errorf("preflight from the Web UI = %d, Allow-Origin %q", status, allow)
	}
	if status, allow := preflight("http://127.0.0.1:9999"); status != http.StatusForbidden || allow != "" {
		t.Errorf("preflight from another origin = %d, Allow-Origin %q", status, allow)
	}
	if status, _, raw := post("/decode", map[string]string{"X-Namespace": sys.Stack.Namespace, "Origin": "http://127.0.0.1:9999", "Authorization": "Bearer " + p.admin}); status != http.StatusForbidden || bytes.Contains(raw, []byte(`"payloads"`)) {
		t.Errorf("a page of another origin posting with an administrator's token = %d: %s", status, raw)
	}

	// The CLI's way (temporal workflow show --codec-endpoint … --codec-auth
	// …): a gRPC client that passes every payload through the remote codec,
	// its endpoint naming the namespace and, here, the workflow.
	endpoint := codecURL + "/{namespace}/workflows/" + wid
	show := func(token string) (workflows.CaseInput, error) {
		interceptor, err := converter.NewPayloadCodecGRPCClientInterceptor(converter.PayloadCodecGRPCClientInterceptorOptions{
			Codecs: []converter.PayloadCodec{converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
				Endpoint: strings.ReplaceAll(endpoint, "{namespace}", sys.Stack.Namespace),
				ModifyRequest: func(r *http.Request) error {
					r.Header.Set("X-Namespace", sys.Stack.Namespace)
					r.Header.Set("Authorization", "Bearer "+token)
					return nil
				},
			})},
		})
		if err != nil {
			return workflows.CaseInput{}, err
		}
		cli, err := client.Dial(client.Options{HostPort: sys.Stack.TemporalAddress, Namespace: sys.Stack.Namespace,
			ConnectionOptions: client.ConnectionOptions{DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(interceptor)}}})
		if err != nil {
			return workflows.CaseInput{}, err
		}
		defer cli.Close()
		it := cli.GetWorkflowHistory(context.Background(), wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		first, err := it.Next()
		if err != nil {
			return workflows.CaseInput{}, err
		}
		var in workflows.CaseInput
		err = converter.GetDefaultDataConverter().FromPayloads(first.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in)
		return in, err
	}
	if in, err := show(p.admin); err != nil || in.Open.HeadName != name || in.Open.KK != kk {
		t.Fatalf("the CLI's show as the administrator: %+v, %v", in.Open, err)
	}
	if in, err := show(p.supervisor); err == nil || in.Open.HeadName == name {
		t.Fatalf("the CLI's show as a supervisor read %+v", in.Open)
	}

	// Both reads are on the household's record, by the administrator; the
	// CLI's names the workflow it showed.
	var reads casework.CaseReads
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+c.ID+"/reads", p.admin, nil, &reads)
	var codecReads []casework.ReadView
	for _, r := range reads.Reads {
		if r.Route == "codec POST /"+sys.Stack.Namespace+"/decode" {
			codecReads = append(codecReads, r)
		}
	}
	if len(codecReads) < 2 || slices.ContainsFunc(codecReads, func(r casework.ReadView) bool { return r.Sub != "admin@64" || r.Rows == 0 }) ||
		!slices.ContainsFunc(codecReads, func(r casework.ReadView) bool { return r.Workflow == wid }) {
		t.Fatalf("the household's record of codec reads: %+v", codecReads)
	}
}
