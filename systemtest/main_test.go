package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/devcommand"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
)

// testSystem is a running `tuntas-dev dev` on free ports in a directory.
type testSystem struct {
	*devsystem.System
	cancel  context.CancelFunc
	done    chan error
	dataDir string
}

func startSystem(dir string) (*testSystem, error) {
	return startSystemWith(devsystem.Config{DataDir: dir})
}

// startSystemWith starts a system on cfg, on free loopback ports.
func startSystemWith(cfg devsystem.Config) (*testSystem, error) {
	dir := cfg.DataDir
	cfg.HTTPAddr = "127.0.0.1:0"
	if cfg.Deadlines == (household.Deadlines{}) {
		cfg.Deadlines = household.DefaultDeadlines()
	}
	if cfg.SuggestContinueAsNewAfter == 0 {
		// A case continues as new only when Temporal asks; asked this
		// early, a lifecycle in the tests spans several runs.
		cfg.SuggestContinueAsNewAfter = testRunEvents
	}
	ctx, cancel := context.WithCancel(context.Background())
	d, err := devsystem.Start(ctx, cfg)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("start dev system: %w", err)
	}
	ts := &testSystem{System: d, cancel: cancel, done: make(chan error, 1), dataDir: dir}
	go func() { ts.done <- d.Serve(ctx) }()
	return ts, nil
}

// stop shuts the system down as Ctrl-C does.
func (s *testSystem) stop() error {
	s.cancel()
	err := <-s.done
	s.Close()
	return err
}

// testRunEvents is the history length at which the test systems' Temporal
// asks a case to continue as new (the server's default is 4,096).
const testRunEvents = 60

// sys is shared by the tests that do not restart the system; each test
// uses its own family-card numbers.
//
// A test that only acts on and reads its own cases runs in parallel
// (t.Parallel; at most GOMAXPROCS at once, go test's default). A test
// stays serial when it starts a system of its own, runs reconcile over
// every case, counts what a kecamatan, a village's page, a case's record
// of reads or a person's queue holds, sets the environment, drives a
// browser, bursts at the per-person rate limit, or measures. go test runs
// every serial test before the parallel ones start, so no parallel test
// disturbs what a serial one counts.
var sys *testSystem

// asCommand, set in a child's environment, makes the test binary act as
// the tuntas-dev command: the chaos run's children are then this binary,
// and the test needs no separate build.
const asCommand = "TUNTAS_TEST_AS_COMMAND"

// childEnv makes the chaos run's children act as the command.
var childEnv = []string{asCommand + "=1"}

// commands are tuntas-dev's, whose chaos run starts this test binary.
var commands = devcommand.Set(devcommand.Config{ChildEnv: childEnv})

// run runs a command of tuntas-dev (a superset of tuntas's) as its main
// does, without the process exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return commands.Run(ctx, args, stdout, stderr)
}

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		os.Exit(commands.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "tuntas-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if sys, err = startSystem(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := sys.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop:", err)
		code = 1
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func (s *testSystem) token(t testing.TB, role household.Role, region, agency string) string {
	t.Helper()
	tok, err := s.Issuer.Issue(auth.Principal{Sub: string(role) + "@" + region, Role: role, Region: region, Agency: agency}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// call sends a JSON request, checks the answer against the OpenAPI
// document and decodes it into out (if not nil).
func (s *testSystem) call(t testing.TB, method, path, token string, body any, out any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkContract(t, req, resp, raw)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// contract is the served OpenAPI document, loaded once.
var contract = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, err
	}
	doc.Servers = nil // match paths alone, whatever port the system listens on
	return doc, nil
})

var contractRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := contract()
	if err != nil {
		return nil, err
	}
	return legacy.NewRouter(doc)
})

// checkContract fails the test (without stopping it, so that it may run
// on any goroutine) unless the response is what the OpenAPI document says
// the route answers with that status, problems included; a route the
// document does not know may only answer a problem.
func checkContract(t testing.TB, req *http.Request, resp *http.Response, raw []byte) {
	t.Helper()
	doc, err := contract()
	if err != nil {
		t.Errorf("OpenAPI document: %v", err)
		return
	}
	router, err := contractRouter()
	if err != nil {
		t.Errorf("OpenAPI router: %v", err)
		return
	}
	// The schema printed with every error would bury the reason.
	quiet := []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}
	route, params, err := router.FindRoute(req)
	if err != nil {
		var v any
		if jerr := json.Unmarshal(raw, &v); jerr != nil || resp.StatusCode < 400 ||
			doc.Components.Schemas["Problem"].Value.VisitJSON(v, append(quiet, openapi3.VisitAsResponse())...) != nil {
			t.Errorf("%s %s answered %d, which the document does not describe: %s", req.Method, req.URL.Path, resp.StatusCode, raw)
		}
		return
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, SchemaValidationOptions: quiet},
	})
	if err != nil {
		t.Errorf("%s %s answered %d against the OpenAPI document: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, raw)
	}
}

// must calls and fails the test unless the status is want.
func (s *testSystem) must(t testing.TB, want int, method, path, token string, body any, out any) []byte {
	t.Helper()
	got, raw := s.call(t, method, path, token, body, out)
	if got != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, got, want, raw)
	}
	return raw
}

// eventually polls cond every 50ms until it holds, failing the test after timeout.
func eventually(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("condition not met within %v", timeout)
		case <-tick.C:
		}
	}
}
