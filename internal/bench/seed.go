package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// Projector writes one step of a case into the read model, as the case
// workflow's projection activity does.
type Projector interface {
	Project(ctx context.Context, p activities.Projection) error
}

var _ Projector = (*activities.Activities)(nil)

// seedReads is how many times each read is sampled at the seeded count.
const seedReads = 20

// Seed writes cfg.SeedCases cases of the whole province straight into the
// read model through cfg.Projector, each a snapshot the domain's own rules
// built (household.Open, then the Check and apply methods of each step)
// with its events, as the case workflow would project it, but with no
// workflow behind it. It then measures the reads people wait for at that
// count. The report carries them as seeded figures only: Seed runs no
// lifecycle, so none of the lifecycle's figures are set.
func Seed(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	rep := Report{Concurrency: cfg.Concurrency, Regencies: true, Mix: map[string]int{}, Outcomes: map[string]int64{},
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), GCPercent: gcPercent(), Seeded: cfg.SeedCases, SeededMix: map[string]int{}}
	if cfg.Projector == nil || cfg.SeedCases <= 0 {
		return rep, fmt.Errorf("seeding needs a projector and a positive number of cases")
	}
	fmt.Fprintf(cfg.Progress, "seeding %d projected cases over the province…\n", cfg.SeedCases)
	t0 := time.Now()
	cases, err := seedAll(ctx, cfg, rep.SeededMix)
	if err != nil {
		return rep, err
	}
	rep.Seeding = phase(cfg.SeedCases, time.Since(t0))

	fmt.Fprintf(cfg.Progress, "reads at %d seeded cases…\n", cfg.SeedCases)
	d := &driver{cfg: cfg, rec: newRecorder(), tokens: map[string]string{}, http: &http.Client{Timeout: 2 * time.Minute}}
	if err := d.seededReads(ctx, cases); err != nil {
		return rep, err
	}
	rep.SeededReads = d.rec.summary()
	rep.Errors = d.errors.Load()
	rep.ErrorSamples = d.samples
	rep.PeakRSSMiB = peakRSSMiB()
	return rep, nil
}

// seedAll builds and projects the cases with a few writers at once (each
// case has one writer, as FerretDB needs), tallying what it wrote in mix.
func seedAll(ctx context.Context, cfg Config, mix map[string]int) ([]caseRef, error) {
	gen := synth.NewProvince(cfg.Seed, int(cfg.Seed%28))
	households := make([]synth.Household, cfg.SeedCases)
	for i := range households {
		households[i] = gen.Household(i)
	}
	cases := make([]caseRef, cfg.SeedCases)
	now := time.Now().UTC()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(cfg.Concurrency, 8)))
	var (
		done atomic.Int64
		mu   sync.Mutex
	)
	for i, h := range households {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			c, events, err := seedCase(i, h, now)
			if err == nil {
				err = cfg.Projector.Project(gctx, activities.Projection{Case: *c, Events: events})
			}
			if err != nil {
				return fmt.Errorf("seed case %d: %w", i, err)
			}
			mu.Lock()
			cases[i] = caseRef{ID: c.ID, Village: c.VillageCode}
			key := string(c.Stage)
			if c.Outcome != "" {
				key = "closed:" + string(c.Outcome)
			}
			mix[key]++
			if c.Overdue {
				mix["overdue"]++
			}
			if c.Escalated {
				mix["escalated"]++
			}
			mu.Unlock()
			if k := done.Add(1); k%int64(max(1, len(households)/10)) == 0 {
				fmt.Fprintf(cfg.Progress, "  seeded %d\n", k)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return cases, err
	}
	return cases, ctx.Err()
}

