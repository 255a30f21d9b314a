package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// mayRead is the one rule of which cases a caller may read: those in
// their region, and for an agency only those holding one of its
// interventions (a CSR partner has no business with other households).
// A case with a transfer pending is also read by those who answer it in
// the region it would move to (its supervisors), so that they may judge
// it; once a transfer is accepted the case lies in its new region alone,
// and the region it left reads it no more (docs/transfer.md).
func mayRead(p auth.Principal, cs household.Case) bool {
	return maySee(p, cs.VillageCode, cs.HasAgency(p.Agency), cs.IncomingTo())
}

// maySee is mayRead on what it needs: the case's village, whether the
// caller's agency holds an intervention of it, and the village a pending
// transfer would move it to ("" for none).
func maySee(p auth.Principal, village string, agencyHolds bool, incoming string) bool {
	if p.Role == household.RoleAgency && !agencyHolds {
		return false
	}
	return p.Sees(village) || (incoming != "" && answersTransfers(p) && p.Sees(incoming))
}

// answersTransfers reports whether p answers the transfers into their
// region.
func answersTransfers(p auth.Principal) bool { return p.Can(household.ActTransferAnswer.Roles()...) }

// errNoCase is the answer for a case that is missing or that the caller
// may not see, alike.
func errNoCase() error { return refuse(household.CodeNotFound, "no such case") }

// readCase reads a case the caller may see; a case outside the caller's
// region is answered exactly like a missing one, and with the same work:
// whether the caller may see it is decided on its summary, which both
// answers read alike, and the whole case (ten times the bytes to fetch and
// decode) is loaded only for a caller who may. Loaded first, it made an
// existing case outside the region answer measurably slower than a
// missing one.
func (s *Service) readCase(ctx context.Context, p auth.Principal, id string) (household.Case, error) {
	sum, err := s.readSummary(ctx, p, id)
	if err != nil {
		return household.Case{}, err
	}
	return readScoped(ctx, sum.ID, s.store.Case, func(cs household.Case) bool { return mayRead(p, cs) }, "load case")
}

// readSummary is readCase for an action, from the case's summary: the
// case itself is the workflow's to check, and the summary says all the
// service checks first (who may see the case, its KK, whether it is open)
// in a tenth of the bytes.
func (s *Service) readSummary(ctx context.Context, p auth.Principal, id string) (store.Summary, error) {
	return readScoped(ctx, id, s.store.Summary, func(sum store.Summary) bool {
		return maySee(p, sum.VillageCode, slices.Contains(sum.Agencies, p.Agency), sum.TransferTo)
	}, "load case summary")
}

// readScoped loads what id names with load and answers not found, alike,
// for a missing one and one the caller may not see.
func readScoped[T any](ctx context.Context, id string, load func(context.Context, string) (T, error), may func(T) bool, what string) (T, error) {
	var none T
	if len(id) > 64 {
		return none, errNoCase()
	}
	v, err := load(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !may(v)) {
		return none, errNoCase()
	}
	if err != nil {
		return none, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// maxAuditFilter bounds the filter kept with an access record.
const maxAuditFilter = 512

// record keeps that who read personal data through their route. A read
// that cannot be recorded is not answered: the record is what a household
// may ask for under UU 27/2022.
func (s *Service) record(ctx context.Context, who Caller, a store.Access) error {
	a.Sub, a.Role, a.Route, a.At = who.Sub, who.Role, who.Route, s.now().UTC()
	if len(a.Filter) > maxAuditFilter {
		// Keep enough to tell what was asked, whatever its length.
		a.Filter = a.Filter[:maxAuditFilter] + "…"
	}
	if err := s.store.RecordAccess(ctx, a); err != nil {
		return fmt.Errorf("record access: %w", err)
	}
	return nil
}

// Case is the case as who may see it (masked for their role), with the
// actions they may take on it now; the read is recorded.
func (s *Service) Case(ctx context.Context, who Caller, id string) (CaseView, Permits, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return CaseView{}, nil, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return CaseView{}, nil, err
	}
	return ViewCase(who.Principal, cs, s.now()), permits(who.Principal, cs), nil
}

// CaseAndTimeline is Case and its timeline in one read of the case and one
// record of the read (a page shows both at once).
func (s *Service) CaseAndTimeline(ctx context.Context, who Caller, id string) (CaseView, Permits, Timeline, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	events, err := s.store.Timeline(ctx, cs.ID, cs.Seq)
	if err != nil {
		return CaseView{}, nil, Timeline{}, err
	}
	return ViewCase(who.Principal, cs, s.now()), permits(who.Principal, cs), Timeline{CaseID: cs.ID, Events: ViewEvents(who.Principal, cs, events)}, nil
}

// Timeline is a case's events, for a caller who may read the case; the
// read is recorded.
func (s *Service) Timeline(ctx context.Context, who Caller, id string) (Timeline, error) {
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return Timeline{}, err
	}
	if err := s.record(ctx, who, store.Access{CaseID: cs.ID}); err != nil {
		return Timeline{}, err
	}
	events, err := s.store.Timeline(ctx, cs.ID, cs.Seq)
	if err != nil {
		return Timeline{}, err
	}
	return Timeline{CaseID: cs.ID, Events: ViewEvents(who.Principal, cs, events)}, nil
}

// maxReads bounds the answer of the reads of one case.
const maxReads = 1000

// CaseReads answers who read a household's data: the admin's answer to a
// household that asks.
type CaseReads struct {
	CaseID string     `json:"caseId"`
	Reads  []ReadView `json:"reads"`
}

// ReadView is one read of a household's data.
type ReadView struct {
	Sub  string         `json:"sub"`
	Role household.Role `json:"role"`
	// Route is the API route that read the data; a list page also gives
	// its filter and how many rows it showed, the codec server how many
	// Temporal payloads it opened.
	Route  string `json:"route"`
	Filter string `json:"filter,omitempty"`
	Rows   int    `json:"rows,omitempty"`
	// Photo is the photo of the house a view showed.
	Photo string `json:"photo,omitempty"`
	// Workflow is the Temporal workflow whose payloads an administrator
	// opened through the codec server, when the client named it.
	Workflow string    `json:"workflow,omitempty"`
	At       time.Time `json:"at"`
}

// Reads are the latest reads of a case's household data, newest first;
// only the admin may ask.
func (s *Service) Reads(ctx context.Context, who Caller, id string) (CaseReads, error) {
	if who.Role != household.RoleAdmin {
		return CaseReads{}, errRole()
	}
	cs, err := s.readCase(ctx, who.Principal, id)
	if err != nil {
		return CaseReads{}, err
	}
	reads, err := s.store.CaseAccesses(ctx, cs.ID, maxReads)
	if err != nil {
		return CaseReads{}, fmt.Errorf("case reads: %w", err)
	}
	out := CaseReads{CaseID: cs.ID, Reads: make([]ReadView, len(reads))}
	for i, r := range reads {
		out.Reads[i] = ReadView{Sub: r.Sub, Role: r.Role, Route: r.Route, Filter: r.Filter, Rows: r.Rows, Photo: r.Photo, Workflow: r.Workflow, At: r.At}
	}
	return out, nil
}
