// Package api is Tuntas's HTTP API: the Gin router, its handlers and
// request types, problem+json errors, bearer-token authentication with role
// and region scope, the Idempotency-Key, and the OpenAPI document. Each
// /v1 handler adapts one call of the case work (internal/casework), which
// holds every rule of who may read or do what; writes go to the case
// workflows through Temporal, reads come from the MongoDB read model.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

// HealthChecker is the workflow service as /readyz checks it.
type HealthChecker interface {
	CheckHealth(ctx context.Context, req *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

// Pinger is the read model as /readyz checks it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config wires a Server.
type Config struct {
	// Service is the case work the /v1 handlers adapt; without it only
	// what needs none is served (probes, the document, the registry).
	Service *casework.Service
	// Temporal and Store are the service's dependencies, as /readyz checks
	// them.
	Temporal HealthChecker
	Store    Pinger
	// Verifier checks bearer tokens: HS256 in dev, OIDC in production.
	Verifier auth.Verifier
	Logger   *slog.Logger
	// Now is the clock of the answers kept by Idempotency-Key; time.Now
	// when nil.
	Now func() time.Time
	// Idempotency keeps answers by Idempotency-Key; without it the header
	// is ignored.
	Idempotency IdempotencyStore
	// RateLimit bounds each person's requests; DefaultRateLimit when zero,
	// none when PerSecond is negative.
	RateLimit RateLimit
	// Metrics, when set, are served by the caller on an address of their
	// own and not at /metrics; when nil the API keeps its own at /metrics.
	Metrics *Metrics
}

// Server holds the handlers' dependencies.
type Server struct {
	svc      *casework.Service
	temporal HealthChecker
	store    Pinger
	verifier auth.Verifier
	logger   *slog.Logger
	now      func() time.Time
	metrics  *Metrics
	idem     IdempotencyStore
	limits   *limiters
	// metricsRoute is whether /metrics is served on the API router.
	metricsRoute bool
}

// New returns the API's HTTP handler.
func New(cfg Config) http.Handler { return NewServer(cfg).Handler() }

// NewServer returns the API, whose Handler serves /v1.
func NewServer(cfg Config) *Server {
	s := &Server{svc: cfg.Service, temporal: cfg.Temporal, store: cfg.Store, verifier: cfg.Verifier, logger: cfg.Logger,
		now: cfg.Now, metrics: cfg.Metrics, idem: cfg.Idempotency}
	switch {
	case cfg.RateLimit == (RateLimit{}):
		s.limits = newLimiters(DefaultRateLimit)
	case cfg.RateLimit.PerSecond >= 0:
		s.limits = newLimiters(cfg.RateLimit)
	}
	if s.metrics == nil {
		s.metrics, s.metricsRoute = NewMetrics(), true
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	OpenAPI() // a broken document stops the server here, not at its first reader
	return s
}

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler { return s.router() }

// Verifier is how the API checks tokens; the console signs in with it.
func (s *Server) Verifier() auth.Verifier { return s.verifier }

// Throttle takes one request from the person's bucket, shared with /v1,
// and returns how long they must wait first (zero: go ahead).
func (s *Server) Throttle(sub string) time.Duration {
	if s.limits == nil {
		return 0
	}
	return s.limits.reserve(sub, time.Now())
}

// maxBody bounds every request body but an import's: the largest real
// action, a survey of 30 members, is under 10 KiB of JSON.
const maxBody = 64 << 10

func (s *Server) router() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	_ = r.SetTrustedProxies(nil)
	r.HandleMethodNotAllowed = true
	r.Use(s.requestIDs, s.recover, s.observe)
	r.NoRoute(func(c *gin.Context) { s.fail(c, newProblem(household.CodeNotFound, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, newProblem(codeMethodNotAllowed, "method not allowed on this route"))
	})

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	if s.metricsRoute {
		r.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	}
	r.GET("/openapi.json", s.openapi)

	v1 := r.Group("/v1", s.authenticate, s.rateLimited)
	for _, rt := range s.routes() {
		chain := []gin.HandlerFunc{s.allow(rt.roles...)}
		if rt.method == http.MethodPost {
			chain = append(chain, s.idempotent)
		}
		v1.Handle(rt.method, rt.path, append(chain, rt.handler)...)
	}
	return r
}

type route struct {
	method  string
	path    string
	roles   []household.Role // admin is always allowed
	handler gin.HandlerFunc
}

var anyRole = household.Roles

// routes lists every /v1 route with the roles allowed on it (those of its
// action, for an action); the OpenAPI test checks the document against
// this list. The service checks the roles again.
func (s *Server) routes() []route {
	const (
		cw  = household.RoleCaseworker
		sup = household.RoleSupervisor
		pr  = household.RoleProvince
	)
	return []route{
		{http.MethodPost, "/cases", []household.Role{cw}, s.openCase},
		{http.MethodGet, "/cases", anyRole, s.listCases},
		{http.MethodGet, "/cases/:id", anyRole, s.getCase},
		{http.MethodGet, "/cases/:id/timeline", anyRole, s.timeline},
		{http.MethodGet, "/cases/:id/reads", nil, s.caseReads},
		{http.MethodPost, "/cases/:id/survey", household.ActSurvey.Roles(), s.survey},
		{http.MethodPost, "/cases/:id/village-confirmation", household.ActVillage.Roles(), s.villageConfirmation},
		{http.MethodPost, "/cases/:id/verification", household.ActVerification.Roles(), s.verification},
		{http.MethodPost, "/cases/:id/graduation", household.ActGraduate.Roles(), s.graduation},
		{http.MethodPost, "/cases/:id/interventions", household.ActAssign.Roles(), s.assignInterventions},
		{http.MethodPost, "/cases/:id/interventions/:iid/status", household.ActIntervention.Roles(), s.interventionStatus},
		{http.MethodPost, "/cases/:id/follow-ups", household.ActFollowUp.Roles(), s.followUp},
		{http.MethodPost, "/cases/:id/photos", casework.PhotoRoles(), s.uploadPhoto},
		{http.MethodGet, "/cases/:id/photos/:pid", anyRole, s.photo},
		{http.MethodPost, "/cases/:id/escalations", household.ActEscalate.Roles(), s.escalate},
		{http.MethodPost, "/cases/:id/escalations/:eid/resolution", household.ActResolve.Roles(), s.resolveEscalation},
		{http.MethodPost, "/cases/:id/close", household.ActClose.Roles(), s.closeCase},
		{http.MethodPost, "/cases/:id/duplicate-resolution", household.ActDuplicateResolution.Roles(), s.duplicateResolution},
		{http.MethodPost, "/cases/:id/transfers", household.ActTransfer.Roles(), s.transfer},
		{http.MethodPost, "/cases/:id/transfers/:tid/answer", household.ActTransferAnswer.Roles(), s.transferAnswer},
		{http.MethodPost, "/cases/:id/transfers/:tid/cancel", household.ActTransferCancel.Roles(), s.transferCancel},
		{http.MethodGet, "/duplicates", []household.Role{sup, pr}, s.duplicates},
		{http.MethodGet, "/dashboard", casework.DashboardRoles(), s.dashboard},
		{http.MethodGet, "/reports/province", []household.Role{pr}, s.provinceReport},
		{http.MethodGet, "/reports/quarterly", casework.QuarterlyRoles(), s.quarterlyReport},
		{http.MethodGet, "/reports/bnba", casework.BNBARoles(), s.villageList},
		{http.MethodGet, "/regions", anyRole, s.regions},
		{http.MethodPost, "/imports", nil, s.startImport},
		{http.MethodGet, "/imports/:id", nil, s.getImport},
		// The living list (docs/living-list.md).
		{http.MethodPost, "/proposals", household.ProposeRoles, s.propose},
		{http.MethodGet, "/proposals", casework.ListReaders(), s.proposals},
		{http.MethodGet, "/proposals/:id", casework.ListReaders(), s.proposal},
		{http.MethodPost, "/proposals/:id/screening", household.ScreenRoles, s.screen},
		{http.MethodPost, "/cases/:id/objections", household.ObjectRoles, s.object},
		{http.MethodGet, "/objections", casework.ListReaders(), s.objections},
		{http.MethodGet, "/objections/:id", casework.ListReaders(), s.objection},
		{http.MethodPost, "/objections/:id/answer", household.AnswerRoles, s.answerObjection},
		{http.MethodPost, "/villages/:code/publication", casework.PublishRoles(), s.publish},
		{http.MethodGet, "/villages/:code/posted-list", casework.PrintRoles(), s.postedList},
	}
}

const (
	keyRequestID = "tuntas.requestID"
	keyPrincipal = "tuntas.principal"
)

func (s *Server) requestIDs(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(keyRequestID, id)
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(keyRequestID) }

// recover answers a panic as a generic 500, logged once.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.ErrorContext(c.Request.Context(), "panic", "request_id", requestID(c), "path", c.Request.URL.Path, "panic", v)
			s.fail(c, newProblem(codeInternal, "an internal error occurred; quote the request ID when reporting it"))
		}
	}()
	c.Next()
}