// seedCase walks household i through the domain's rules to the stage its
// index gives it, starting 100 days ago, an hour a step: of every 20,
// 3 are collecting, 2 in village review, 2 in verification, 2 awaiting
// interventions, 4 in follow-up, 3 graduated, 2 excluded as not poor, one
// escalated to the regency while collecting and one overdue in collecting.
func seedCase(i int, h synth.Household, now time.Time) (*household.Case, []household.Event, error) {
	village := h.VillageCode
	district := region.Ancestor(village, region.District)
	regency := region.Ancestor(village, region.Regency)
	as := func(role household.Role, reg, agency string) household.Actor {
		return household.Actor{Sub: "seed-" + string(role) + "@" + reg, Role: role, Region: reg, Agency: agency}
	}
	cw := as(household.RoleCaseworker, district, "")
	vo := as(household.RoleVillageOfficer, village, "")
	ver := as(household.RoleVerifier, regency, "")
	sup := as(household.RoleSupervisor, regency, "")
	dinsos := as(household.RoleAgency, regency, household.AgencyDinsos)

	at := now.AddDate(0, 0, -100).Add(-time.Duration(i%97) * time.Minute)
	c, events := household.Open(household.OpenInput{ID: fmt.Sprintf("5eed0000-0000-4000-8000-%012d", i), KK: h.KK, HeadNIK: h.HeadNIK,
		HeadName: h.HeadName, VillageCode: village, Address: h.Address, Source: household.Source(h.Source), Desil: h.Desil},
		cw, household.DefaultRules(), household.DefaultDeadlines(), at)
	var err error
	step := func(check func(time.Time) error, apply func(time.Time) []household.Event) {
		if err != nil {
			return
		}
		at = at.Add(time.Hour)
		if err = check(at); err == nil {
			events = append(events, apply(at)...)
		}
	}
	const perDay2 = 2 * 30 // two people, thirty days
	survey := func(monthly int64) {
		in := household.SurveyInput{Survey: household.Survey{
			Members: []household.Member{
				{NIK: h.HeadNIK, Name: h.HeadName, Relation: household.RelationHead, BirthDate: birthDate(h.HeadNIK), Sex: sexOf(h.HeadNIK), Education: household.EduPrimary, Occupation: household.OccFarmer},
				{NIK: h.HeadNIK[:6] + "020310" + h.HeadNIK[12:], Name: "Anak", Relation: household.RelationChild, BirthDate: "2010-03-02", Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccStudent},
			},
			MonthlyExpenditure: monthly, MonthlyIncome: monthly,
			Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"},
		}}
		step(func(t time.Time) error { return c.CheckSurvey(cw, in, t) }, func(t time.Time) []household.Event { return c.SubmitSurvey(cw, in, t) })
	}
	confirm := func() {
		step(func(t time.Time) error {
			return c.CheckVillage(vo, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: region.Today(c.VillageCode, t), MusdesMinutes: "1/MUSDES"}, t)
		}, func(t time.Time) []household.Event {
			return c.ConfirmByVillage(vo, household.VillageInput{Decision: household.VillageConfirmed, MusdesDate: region.Today(c.VillageCode, t), MusdesMinutes: "1/MUSDES"}, t)
		})
	}
	verify := func(o household.VerificationOutcome) {
		in := household.VerificationInput{Outcome: o}
		step(func(t time.Time) error { return c.CheckVerification(ver, in, t) }, func(t time.Time) []household.Event { return c.RecordVerification(ver, in, t) })
	}
	assignAndAcknowledge := func() {
		in := household.AssignInput{Interventions: []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}}}
		step(func(t time.Time) error { return c.CheckAssign(sup, in, t) }, func(t time.Time) []household.Event { return c.AssignInterventions(sup, in, t) })
		ack := household.InterventionInput{ID: "iv-1", Status: household.InterventionAcknowledged}
		step(func(t time.Time) error { return c.CheckIntervention(dinsos, ack, t) }, func(t time.Time) []household.Event { return c.UpdateIntervention(dinsos, ack, t) })
	}
	visit := func(monthly int64) {
		step(func(t time.Time) error {
			return c.CheckFollowUp(cw, household.FollowUpInput{VisitDate: region.Today(c.VillageCode, t), MonthlyExpenditure: monthly}, t)
		}, func(t time.Time) []household.Event {
			return c.RecordFollowUp(cw, household.FollowUpInput{VisitDate: region.Today(c.VillageCode, t), MonthlyExpenditure: monthly}, t)
		})
	}

	switch k := i % 20; {
	case k < 3: // collecting
	case k == 18:
		esc := household.EscalateInput{ID: "esc-1", Level: household.EscalateRegency, Reason: "the survey is blocked by flooding", Actor: sup}
		step(func(time.Time) error { return c.CheckEscalate(esc) }, func(t time.Time) []household.Event { return c.Escalate(esc, t) })
	case k == 19:
		at = c.Deadline
		events = append(events, c.Tick(at)...)
	case k < 5:
		survey(8_000 * perDay2)
	case k < 7:
		survey(8_000 * perDay2)
		confirm()
	case k < 16:
		survey(8_000 * perDay2)
		confirm()
		verify(household.ExtremePoor)
		if k < 9 {
			break
		}
		assignAndAcknowledge()
		if k < 13 {
			break
		}
		visit(15_000 * perDay2)
		at = at.AddDate(0, 0, 22)
		visit(15_000 * perDay2)
	default: // 16, 17: found not poor
		survey(40_000 * perDay2)
		confirm()
		verify(household.NotPoor)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("case %s at %s: %w", c.ID, c.Stage, err)
	}
	return c, events, nil
}

