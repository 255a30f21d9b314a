// Package demo fills a development read model with a year of Kutai
// Timur's extreme-poverty list, so that a newcomer sees the reports and
// the progress charts move: 5,900 households, Muara Ancalong's 500 and
// Muara Bengkal's 400 verified first, the rest over the year, each case
// taken through its life by the domain's own rules at times spread over
// the twelve months before now. The cases are projected into the read
// model only (as `tuntas bench` seeds): they have no workflow, so they
// can be read, listed and reported on, not acted on.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// Projector writes a case and its events into the read model.
type Projector interface {
	Project(ctx context.Context, p activities.Projection) error
}

// The list: Kutai Timur, its two priority kecamatan first.
const (
	Regency       = "64.08"
	MuaraAncalong = "64.08.01"
	MuaraBengkal  = "64.08.03"
	priorityMA    = 500
	priorityMB    = 400
	Households    = 5900
)

// Seed projects the demo's households as of now and reports how many.
// Run again on the same read model it writes the same cases again.
func Seed(ctx context.Context, p Projector, now time.Time, progress io.Writer) (int, error) {
	if progress == nil {
		progress = io.Discard
	}
	homes := households()
	start := now.AddDate(-1, 0, 0)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, h := range homes {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			c, events, err := live(i, h, start, now)
			if err != nil {
				return err
			}
			return p.Project(gctx, activities.Projection{Case: *c, Events: events})
		})
		if (i+1)%500 == 0 {
			fmt.Fprintf(progress, "demo: %d of %d households\n", i+1, len(homes))
		}
	}
	if err := g.Wait(); err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	return len(homes), nil
}

// households are Muara Ancalong's 500, Muara Bengkal's 400, then 5,000
// across the regency's other kecamatan.
func households() []synth.Household {
	gen := synth.New(2022, 11)
	var ma, mb, rest []synth.Household
	for i := 0; len(ma) < priorityMA || len(mb) < priorityMB || len(rest) < Households-priorityMA-priorityMB; i++ {
		h := gen.Household(i)
		switch region.Ancestor(h.VillageCode, region.District) {
		case MuaraAncalong:
			if len(ma) < priorityMA {
				ma = append(ma, h)
			}
		case MuaraBengkal:
			if len(mb) < priorityMB {
				mb = append(mb, h)
			}
		default:
			if len(rest) < Households-priorityMA-priorityMB {
				rest = append(rest, h)
			}
		}
	}
	return append(append(ma, mb...), rest...)
}

