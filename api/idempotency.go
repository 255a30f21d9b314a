package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/idempotency"
)

// IdempotencyStore keeps the answers of POST requests by their
// Idempotency-Key, shared by every API process (idempotency.Store in
// MongoDB).
type IdempotencyStore interface {
	BeginRequest(ctx context.Context, key string, now time.Time, stale time.Duration) (*idempotency.Response, error)
	FinishRequest(ctx context.Context, key string, r idempotency.Response) error
	AbandonRequest(ctx context.Context, key string) error
}

const (
	headerIdempotencyKey = "Idempotency-Key"
	keyIdempotency       = "tuntas.idempotency"
	// claimStale is how long a request may hold its key unanswered before
	// a retry takes over: its process died, or the answer could not be
	// kept (MongoDB was down), and every retry meanwhile is told 409. A
	// takeover is safe even while the first request still runs: the key
	// names the workflow update (the escalation, the opening), which the
	// case deduplicates.
	claimStale = 10 * time.Second
	// importClaimStale is claimStale for an import, whose upload of a
	// large list may take minutes.
	importClaimStale = 2 * time.Minute
)

// IdempotencyKey is the key under which the answer to a request is kept:
// the caller's own key, scoped to the caller and the route, so that two
// people (or two routes) never share an answer.
func IdempotencyKey(sub, method, path, key string) string {
	sum := sha256.Sum256([]byte(sub + "\x00" + method + " " + path + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

// idempotent answers a retried POST (same caller, route and
// Idempotency-Key) with the answer the first one got, so that a phone that
// retries on a bad connection records no second visit or escalation. The
// first request's body is hashed as it is read; a key reused for another
// body is refused. Answers of 5xx are not kept: the retry runs afresh. The
// key also names the workflow update (and escalation), so a retry that
// takes over after its first request died unanswered is deduplicated by
// the case itself.
func (s *Server) idempotent(c *gin.Context) {
	raw := c.GetHeader(headerIdempotencyKey)
	if raw == "" || s.idem == nil {
		c.Next()
		return
	}
	if len(raw) > 255 || !printableASCII(raw) {
		s.fail(c, invalid(field(headerIdempotencyKey, "must be 1 to 255 printable ASCII characters")))
		return
	}
	key := IdempotencyKey(principal(c).Sub, c.Request.Method, c.Request.URL.Path, raw)
	ctx := c.Request.Context()
	stale := claimStale
	if c.FullPath() == "/v1/imports" {
		stale = importClaimStale
	}

	kept, err := s.idem.BeginRequest(ctx, key, s.now(), stale)
	switch {
	case errors.Is(err, idempotency.ErrInProgress):
		c.Header("Retry-After", "2")
		s.fail(c, newProblem(household.CodeConflict, "a request with this Idempotency-Key is still being answered; retry shortly"))
		return
	case err != nil:
		s.fail(c, err)
		return
	case kept != nil:
		// Hashed as a stream, within the route's own limit: a replay must
		// not hold a large body in memory.
		limit := int64(maxBody)
		if c.FullPath() == "/v1/imports" {
			limit = maxImport
		}
		h := sha256.New()
		if _, err := io.Copy(h, http.MaxBytesReader(c.Writer, c.Request.Body, limit)); err != nil {
			s.fail(c, decodeProblem(err))
			return
		}
		if hex.EncodeToString(h.Sum(nil)) != kept.RequestHash {
			s.fail(c, invalid(field(headerIdempotencyKey, "was used before for a different request body")))
			return
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(kept.Status, kept.ContentType, kept.Body)
		c.Abort()
		return
	}

	h := sha256.New()
	c.Request.Body = hashingBody{ReadCloser: c.Request.Body, h: h}
	rec := &recordingWriter{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Set(keyIdempotency, key)
	c.Next()

	// The answer is kept even if the caller went away: it is the answer to
	// the retry that will follow.
	done := context.WithoutCancel(ctx)
	status := rec.Status()
	if status >= 500 || status == http.StatusTooManyRequests {
		if err := s.idem.AbandonRequest(done, key); err != nil {
			s.logger.ErrorContext(ctx, "abandon idempotency key", "request_id", requestID(c), "error", err)
		}
		return
	}
	_, _ = io.Copy(io.Discard, c.Request.Body) // hash a body the handler did not read to the end
	kept = &idempotency.Response{RequestHash: hex.EncodeToString(h.Sum(nil)), Status: status,
		ContentType: rec.Header().Get("Content-Type"), Body: rec.buf.Bytes(), At: s.now()}
	if err := s.idem.FinishRequest(done, key, *kept); err != nil {
		s.logger.ErrorContext(ctx, "keep idempotent answer", "request_id", requestID(c), "error", err)
	}
}

// idempotencyKey is the scoped key of the request, or "" without one.
func idempotencyKey(c *gin.Context) string { return c.GetString(keyIdempotency) }

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

type hashingBody struct {
	io.ReadCloser
	h hash.Hash
}

func (b hashingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.h.Write(p[:n])
	return n, err
}

// recordingWriter keeps a copy of the answer for the retries.
type recordingWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) WriteString(s string) (int, error) {
	w.buf.WriteString(s)
	return w.ResponseWriter.WriteString(s)
}