// birthDate is the birth date a NIK encodes (day + 40 for women; the
// synthetic heads are born 1960–1999).
func birthDate(nik string) string {
	day := (int(nik[6]-'0')*10 + int(nik[7]-'0')) % 40
	return fmt.Sprintf("19%s-%s-%02d", nik[10:12], nik[8:10], day)
}

func sexOf(nik string) household.Sex {
	if nik[6] >= '4' {
		return household.Female
	}
	return household.Male
}

// seededReads samples each read people wait for seedReads times, one at a
// time, at the seeded count: the dashboard at the three scopes, the case
// list by each filter (its first page and the page after it), the
// province report as JSON and CSV, and single cases.
func (d *driver) seededReads(ctx context.Context, cases []caseRef) error {
	rng := rand.New(rand.NewPCG(d.cfg.Seed, 11))
	province := d.token(household.RoleProvince, "64", "")
	// The busiest kecamatan and village hold the most cases: their lists
	// have later pages.
	district, village := busiest(cases, region.District), busiest(cases, region.Village)
	regency := region.Ancestor(district, region.Regency)
	sup := d.token(household.RoleSupervisor, regency, "")

	get := func(name, path, token string, out any) error {
		return d.call(ctx, name, http.MethodGet, path, token, "", nil, http.StatusOK, out)
	}
	for range seedReads {
		if err := get("GET /v1/dashboard (kecamatan)", "/v1/dashboard?district="+district, sup, nil); err != nil {
			return err
		}
		if err := get("GET /v1/dashboard (regency)", "/v1/dashboard", sup, nil); err != nil {
			return err
		}
		if err := get("GET /v1/dashboard (province)", "/v1/dashboard", province, nil); err != nil {
			return err
		}
	}
	lists := []struct{ name, query string }{
		{"kecamatan", "district=" + district},
		{"village", "village=" + village},
		{"stage", "stage=" + string(household.StageFollowUp)},
		{"overdue", "overdue=true"},
		{"escalated", "escalated=true"},
	}
	for _, l := range lists {
		first := "/v1/cases?limit=20&" + l.query
		var page struct {
			NextCursor string `json:"nextCursor"`
		}
		for range seedReads {
			if err := get("GET /v1/cases?"+l.name+" (first page)", first, province, &page); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			continue // one page holds them all
		}
		for range seedReads {
			if err := get("GET /v1/cases?"+l.name+" (next page)", first+"&cursor="+url.QueryEscape(page.NextCursor), province, nil); err != nil {
				return err
			}
		}
	}
	for range seedReads {
		if err := get("GET /v1/reports/province (json)", "/v1/reports/province?format=json", province, nil); err != nil {
			return err
		}
		if err := get("GET /v1/reports/province (csv)", "/v1/reports/province?format=csv", province, nil); err != nil {
			return err
		}
	}
	for range seedReads {
		c := cases[rng.IntN(len(cases))]
		if err := get("GET /v1/cases/{id}", "/v1/cases/"+c.ID, province, nil); err != nil {
			return err
		}
	}
	var dash struct {
		Totals struct {
			Cases int64 `json:"cases"`
		} `json:"totals"`
	}
	if err := get("", "/v1/dashboard", province, &dash); err != nil {
		return err
	}
	if dash.Totals.Cases != int64(len(cases)) {
		return fmt.Errorf("the province dashboard counts %d cases, %d were seeded", dash.Totals.Cases, len(cases))
	}
	return nil
}

// busiest is the area at level holding the most cases.
func busiest(cases []caseRef, level region.Level) string {
	n := map[string]int{}
	best := ""
	for _, c := range cases {
		a := region.Ancestor(c.Village, level)
		n[a]++
		if best == "" || n[a] > n[best] || (n[a] == n[best] && a < best) {
			best = a
		}
	}
	return best
}
