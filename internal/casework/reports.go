package casework

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/store"
)

// dashboardRoles may read the dashboard.
var dashboardRoles = []household.Role{household.RoleSupervisor, household.RoleProvince}

// DashboardRoles are the roles (besides admin) that may read the dashboard.
func DashboardRoles() []household.Role { return slices.Clone(dashboardRoles) }

// Dashboard counts the cases in who's region, or in one kecamatan of it.
func (s *Service) Dashboard(ctx context.Context, who Caller, district string) (store.Dashboard, error) {
	p := who.Principal
	if !p.Can(dashboardRoles...) {
		return store.Dashboard{}, errRole()
	}
	if district != "" {
		if r, ok := region.Lookup(district); !ok || r.Level != region.District {
			return store.Dashboard{}, invalid(field("district", "must be a kecamatan code of the registry"))
		}
		if !region.Within(district, p.Region) {
			return store.Dashboard{}, invalid(household.NewFieldError("district", "lies outside your region %s", p.Region))
		}
	}
	return s.store.Dashboard(ctx, p.Region, district)
}

// ReportFormats are the formats the province report is downloaded in.
var ReportFormats = []string{"json", "csv"}

// ReportQuery asks for the province report.
type ReportQuery struct {
	// Regency narrows the report to one regency of the caller's region;
	// "" reports the whole region.
	Regency string
	// Format is one of ReportFormats, or "" for the one the transport
	// chooses; the record of the read keeps it.
	Format string
}

// query is q as query parameters, for the record of the read.
func (q ReportQuery) query() string {
	var parts []string
	if q.Regency != "" {
		parts = append(parts, "regency="+q.Regency)
	}
	if q.Format != "" {
		parts = append(parts, "format="+q.Format)
	}
	return strings.Join(parts, "&")
}

// ProvinceReport is the regency roll-up per kecamatan, as JSON.
type ProvinceReport struct {
	Scope       string                `json:"scope"`
	GeneratedAt time.Time             `json:"generatedAt"`
	Districts   []store.DistrictTally `json:"districts"`
	Totals      store.Tally           `json:"totals"`
	Progress    store.Progress        `json:"progress"`
	// AsOf is when the read model was read.
	AsOf time.Time `json:"asOf"`
}

// ProvinceReport is the roll-up per kecamatan of who's region, or of one
// regency in it; the download is recorded with its query.
func (s *Service) ProvinceReport(ctx context.Context, who Caller, q ReportQuery) (ProvinceReport, error) {
	p := who.Principal
	if !p.Can(household.RoleProvince) {
		return ProvinceReport{}, errRole()
	}
	scope, err := reportScope(p, q.Regency)
	if err != nil {
		return ProvinceReport{}, err
	}
	if q.Format != "" && !slices.Contains(ReportFormats, q.Format) {
		return ProvinceReport{}, invalid(field("format", "must be csv or json"))
	}
	d, err := s.store.Dashboard(ctx, scope, "")
	if err != nil {
		return ProvinceReport{}, err
	}
	if err := s.record(ctx, who, store.Access{Filter: q.query(), Rows: len(d.Districts)}); err != nil {
		return ProvinceReport{}, err
	}
	return ProvinceReport{Scope: scope, GeneratedAt: s.now().UTC(), Districts: d.Districts, Totals: d.Totals, Progress: d.Progress, AsOf: d.AsOf}, nil
}

// reportScope is the scope of a report: p's region, or a regency in it.
func reportScope(p auth.Principal, regency string) (string, error) {
	if regency == "" {
		return p.Region, nil
	}
	if r, ok := region.Lookup(regency); !ok || r.Level != region.Regency || !region.Within(regency, p.Region) {
		return "", invalid(field("regency", "must be a regency code within your region"))
	}
	return regency, nil
}

// ReportColumns are the CSV columns of the province report.
var ReportColumns = []string{"district_code", "district_name", "cases", "open",
	"collecting", "village_review", "verification", "intervention", "follow_up",
	"graduated", "excluded_not_poor", "not_found", "not_extreme", "closed_other",
	"overdue", "escalated", "remaining_people"}

func reportRow(code, name string, t store.Tally) []string {
	closedOther := t.Cases - t.Open - t.Graduated - t.ExcludedNotPoor -
		t.ByOutcome[household.OutcomeNotFound] - t.ByOutcome[household.OutcomeNotExtreme]
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{code, name, n(t.Cases), n(t.Open),
		n(t.ByStage[household.StageCollecting]), n(t.ByStage[household.StageVillageReview]),
		n(t.ByStage[household.StageVerification]), n(t.ByStage[household.StageIntervention]),
		n(t.ByStage[household.StageFollowUp]),
		n(t.Graduated), n(t.ExcludedNotPoor), n(t.ByOutcome[household.OutcomeNotFound]),
		n(t.ByOutcome[household.OutcomeNotExtreme]), n(closedOther),
		n(t.Overdue), n(t.Escalated), n(t.RemainingPeople)}
}

// WriteReportCSV writes the report as CSV, a row per kecamatan and a total.
func WriteReportCSV(w io.Writer, r ProvinceReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(ReportColumns)
	for _, dt := range r.Districts {
		_ = cw.Write(reportRow(dt.Code, dt.Name, dt.Tally))
	}
	_ = cw.Write(reportRow(r.Scope, "total", r.Totals))
	cw.Flush()
	return cw.Error()
}

// ReportFileName is the download name of a report of scope.
func ReportFileName(scope string) string {
	return "tuntas-report-" + strings.ReplaceAll(scope, ".", "") + ".csv"
}
