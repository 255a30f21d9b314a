package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/bench"
	"github.com/tuntas-id/tuntas/internal/cluster"
)

// phones are the simulated people's devices: they send a request to one
// API and, when it fails the way a bad connection or an outage fails it,
// send it again with the same Idempotency-Key to the other API, waiting
// as long as Retry-After says.
type phones struct {
	apis   []string
	issuer *auth.Issuer
	http   *http.Client
	// timeout is how long a phone waits for one answer before it gives up
	// on that attempt (and retries); an API must answer within it.
	timeout time.Duration
	// giveUp bounds all the attempts of one request.
	giveUp time.Duration
	stats  *stats

	mu     sync.Mutex
	tokens map[bench.Person]string
}

func newPhones(apis []string, issuer *auth.Issuer, st *stats) *phones {
	return &phones{apis: apis, issuer: issuer, stats: st, timeout: 60 * time.Second, giveUp: 10 * time.Minute,
		tokens: map[bench.Person]string{},
		http:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}}
}

// token is the bearer token of a simulated person, one per role and region.
func (p *phones) token(who bench.Person) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.tokens[who]; ok {
		return t, nil
	}
	t, err := p.issuer.Issue(auth.Principal{Sub: "chaos-" + string(who.Role) + "-" + who.Region + who.Agency,
		Role: who.Role, Region: who.Region, Agency: who.Agency}, 12*time.Hour, time.Now())
	if err != nil {
		return "", fmt.Errorf("token for %v: %w", who, err)
	}
	p.tokens[who] = t
	return t, nil
}

// request is one request a person makes, retried until it is answered
// with want or refused.
type request struct {
	method string
	path   string
	who    bench.Person
	body   any
	want   int
	// key is the Idempotency-Key of a POST, the same on every attempt.
	key string
	// first is the index of the API tried first.
	first int
}

// errRefused is a request refused for good (a 4xx that is not a retry).
type errRefused struct {
	status int
	body   string
}

func (e *errRefused) Error() string { return fmt.Sprintf("refused %d: %s", e.status, e.body) }

// do sends r until it is acknowledged with r.want, refused, or giveUp
// passes, and returns the acknowledging answer's body.
func (p *phones) do(ctx context.Context, r request) ([]byte, error) {
	tok, err := p.token(r.who)
	if err != nil {
		return nil, err
	}
	var body []byte
	if r.body != nil {
		if body, err = json.Marshal(r.body); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, p.giveUp)
	defer cancel()
	for attempt := 0; ; attempt++ {
		base := p.apis[(r.first+attempt)%len(p.apis)]
		status, header, raw, err := p.once(ctx, r, base, tok, body)
		p.stats.requests.Add(1)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("%s %s: gave up after %v and %d attempts: %w", r.method, r.path, time.Since(start).Round(time.Millisecond), attempt+1, err)
		case err != nil:
			reason := netReason(err)
			if reason == "timeout" {
				p.stats.violation("%s %s via %s: no answer within %v", r.method, r.path, base, p.timeout)
			}
			p.stats.retry(reason)
			wait = backoff(attempt)
		case status == r.want:
			p.stats.acked(r.method+" "+r.path, time.Since(start))
			return raw, nil
		case status >= 500:
			p.stats.fiveXX(status)
			p.stats.checkProblem(r.method, r.path, status, header, raw)
			p.stats.retry(strconv.Itoa(status))
			wait = retryAfter(header, time.Second)
		case status == http.StatusTooManyRequests:
			p.stats.retry("429")
			wait = retryAfter(header, time.Second)
		case status == http.StatusConflict && bytes.Contains(raw, []byte("still being answered")):
			p.stats.retry("409 key in progress")
			wait = retryAfter(header, time.Second)
		default:
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, &errRefused{status: status, body: cluster.Tail(string(raw), 300)})
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s: gave up after %v and %d attempts", r.method, r.path, time.Since(start).Round(time.Millisecond), attempt+1)
		case <-time.After(wait):
		}
	}
}

// once sends one attempt of r to base.
func (p *phones) once(ctx context.Context, r request, base, tok string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, base+r.path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// netReason names why a request got no answer.
func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	}
	return "network"
}

// backoff is the wait before retrying a request that got no answer: a
// phone tries the other API at once, then waits longer each time.
func backoff(attempt int) time.Duration {
	if attempt == 0 {
		return 50 * time.Millisecond
	}
	return min(time.Duration(attempt)*250*time.Millisecond, 2*time.Second)
}

// retryAfter is the wait an answer asks for, def when it names none.
func retryAfter(h http.Header, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// stats are the run's counts, shared by every phone.
type stats struct {
	requests atomic.Int64

	mu         sync.Mutex
	retries    map[string]int64
	fivexx     map[int]int64
	violations []string
	slowest    time.Duration
	slowestReq string
	lastAck    time.Time
}

func newStats() *stats {
	return &stats{retries: map[string]int64{}, fivexx: map[int]int64{}}
}

func (s *stats) retry(reason string) {
	s.mu.Lock()
	s.retries[reason]++
	s.mu.Unlock()
}

func (s *stats) fiveXX(status int) {
	s.mu.Lock()
	s.fivexx[status]++
	s.mu.Unlock()
}

// maxViolations bounds the violations kept word for word.
const maxViolations = 50

func (s *stats) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) < maxViolations {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
	} else if len(s.violations) == maxViolations {
		s.violations = append(s.violations, "… and more")
	}
}

func (s *stats) acked(what string, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if took > s.slowest {
		s.slowest, s.slowestReq = took, what
	}
	s.lastAck = time.Now()
}

// checkProblem records a 5xx that is not what an outage must answer: 503
// or 504 problem+json with Retry-After.
func (s *stats) checkProblem(method, path string, status int, h http.Header, raw []byte) {
	var p struct {
		Status int `json:"status"`
	}
	switch {
	case status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout:
		s.violation("%s %s answered %d: %s", method, path, status, cluster.Tail(string(raw), 200))
	case !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || json.Unmarshal(raw, &p) != nil || p.Status != status:
		s.violation("%s %s answered %d without a problem+json body: %q", method, path, status, cluster.Tail(string(raw), 200))
	case h.Get("Retry-After") == "":
		s.violation("%s %s answered %d without Retry-After", method, path, status)
	}
}