func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="tuntas"`)
		s.fail(c, newProblem(codeUnauthorized, "send a bearer token in the Authorization header"))
		return
	}
	p, err := s.verifier.Verify(c.Request.Context(), strings.TrimSpace(token))
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="tuntas", error="invalid_token"`)
		s.fail(c, newProblem(codeUnauthorized, "the token is invalid or expired"))
		return
	}
	c.Set(keyPrincipal, p)
	c.Next()
}

func principal(c *gin.Context) auth.Principal {
	p, _ := c.MustGet(keyPrincipal).(auth.Principal)
	return p
}

// allow admits the roles (and admin); others get 403, which says nothing
// about any case.
func (s *Server) allow(roles ...household.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principal(c).Can(roles...) {
			s.fail(c, newProblem(household.CodeForbidden, "your role may not use this endpoint"))
			return
		}
		c.Next()
	}
}

// caller is the person of the request and its route, for the service.
func caller(c *gin.Context) casework.Caller {
	return casework.Caller{Principal: principal(c), Route: c.Request.Method + " " + c.FullPath(), UpdateID: updateID(c)}
}

// Health answers /healthz: the process is alive.
type Health struct {
	Status string `json:"status"`
}

// Readiness answers /readyz: "ok" or "unreachable" for each dependency,
// and "ready" or "not ready" overall.
type Readiness struct {
	Status   string `json:"status"`
	MongoDB  string `json:"mongodb"`
	Temporal string `json:"temporal"`
	// ReadIndex is "loaded" once lists and dashboards are answered from
	// memory, "loading" before (the store's queries answer them meanwhile,
	// so it does not make the API unready), "off" or "over_capacity" when
	// the store answers them all (the index is off, or the store holds
	// more cases than it may hold); absent without an index.
	ReadIndex string `json:"readIndex,omitempty"`
}

