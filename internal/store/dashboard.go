package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// Tally counts cases of one area.
type Tally struct {
	Cases     int64                       `json:"cases"`
	Open      int64                       `json:"open"`
	ByStage   map[household.Stage]int64   `json:"byStage"`
	ByOutcome map[household.Outcome]int64 `json:"byOutcome"`
	// Overdue and Escalated count open cases.
	Overdue   int64 `json:"overdue"`
	Escalated int64 `json:"escalated"`
	// ExtremePoorOpen counts households verified extreme-poor whose case is
	// still open (intervention or follow-up).
	ExtremePoorOpen int64 `json:"extremePoorOpen"`
	Graduated       int64 `json:"graduated"`
	ExcludedNotPoor int64 `json:"excludedNotPoor"`
	// RemainingPeople sums the people open cases hold: surveyed members, a
	// person on two family cards once.
	RemainingPeople int64 `json:"remainingPeople"`
	// PossibleDuplicates counts the findings of open cases awaiting a
	// supervisor (a shared person shows on both cases).
	PossibleDuplicates int64 `json:"possibleDuplicates"`
	// Halted counts cases whose workflow ended abnormally (see
	// household.StatusHalted): each needs a person's look.
	Halted int64 `json:"halted"`
}

func newTally() Tally {
	t := Tally{ByStage: map[household.Stage]int64{}, ByOutcome: map[household.Outcome]int64{}}
	for _, s := range household.Stages {
		t.ByStage[s] = 0
	}
	for _, o := range household.Outcomes {
		t.ByOutcome[o] = 0
	}
	return t
}

func (t *Tally) add(g group) {
	t.Cases += g.N
	t.ByStage[household.Stage(g.Key.Stage)] += g.N
	if g.Key.Outcome != "" {
		t.ByOutcome[household.Outcome(g.Key.Outcome)] += g.N
	}
	if g.Key.Status == string(household.StatusHalted) {
		t.Halted += g.N
	}
	if g.Key.Status != string(household.StatusOpen) {
		return
	}
	t.Open += g.N
	t.PossibleDuplicates += g.N * g.Key.Duplicates
	if g.Key.Overdue {
		t.Overdue += g.N
	}
	if g.Key.Escalated {
		t.Escalated += g.N
	}
	if g.Key.Stage == string(household.StageIntervention) || g.Key.Stage == string(household.StageFollowUp) {
		t.ExtremePoorOpen += g.N
	}
}

func (t *Tally) finish() {
	t.Graduated = t.ByOutcome[household.OutcomeGraduated]
	t.ExcludedNotPoor = t.ByOutcome[household.OutcomeExcludedNotPoor]
}

// DistrictTally is one kecamatan's counts.
type DistrictTally struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Tally
}

// Progress measures the way to zero extreme poverty.
type Progress struct {
	// Listed households with a case; Resolved are those whose case closed.
	Listed   int64 `json:"listed"`
	Resolved int64 `json:"resolved"`
	// ResolvedPct is Resolved / Listed × 100.
	ResolvedPct float64 `json:"resolvedPct"`
	// RemainingHouseholds have an open case (not yet graduated or excluded).
	RemainingHouseholds int64 `json:"remainingHouseholds"`
	// Population is the regency's population from the registry (0 where unknown);
	// RemainingSharePct is RemainingPeople / Population × 100, the share of
	// the population still in listed extreme-poor households.
	Population        int64   `json:"population"`
	RemainingPeople   int64   `json:"remainingPeople"`
	RemainingSharePct float64 `json:"remainingSharePct"`
}

// Dashboard is the supervisor's and province's overview of a scope.
type Dashboard struct {
	Scope     string          `json:"scope"`
	Totals    Tally           `json:"totals"`
	Districts []DistrictTally `json:"districts"`
	Progress  Progress        `json:"progress"`
	// AsOf is when the read model was read: every change written before it
	// is counted.
	AsOf time.Time `json:"asOf"`
}

// groupKey is what the dashboard counts cases by.
type groupKey struct {
	District  string `bson:"d"`
	Stage     string `bson:"s"`
	Status    string `bson:"st"`
	Outcome   string `bson:"o"`
	Overdue   bool   `bson:"ov"`
	Escalated bool   `bson:"e"`
	// Duplicates is the case's open findings; absent (0) in summaries
	// written before findings existed.
	Duplicates int64 `bson:"dp"`
}

