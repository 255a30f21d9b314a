package casework

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// Page sizes of a list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// maxCursor bounds a cursor: the store's are far shorter.
const maxCursor = 512

// Filter selects the cases of a list, within the caller's scope (and, for
// an agency, the cases holding one of its interventions). A zero field
// selects every case.
type Filter struct {
	// District is a kecamatan code of the registry, Village a village
	// code; each within the caller's region or above it.
	District string
	Village  string
	Stage    household.Stage
	Status   household.Status
	Outcome  household.Outcome
	// Escalated and Overdue, when set, select cases that are (true) or are
	// not (false).
	Escalated *bool
	Overdue   *bool
	// Transfer selects the cases with a transfer pending into the
	// caller's region (incoming: "Perpindahan masuk"; for a supervisor,
	// cases from outside their region too) or out of it (outgoing).
	Transfer household.TransferDirection
	// Intervention, for an agency, selects the cases holding one of its
	// interventions in this status: assigned (to acknowledge) or
	// acknowledged (to deliver). The work queue sets it; it is no query
	// parameter.
	Intervention household.InterventionStatus
	// Limit is the page's size, 1 to MaxLimit; 0 is DefaultLimit.
	Limit int
	// Cursor is the NextCursor of the page before; "" for the first page.
	Cursor string
}

// filterParams are the query parameters of a Filter, in the order its
// checks name them.
var filterParams = []string{"district", "village", "stage", "status", "outcome", "escalated", "overdue", "transfer", "limit", "cursor"}

// ParseFilter reads a Filter from query parameters named as its fields
// (district, village, stage, status, outcome, escalated, overdue,
// transfer, limit, cursor), as GET /v1/cases and the console's list take them, for a caller
// whose region is scope. Every parameter that is not of its type (a
// boolean other than true or false, a limit that is no whole number from 1
// to MaxLimit) and every value Validate refuses is a field error, all of
// them in one answer, in the order above. Other parameters are ignored.
func ParseFilter(q url.Values, scope string) (Filter, error) {
	f := Filter{District: q.Get("district"), Village: q.Get("village"), Stage: household.Stage(q.Get("stage")),
		Status: household.Status(q.Get("status")), Outcome: household.Outcome(q.Get("outcome")),
		Transfer: household.TransferDirection(q.Get("transfer")), Cursor: q.Get("cursor")}
	malformed := map[string]household.FieldError{}
	boolean := func(name string) *bool {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		if v != "true" && v != "false" {
			malformed[name] = household.NewFieldError(name, "must be true or false")
			return nil
		}
		b := v == "true"
		return &b
	}
	f.Escalated = boolean("escalated")
	f.Overdue = boolean("overdue")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			malformed["limit"] = household.NewFieldError("limit", "must be a whole number from 1 to %d", MaxLimit)
		} else {
			f.Limit = n
		}
	}
	if fe := f.check(scope, malformed); len(fe) > 0 {
		return f, fe
	}
	return f, nil
}

// Validate checks the filter for a caller whose region is scope: region
// codes of the registry at their level, within the scope or above it;
// stages, statuses and outcomes the domain knows; a limit from 0 to
// MaxLimit; a cursor no longer than any the store issues.
func (f Filter) Validate(scope string) error {
	if fe := f.check(scope, nil); len(fe) > 0 {
		return fe
	}
	return nil
}

// check is Validate, with the parameters ParseFilter could not read
// (malformed, by name) named in their place.
func (f Filter) check(scope string, malformed map[string]household.FieldError) household.FieldErrors {
	var fe household.FieldErrors
	scoped := func(name, code string, level region.Level) {
		if code == "" {
			return
		}
		if r, ok := region.Lookup(code); !ok || r.Level != level {
			fe.Add(name, "must be a %s code of the registry", level)
		} else if !region.Within(code, scope) && !region.Within(scope, code) {
			fe.Add(name, "lies outside your region %s", scope)
		}
	}
	for _, name := range filterParams {
		if e, ok := malformed[name]; ok {
			fe = append(fe, e)
			continue
		}
		switch name {
		case "district":
			scoped(name, f.District, region.District)
		case "village":
			scoped(name, f.Village, region.Village)
		case "stage":
			if f.Stage != "" {
				household.Enum(&fe, name, f.Stage, household.Stages)
			}
		case "status":
			if f.Status != "" {
				household.Enum(&fe, name, f.Status, household.Statuses)
			}
		case "outcome":
			if f.Outcome != "" {
				household.Enum(&fe, name, f.Outcome, household.Outcomes)
			}
		case "transfer":
			if f.Transfer != "" {
				household.Enum(&fe, name, f.Transfer, household.TransferDirections)
			}
		case "limit":
			if f.Limit < 0 || f.Limit > MaxLimit {
				fe.Add(name, "must be a whole number from 1 to %d", MaxLimit)
			}
		case "cursor":
			if len(f.Cursor) > maxCursor {
				fe.Add(name, "is not a cursor this API issued")
			}
		}
	}
	return fe
}