// loader is a read model that loads before it answers from memory, and
// says how it stands (store.Index.State).
type loader interface {
	State() string
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, Health{Status: "ok"})
}

// readyBudget is how long /readyz waits for each dependency.
const readyBudget = 3 * time.Second

// readyz checks MongoDB and Temporal side by side, each within its own
// budget, so that one dependency that does not answer is not blamed on
// the other (checked in turn, a MongoDB that hangs used up the budget and
// Temporal was reported down with it).
func (s *Server) readyz(c *gin.Context) {
	ctx := c.Request.Context()
	var mongoErr, temporalErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyBudget)
		defer cancel()
		mongoErr = s.store.Ping(ctx)
	})
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyBudget)
		defer cancel()
		_, temporalErr = s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
	})
	wg.Wait()
	r := Readiness{Status: "ready", MongoDB: "ok", Temporal: "ok"}
	if l, ok := s.store.(loader); ok {
		r.ReadIndex = l.State()
	}
	status := http.StatusOK
	if mongoErr != nil {
		r.MongoDB, status = "unreachable", http.StatusServiceUnavailable
	}
	if temporalErr != nil {
		r.Temporal, status = "unreachable", http.StatusServiceUnavailable
	}
	if status != http.StatusOK {
		r.Status = "not ready"
	}
	c.JSON(status, r)
}
