package api

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// RateLimit bounds the requests of one person (token subject) to one API
// process: Burst at once, then PerSecond.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultRateLimit is far above what a person at a screen sends, and low
// enough that one token cannot starve the others.
var DefaultRateLimit = RateLimit{PerSecond: 50, Burst: 100}

// limiters holds a token bucket per subject, forgetting idle ones.
type limiters struct {
	limit RateLimit
	mu    sync.Mutex
	by    map[string]*subjectLimiter
	swept time.Time
}

type subjectLimiter struct {
	*rate.Limiter
	seen time.Time
}

func newLimiters(l RateLimit) *limiters {
	return &limiters{limit: l, by: map[string]*subjectLimiter{}}
}

// reserve takes a request from sub's bucket and returns how long the
// caller must wait before it would be allowed, zero when it is allowed now.
func (l *limiters) reserve(sub string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, v := range l.by {
			if now.Sub(v.seen) > 10*time.Minute {
				delete(l.by, k)
			}
		}
		l.swept = now
	}
	sl, ok := l.by[sub]
	if !ok {
		sl = &subjectLimiter{Limiter: rate.NewLimiter(rate.Limit(l.limit.PerSecond), l.limit.Burst)}
		l.by[sub] = sl
	}
	sl.seen = now
	if sl.AllowN(now, 1) {
		return 0
	}
	r := sl.ReserveN(now, 1)
	wait := r.DelayFrom(now)
	r.CancelAt(now) // only asked how long; the request is refused, not queued
	return wait
}

// rateLimited answers 429 with Retry-After once a person exceeds the limit.
func (s *Server) rateLimited(c *gin.Context) {
	if s.limits == nil {
		c.Next()
		return
	}
	if wait := s.limits.reserve(principal(c).Sub, time.Now()); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.fail(c, newProblem(codeTooManyRequests, "too many requests from this account; wait and retry"))
		return
	}
	c.Next()
}