// Query is the filter as the query parameters ParseFilter reads, in its
// order, only those set: what the record of a list read keeps.
func (f Filter) Query() string {
	var b strings.Builder
	add := func(name, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(name + "=" + url.QueryEscape(v))
	}
	boolean := func(v *bool) string {
		if v == nil {
			return ""
		}
		return strconv.FormatBool(*v)
	}
	add("district", f.District)
	add("village", f.Village)
	add("stage", string(f.Stage))
	add("status", string(f.Status))
	add("outcome", string(f.Outcome))
	add("escalated", boolean(f.Escalated))
	add("overdue", boolean(f.Overdue))
	add("transfer", string(f.Transfer))
	if f.Limit != 0 {
		add("limit", strconv.Itoa(f.Limit))
	}
	add("cursor", f.Cursor)
	return b.String()
}

// storeFilter is f within p's scope, for the store.
func (f Filter) storeFilter(p auth.Principal) store.Filter {
	sf := store.Filter{Scope: p.Region, District: f.District, Village: f.Village, Stage: f.Stage, Status: f.Status,
		Outcome: f.Outcome, Escalated: f.Escalated, Overdue: f.Overdue, Transfer: f.Transfer, SeesIncoming: answersTransfers(p),
		Limit: f.Limit, Cursor: f.Cursor}
	if sf.Limit == 0 {
		sf.Limit = DefaultLimit
	}
	if p.Role == household.RoleAgency {
		sf.Agency, sf.Intervention = p.Agency, f.Intervention
	}
	return sf
}

// ListCases is one page of the cases within who's scope that f selects,
// masked for their role; the page, its filter and the cases shown are
// recorded.
func (s *Service) ListCases(ctx context.Context, who Caller, f Filter) (CaseList, error) {
	page, err := s.listPage(ctx, who, f, false)
	if err != nil {
		return CaseList{}, err
	}
	cases := page.Items
	items := make([]SummaryView, len(cases))
	ids := make([]string, len(cases))
	for i := range cases {
		items[i], ids[i] = ViewSummary(who.Principal, cases[i]), cases[i].ID
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: f.Query(), Rows: len(items)}); err != nil {
		return CaseList{}, err
	}
	return CaseList{Items: items, NextCursor: page.Next, AsOf: page.AsOf}, nil
}

// listPage reads one page of the case summaries within who's scope that f
// selects, only those with possible duplicates to resolve when duplicates
// is set.
func (s *Service) listPage(ctx context.Context, who Caller, f Filter, duplicates bool) (store.Page, error) {
	if err := f.Validate(who.Region); err != nil {
		return store.Page{}, domainError(err)
	}
	sf := f.storeFilter(who.Principal)
	sf.Duplicates = duplicates
	page, err := s.store.List(ctx, sf)
	if errors.Is(err, store.ErrBadCursor) {
		return store.Page{}, invalid(field("cursor", "is not a cursor this API issued"))
	}
	return page, err
}

// DuplicateList is a page of cases with possible duplicates to resolve.
type DuplicateList struct {
	Items      []DuplicateCase `json:"items"`
	NextCursor string          `json:"nextCursor"`
	// AsOf is when the read model was read.
	AsOf time.Time `json:"asOf"`
}

// DuplicateCase is one case and its open findings.
type DuplicateCase struct {
	Case     SummaryView     `json:"case"`
	Findings []DuplicateView `json:"findings"`
}

// Duplicates is one page of the cases within who's scope with possible
// duplicates to resolve, selected and paged by f, masked for their role;
// the page is recorded like a list.
func (s *Service) Duplicates(ctx context.Context, who Caller, f Filter) (DuplicateList, error) {
	page, err := s.listPage(ctx, who, f, true)
	if err != nil {
		return DuplicateList{}, err
	}
	cases := page.Items
	out := DuplicateList{Items: make([]DuplicateCase, 0, len(cases)), NextCursor: page.Next, AsOf: page.AsOf}
	ids := make([]string, 0, len(cases))
	for _, sum := range cases {
		cs, err := s.store.Case(ctx, sum.ID)
		if err != nil {
			return DuplicateList{}, fmt.Errorf("duplicates of %s: %w", sum.ID, err)
		}
		item := DuplicateCase{Case: ViewSummary(who.Principal, sum), Findings: []DuplicateView{}}
		for _, d := range ViewCase(who.Principal, cs, s.now()).Duplicates {
			if d.Open {
				item.Findings = append(item.Findings, d)
			}
		}
		out.Items = append(out.Items, item)
		ids = append(ids, sum.ID)
	}
	if err := s.record(ctx, who, store.Access{CaseIDs: ids, Filter: f.Query(), Rows: len(ids)}); err != nil {
		return DuplicateList{}, err
	}
	return out, nil
}