// live opens household i at a time in the year and takes it as far as
// now allows: the priority households open in the first month, the others
// over the eight months after.
func live(i int, h synth.Household, start, now time.Time) (*household.Case, []household.Event, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 23))
	village := h.VillageCode
	district := region.Ancestor(village, region.District)
	as := func(role household.Role, reg, agency string) household.Actor {
		return household.Actor{Sub: "demo-" + string(role), Role: role, Region: reg, Agency: agency}
	}
	cw, vo := as(household.RoleCaseworker, district, ""), as(household.RoleVillageOfficer, village, "")
	ver, sup := as(household.RoleVerifier, Regency, ""), as(household.RoleSupervisor, Regency, "")
	priority := i < priorityMA+priorityMB
	at := start.Add(time.Duration(20+rng.IntN(220)) * 24 * time.Hour)
	if priority {
		at = start.Add(time.Duration(rng.IntN(25)) * 24 * time.Hour)
	}
	at = at.Add(time.Duration(rng.IntN(9*60)) * time.Minute)
	c, events := household.Open(household.OpenInput{ID: fmt.Sprintf("demo-%05d", i), KK: h.KK, HeadNIK: h.HeadNIK, HeadName: h.HeadName,
		VillageCode: village, Address: h.Address, Source: household.Source(h.Source), Desil: h.Desil},
		cw, household.DefaultRules(), household.DefaultDeadlines(), at)
	stopped := false
	// step waits days, then checks and applies an action; nothing past now.
	step := func(days int, check func(time.Time) error, apply func(time.Time) []household.Event) bool {
		if stopped {
			return false
		}
		next := at.Add(time.Duration(days+rng.IntN(4)) * 24 * time.Hour)
		if !next.Before(now) || check(next) != nil {
			stopped = true
			return false
		}
		at = next
		events = append(events, apply(at)...)
		return c.Status == household.StatusOpen
	}
	survey := household.SurveyInput{Survey: household.Survey{Members: members(h, rng), MonthlyExpenditure: int64(250_000 + rng.IntN(700_000)),
		Housing: household.Housing{Floor: "earth", Wall: "bamboo", Roof: "zinc", Water: "unprotected", Sanitation: "none", Electricity: "pln_450"}}}
	survey.Survey.MonthlyIncome = survey.Survey.MonthlyExpenditure
	step(5, func(t time.Time) error { return c.CheckSurvey(cw, survey, t) }, func(t time.Time) []household.Event { return c.SubmitSurvey(cw, survey, t) })
	confirm := household.VillageInput{Decision: household.VillageConfirmed, MusdesMinutes: fmt.Sprintf("%d/MUSDES/2026", 1+i%40)}
	step(10, func(t time.Time) error {
		confirm.MusdesDate = region.Today(village, t)
		return c.CheckVillage(vo, confirm, t)
	}, func(t time.Time) []household.Event { return c.ConfirmByVillage(vo, confirm, t) })
	outcome := household.ExtremePoor
	switch k := rng.IntN(20); {
	case k < 3:
		outcome = household.NotPoor
	case k < 5:
		outcome = household.Poor
	case k < 6:
		outcome = household.NotFound
	}
	verify := household.VerificationInput{Outcome: outcome}
	if !step(12, func(t time.Time) error { return c.CheckVerification(ver, verify, t) }, func(t time.Time) []household.Event { return c.RecordVerification(ver, verify, t) }) {
		return c, events, nil
	}
	programs := []household.Assignment{{Program: household.ProgramPKH, Agency: household.AgencyDinsos}, {Program: household.ProgramSembako, Agency: household.AgencyDinsos}}
	if rng.IntN(3) == 0 {
		programs = append(programs, household.Assignment{Program: household.ProgramRTLH, Agency: household.AgencyDisperkim})
	}
	if rng.IntN(4) == 0 {
		programs = append(programs, household.Assignment{Program: household.ProgramJobTraining, Agency: household.AgencyDisnakertrans})
	}
	assign := household.AssignInput{Interventions: programs}
	step(7, func(t time.Time) error { return c.CheckAssign(sup, assign, t) }, func(t time.Time) []household.Event { return c.AssignInterventions(sup, assign, t) })
	for n, a := range programs {
		agency := as(household.RoleAgency, Regency, a.Agency)
		ack := household.InterventionInput{ID: fmt.Sprintf("iv-%d", n+1), Status: household.InterventionAcknowledged}
		step(3, func(t time.Time) error { return c.CheckIntervention(agency, ack, t) }, func(t time.Time) []household.Event { return c.UpdateIntervention(agency, ack, t) })
		done := household.InterventionInput{ID: ack.ID, Status: household.InterventionDelivered}
		step(15, func(t time.Time) error { return c.CheckIntervention(agency, done, t) }, func(t time.Time) []household.Event { return c.UpdateIntervention(agency, done, t) })
	}
	// Most households are lifted out after months of help, by the
	// verifier's decision; the rest are still in follow-up.
	if rng.IntN(10) < 6 {
		graduate := household.GraduateInput{Notes: "usaha berjalan, pengeluaran di atas garis"}
		step(30+rng.IntN(90), func(t time.Time) error { return c.CheckGraduate(ver, graduate, t) },
			func(t time.Time) []household.Event { return c.Graduate(ver, graduate, t) })
	}
	return c, events, nil
}

// members are the household's people: the head and up to four more.
func members(h synth.Household, rng *rand.Rand) []household.Member {
	head := household.Member{NIK: h.HeadNIK, Name: h.HeadName, Relation: household.RelationHead, BirthDate: headBirth(h.HeadNIK),
		Sex: household.Male, Education: household.EduPrimary, Occupation: household.OccFarmer, Disability: rng.IntN(14) == 0}
	if h.HeadNIK[6] >= '4' {
		head.Sex = household.Female
	}
	out := []household.Member{head}
	for k := range rng.IntN(5) {
		year := 2008 + rng.IntN(18)
		sex := household.Sexes[rng.IntN(2)]
		day := 1 + rng.IntN(28)
		nikDay := day
		if sex == household.Female {
			nikDay += 40
		}
		nik := fmt.Sprintf("%s%02d%02d%02d%04d", h.HeadNIK[:6], nikDay, 3, year%100, 100+k)
		out = append(out, household.Member{NIK: nik, Name: fmt.Sprintf("Anak %d", k+1), Relation: household.RelationChild,
			BirthDate: fmt.Sprintf("%d-03-%02d", year, day), Sex: sex, Education: household.EduPrimary, Occupation: household.OccStudent,
			Disability: rng.IntN(30) == 0})
	}
	return out
}

// headBirth is the birth date a synthetic head's NIK encodes.
func headBirth(nik string) string {
	day := (int(nik[6]-'0')*10 + int(nik[7]-'0')) % 40
	return fmt.Sprintf("19%s-%s-%02d", nik[10:12], nik[8:10], day)
}