func keyOf(s Summary) groupKey {
	return groupKey{District: s.DistrictCode, Stage: string(s.Stage), Status: string(s.Status), Outcome: string(s.Outcome),
		Overdue: s.Overdue, Escalated: s.Escalated, Duplicates: int64(s.OpenDuplicates)}
}

type group struct {
	Key groupKey `bson:"_id"`
	N   int64    `bson:"n"`
}

// Dashboard counts the cases within scope (optionally one district). Each
// $group has a single accumulator: FerretDB v1.24 computes only the first.
func (s *Store) Dashboard(ctx context.Context, scope, district string) (Dashboard, error) {
	asOf := time.Now().UTC()
	match := bson.D{{Key: "regions", Value: scope}}
	if district != "" {
		match = bson.D{{Key: "$and", Value: bson.A{bson.D{{Key: "regions", Value: scope}}, bson.D{{Key: "regions", Value: district}}}}}
	}
	cur, err := s.db.Collection(CaseSummaries).Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: match}},
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: bson.D{
				{Key: "d", Value: "$districtCode"}, {Key: "s", Value: "$stage"}, {Key: "st", Value: "$status"},
				{Key: "o", Value: "$outcome"}, {Key: "ov", Value: "$overdue"}, {Key: "e", Value: "$escalated"},
				{Key: "dp", Value: "$openDuplicates"},
			}},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}},
		}}},
	})
	if err != nil {
		return Dashboard{}, fmt.Errorf("store: dashboard: %w", err)
	}
	var groups []group
	if err := cur.All(ctx, &groups); err != nil {
		return Dashboard{}, fmt.Errorf("store: dashboard: %w", err)
	}
	people, err := s.remainingPeople(ctx, match)
	if err != nil {
		return Dashboard{}, err
	}

	d := assemble(scope, district, groups, people)
	d.AsOf = asOf
	return d, nil
}

// assemble builds the dashboard of scope (and district, if set) from the
// counts of its cases by groupKey and the remaining people per district.
func assemble(scope, district string, groups []group, people map[string]int64) Dashboard {
	// Districts is never nil: a scope without cases answers an empty list, not null.
	d := Dashboard{Scope: scope, Totals: newTally(), Districts: []DistrictTally{}}
	byDistrict := map[string]*DistrictTally{}
	for _, g := range groups {
		d.Totals.add(g)
		dt, ok := byDistrict[g.Key.District]
		if !ok {
			r, _ := region.Lookup(g.Key.District)
			dt = &DistrictTally{Code: g.Key.District, Name: r.Name, Tally: newTally()}
			byDistrict[g.Key.District] = dt
		}
		dt.add(g)
	}
	codes := make([]string, 0, len(byDistrict))
	for code := range byDistrict {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		dt := byDistrict[code]
		dt.RemainingPeople = people[code]
		d.Totals.RemainingPeople += people[code]
		dt.finish()
		d.Districts = append(d.Districts, *dt)
	}
	d.Totals.finish()

	p := Progress{Listed: d.Totals.Cases, Resolved: d.Totals.Cases - d.Totals.Open,
		RemainingHouseholds: d.Totals.Open, RemainingPeople: d.Totals.RemainingPeople}
	if p.Listed > 0 {
		p.ResolvedPct = pct(p.Resolved, p.Listed)
	}
	if r, ok := region.Lookup(region.Ancestor(scope, region.Regency)); ok && district == "" {
		p.Population = r.Population
	}
	if p.Population > 0 {
		p.RemainingSharePct = pct(p.RemainingPeople, p.Population)
	}
	d.Progress = p
	return d
}

func pct(part, whole int64) float64 {
	return float64(part*10000/whole) / 100
}

// remainingPeople sums surveyed members of open cases per district.
func (s *Store) remainingPeople(ctx context.Context, match bson.D) (map[string]int64, error) {
	open := bson.D{{Key: "$and", Value: bson.A{match, bson.D{{Key: "status", Value: string(household.StatusOpen)}}}}}
	cur, err := s.db.Collection(CaseSummaries).Aggregate(ctx, bson.A{
		bson.D{{Key: "$match", Value: open}},
		bson.D{{Key: "$group", Value: bson.D{
			{Key: "_id", Value: "$districtCode"},
			{Key: "n", Value: bson.D{{Key: "$sum", Value: "$memberCount"}}},
		}}},
	})
	if err != nil {
		return nil, fmt.Errorf("store: remaining people: %w", err)
	}
	var rows []struct {
		District string `bson:"_id"`
		N        int64  `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("store: remaining people: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.District] = r.N
	}
	return out, nil
}
