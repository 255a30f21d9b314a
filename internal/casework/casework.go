// Package casework is Tuntas's service layer: every rule of who may read
// or do what to a household's case (role × region × agency), the masking
// of what they see, the record of what they read, and the way an action
// reaches the case's workflow (checked first, paced per case, retried
// across a run's end). The /v1 handlers (package api) and the console's
// pages are adapters over it, so that a page can neither see nor do more
// than the API lets the same person, and neither holds a second copy of a
// rule. It speaks no HTTP: refusals are Errors with a code, which each
// transport answers in its own way.
package casework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
	"github.com/tuntas-id/tuntas/workflows"
)

// ReadModel is what the service reads from the case store.
type ReadModel interface {
	Case(ctx context.Context, id string) (household.Case, error)
	// Summary is a case's summary, all an action's checks need.
	Summary(ctx context.Context, id string) (store.Summary, error)
	List(ctx context.Context, f store.Filter) (store.Page, error)
	Timeline(ctx context.Context, caseID string, seq int64) ([]household.Event, error)
	// RecordAccess keeps who read personal data, when and through which
	// route; CaseAccesses answers for one household (UU 27/2022).
	RecordAccess(ctx context.Context, a store.Access) error
	CaseAccesses(ctx context.Context, caseID string, limit int) ([]store.Access, error)
	Dashboard(ctx context.Context, scope, district string) (store.Dashboard, error)
}

// Config wires a Service.
type Config struct {
	Temporal client.Client
	// Households names the workflows of new cases (pseudonym.Key).
	Households workflows.Households
	Store      ReadModel
	Imports    ImportStore
	// Facts reads what reports count; when nil, Store if it reads them.
	Facts FactsReader
	// Photos keeps the photos of houses; without it no photo is taken.
	Photos PhotoStore
	// Lists reads village proposals and objections, Publications keeps
	// which village lists are posted for objection; without them neither
	// is served.
	Lists        Lists
	Publications PublicationStore
	// Rules and Deadlines are given to every new case; defaults when zero.
	Rules     household.Rules
	Deadlines household.Deadlines
	// Now is the clock for validation and views; time.Now when nil.
	Now func() time.Time
	// UpdateRetries are the waits before an update that met a run as it
	// ended is sent again; DefaultUpdateRetries when nil.
	UpdateRetries []time.Duration
}

// Service is the case work of one API process.
type Service struct {
	temporal   client.Client
	households workflows.Households
	store      ReadModel
	imports    ImportStore
	facts      FactsReader
	photos     PhotoStore
	lists      Lists
	posted     PublicationStore
	rules      household.Rules
	deadlines  household.Deadlines
	now        func() time.Time
	retries    []time.Duration
	// updates paces the updates this process sends each case.
	updates *gate
}

// New returns the service of cfg.
func New(cfg Config) *Service {
	s := &Service{temporal: cfg.Temporal, households: cfg.Households, store: cfg.Store, imports: cfg.Imports, photos: cfg.Photos, lists: cfg.Lists,
		posted: cfg.Publications, rules: cfg.Rules,
		deadlines: cfg.Deadlines, now: cfg.Now, retries: cfg.UpdateRetries, updates: newGate(maxUpdatesInFlight)}
	s.facts = cfg.Facts
	if fr, ok := cfg.Store.(FactsReader); ok && s.facts == nil {
		s.facts = fr
	}
	if s.rules == (household.Rules{}) {
		s.rules = household.DefaultRules()
	}
	if s.deadlines == (household.Deadlines{}) {
		s.deadlines = household.DefaultDeadlines()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.retries == nil {
		s.retries = DefaultUpdateRetries
	}
	return s
}

// Caller is the person a service call acts for and the route it came
// through, which the audit of reads records.
type Caller struct {
	auth.Principal
	// Route names the route or page, e.g. "GET /v1/cases/:id" or
	// "console GET /cases/{id}".
	Route string
	// UpdateID names the workflow update (from an Idempotency-Key, or a
	// form's nonce), so a retry is deduplicated by the case; "" lets the
	// service choose.
	UpdateID string
}

// actor is the domain's actor for p.
func actor(p auth.Principal) household.Actor {
	return household.Actor{Sub: p.Sub, Role: p.Role, Region: p.Region, Agency: p.Agency}
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
