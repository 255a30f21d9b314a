package casework

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/report"
	"github.com/tuntas-id/tuntas/internal/store"
)

// FactsReader reads the facts reports count, of every case within a
// region (see store.Store.Facts).
type FactsReader interface {
	Facts(ctx context.Context, scope string) ([]household.Facts, error)
}

// quarterlyRoles may read the quarterly report (admin too, in its region).
var quarterlyRoles = []household.Role{household.RoleSupervisor, household.RoleProvince}

// QuarterlyRoles are the roles (besides admin) that may read the
// quarterly report.
func QuarterlyRoles() []household.Role { return slices.Clone(quarterlyRoles) }

// QuarterlyDownloads are the formats the API gives the quarterly report
// in; QuarterlyFormats add "print", the console's printable page.
var (
	QuarterlyDownloads = []string{"json", "csv", "xlsx"}
	QuarterlyFormats   = append(slices.Clone(QuarterlyDownloads), "print")
)

// QuarterlyQuery asks for the quarterly report.
type QuarterlyQuery struct {
	// From and To bound the period: dates (YYYY-MM-DD, the region's
	// clock) or RFC 3339 instants; both "" ask for the current quarter.
	From, To string
	// Region is a region within the caller's (province, regency,
	// kecamatan or village); "" is the caller's own.
	Region string
	// Format is one of QuarterlyFormats or ""; the record keeps it.
	Format string
}

func (q QuarterlyQuery) query() string {
	var parts []string
	for _, kv := range [][2]string{{"from", q.From}, {"to", q.To}, {"region", q.Region}, {"format", q.Format}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, "&")
}

// QuarterlyReport is the report of a region in who's scope over a
// period, as at the period's end; the read (and so every download) is
// recorded with its query. It counts households and people, never shows
// one, so it is the same for every role that may read it; below the
// regency its small cells are hidden (report.Quarterly).
func (s *Service) QuarterlyReport(ctx context.Context, who Caller, q QuarterlyQuery) (report.Report, error) {
	p := who.Principal
	if !p.Can(quarterlyRoles...) {
		return report.Report{}, errRole()
	}
	if s.facts == nil {
		return report.Report{}, refusef(CodeUnavailable, "reports are not available on this server")
	}
	scope := p.Region
	if q.Region != "" {
		if _, ok := region.Lookup(q.Region); !ok {
			return report.Report{}, invalid(household.NewFieldError("region", "must be a region code of the registry"))
		}
		if !region.Within(q.Region, p.Region) {
			return report.Report{}, invalid(household.NewFieldError("region", "lies outside your region %s", p.Region))
		}
		scope = q.Region
	}
	if q.Format != "" && !slices.Contains(QuarterlyFormats, q.Format) {
		return report.Report{}, invalid(household.NewFieldError("format", "must be one of %v", QuarterlyFormats))
	}
	from, to := q.From, q.To
	if from == "" && to == "" {
		from, to = report.Quarter(scope, s.now())
	}
	period, err := report.ParsePeriod(scope, from, to)
	if err != nil {
		return report.Report{}, periodError(err)
	}
	// Below the regency the facts of the parent's region: the report's
	// small cells are hidden against its siblings' too.
	facts, err := s.facts.Facts(ctx, report.FactsScope(scope))
	if errors.Is(err, store.ErrFactsLoading) {
		return report.Report{}, refusef(CodeUnavailable, "the report's figures are still being read after a restart; retry in a minute")
	}
	if err != nil {
		return report.Report{}, err
	}
	r := report.Quarterly(scope, period, facts, s.now())
	if s.lists != nil {
		ps, err := s.lists.Proposals(ctx, store.ListFilter{Scope: scope, Limit: store.AllItems})
		if err != nil {
			return report.Report{}, err
		}
		counts := report.CountProposals(period, ps)
		r.Proposals = &counts
	}
	if err := s.record(ctx, who, store.Access{Filter: q.query(), Rows: len(r.Areas)}); err != nil {
		return report.Report{}, err
	}
	return r, nil
}

// periodError is a period the report refused, as the field error of its
// bound.
func periodError(err error) error {
	var pe *report.PeriodError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Rule {
	case report.PeriodRequired:
		return invalid(household.NewFieldError(pe.Field, "is required (YYYY-MM-DD)"))
	case report.PeriodMalformed:
		return invalid(household.NewFieldError(pe.Field, "must be a date YYYY-MM-DD or an RFC 3339 time"))
	case report.PeriodReversed:
		return invalid(household.NewFieldError(pe.Field, "must not be before from"))
	}
	return invalid(household.NewFieldError(pe.Field, "a period spans at most five years"))
}
