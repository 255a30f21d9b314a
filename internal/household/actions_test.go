package household_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// probe is how what a person may do was found before Allowed: every check
// run with an empty input, an action open when it failed only on that
// input (or passed), and the roles of each action checked first. Allowed
// must answer exactly as it did.
func probe(c *household.Case, a household.Actor, now time.Time) []string {
	if c.Status != household.StatusOpen {
		return nil
	}
	roles := map[household.Action][]household.Role{
		household.ActSurvey: {household.RoleCaseworker}, household.ActVillage: {household.RoleVillageOfficer},
		household.ActVerification: {household.RoleVerifier}, household.ActGraduate: {household.RoleVerifier},
		household.ActAssign: {household.RoleSupervisor}, household.ActIntervention: {household.RoleAgency},
		household.ActFollowUp: {household.RoleCaseworker}, household.ActEscalate: {household.RoleSupervisor, household.RoleProvince},
		household.ActResolve: {household.RoleProvince, household.RoleSupervisor}, household.ActClose: {household.RoleSupervisor},
		household.ActDuplicateResolution: {household.RoleSupervisor}, household.ActTransfer: {household.RoleSupervisor},
		household.ActTransferAnswer: {household.RoleSupervisor}, household.ActTransferCancel: {household.RoleSupervisor},
	}
	var out []string
	mark := func(act household.Action, ref string, err error) {
		if a.Role != household.RoleAdmin && !household.OneOf(a.Role, roles[act]) {
			return
		}
		if err != nil && household.ErrorCode(err) != household.CodeInvalid {
			return
		}
		if ref != "" {
			out = append(out, string(act)+"/"+ref)
		}
		out = append(out, string(act))
	}
	mark(household.ActSurvey, "", c.CheckSurvey(a, household.SurveyInput{}, now))
	mark(household.ActVillage, "", c.CheckVillage(a, household.VillageInput{}, now))
	mark(household.ActVerification, "", c.CheckVerification(a, household.VerificationInput{}, now))
	mark(household.ActGraduate, "", c.CheckGraduate(a, household.GraduateInput{}, now))
	mark(household.ActAssign, "", c.CheckAssign(a, household.AssignInput{}, now))
	mark(household.ActFollowUp, "", c.CheckFollowUp(a, household.FollowUpInput{}, now))
	mark(household.ActClose, "", c.CheckClose(a, household.CloseInput{}, now))
	for _, iv := range c.Interventions {
		for _, st := range household.ReportedStatuses {
			if iv.Status.CanMove(st) {
				mark(household.ActIntervention, iv.ID+"/"+string(st), c.CheckIntervention(a, household.InterventionInput{ID: iv.ID, Status: st}, now))
			}
		}
	}
	for _, e := range c.Escalations {
		if e.Open {
			mark(household.ActResolve, e.ID, c.CheckResolve(a, household.ResolveInput{ID: e.ID}, now))
		}
	}
	for _, lvl := range household.EscalationLevels {
		mark(household.ActEscalate, string(lvl), c.CheckEscalate(household.EscalateInput{ID: "probe", Level: lvl, Actor: a}))
	}
	for _, d := range c.Duplicates {
		if d.Open {
			mark(household.ActDuplicateResolution, d.ID, c.CheckDuplicateResolution(a, household.DuplicateResolutionInput{ID: d.ID}, now))
		}
	}
	mark(household.ActTransfer, "", c.CheckTransfer(a, household.TransferInput{}, now))
	for _, tr := range c.Transfers {
		if tr.Status == household.TransferPending {
			mark(household.ActTransferAnswer, tr.ID, c.CheckTransferAnswer(a, household.TransferAnswerInput{ID: tr.ID}, now))
			mark(household.ActTransferCancel, tr.ID, c.CheckTransferCancel(a, household.TransferCancelInput{ID: tr.ID}, now))
		}
	}
	return keys(out)
}

// allowed is Allowed as the same set of names, an action alone and with
// its item.
func allowed(c *household.Case, a household.Actor) []string {
	var out []string
	for _, p := range c.Allowed(a) {
		if p.Ref != "" {
			out = append(out, string(p.Action)+"/"+p.Ref)
		}
		out = append(out, string(p.Action))
	}
	return keys(out)
}

func keys(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// TestAllowedIsWhatTheChecksAcceptInputAside compares Allowed with the
// probe of every check, for every role in and out of the case's region, on
// cases in every stage and status, with interventions of two agencies in
// each status, escalations of both levels open and answered, possible
// duplicates open and resolved, and cases at the limits the checks keep
// (events, escalations, interventions).
func TestAllowedIsWhatTheChecksAcceptInputAside(t *testing.T) {
	now := opened.Add(30 * 24 * time.Hour)
	base := func() *household.Case {
		c, _ := household.Open(household.OpenInput{ID: "case-1", KK: "6408010101200001", HeadNIK: "6408014101850001",
			HeadName: "Siti Aminah", VillageCode: "64.08.01.2001", Address: "RT 03", Source: household.SourceP3KE},
			caseworker, household.DefaultRules(), household.DefaultDeadlines(), opened)
		return c
	}
	type variant struct {
		name string
		set  func(c *household.Case)
	}
	items := []variant{
		{"bare", func(*household.Case) {}},
		{"items", func(c *household.Case) {
			c.Interventions = []household.Intervention{
				{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionAssigned},
				{ID: "iv-2", Program: household.ProgramSembako, Agency: household.AgencyBaznas, Status: household.InterventionAcknowledged},
				{ID: "iv-3", Program: household.ProgramPBIJKN, Agency: household.AgencyDinsos, Status: household.InterventionDelivered},
				{ID: "iv-4", Program: household.ProgramRTLH, Agency: household.AgencyDinsos, Status: household.InterventionDeclined},
			}
			c.Escalations = []household.Escalation{
				{ID: "esc-r", Level: household.EscalateRegency, Open: true},
				{ID: "esc-p", Level: household.EscalateProvince, Open: true},
				{ID: "esc-x", Level: household.EscalateProvince},
			}
			c.Duplicates = []household.Duplicate{{ID: "dup-1", Open: true, OtherVillage: "64.08.03.2001"}, {ID: "dup-2", OtherVillage: "64.08.01.2001"}}
		}},
		// A move pending to another kecamatan of the regency, and one to
		// another regency: the people who would lose the case wait.
		{"moving to Muara Bengkal", func(c *household.Case) {
			c.Transfers = []household.Transfer{{ID: "tr-1", Status: household.TransferRefused, ToVillage: "64.08.03.2001"},
				{ID: "tr-2", Status: household.TransferPending, FromVillage: c.VillageCode, ToVillage: "64.08.03.2001"}}
			c.Interventions = []household.Intervention{{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionAssigned}}
			c.Escalations = []household.Escalation{{ID: "esc-r", Level: household.EscalateRegency, Open: true}}
		}},
		{"moving to Paser", func(c *household.Case) {
			c.Transfers = []household.Transfer{{ID: "tr-1", Status: household.TransferPending, FromVillage: c.VillageCode, ToVillage: "64.01.01.2009"}}
			c.Interventions = []household.Intervention{{ID: "iv-1", Program: household.ProgramPKH, Agency: household.AgencyDinsos, Status: household.InterventionAcknowledged}}
			c.Escalations = []household.Escalation{{ID: "esc-p", Level: household.EscalateProvince, Open: true}}
			c.Duplicates = []household.Duplicate{{ID: "dup-1", Open: true, OtherVillage: "64.08.01.2001"}}
		}},
	}
	limits := []variant{
		{"room", func(*household.Case) {}},
		{"room for one event", func(c *household.Case) { c.Seq = household.MaxEvents - household.CloseReserve - 1 }},
		{"no room", func(c *household.Case) { c.Seq = household.MaxEvents - household.CloseReserve }},
		{"escalated the most", func(c *household.Case) {
			for i := len(c.Escalations); i < household.MaxEscalations; i++ {
				c.Escalations = append(c.Escalations, household.Escalation{ID: fmt.Sprintf("esc-%d", i), Level: household.EscalateRegency})
			}
		}},
		{"the most interventions", func(c *household.Case) {
			for i := len(c.Interventions); i < household.MaxInterventions; i++ {
				c.Interventions = append(c.Interventions, household.Intervention{ID: fmt.Sprintf("iv-x%d", i), Program: household.ProgramCSR,
					Agency: household.AgencyCSR, Status: household.InterventionDeclined})
			}
		}},
		{"past the most interventions", func(c *household.Case) {
			for i := len(c.Interventions); i <= household.MaxInterventions; i++ {
				c.Interventions = append(c.Interventions, household.Intervention{ID: fmt.Sprintf("iv-x%d", i), Program: household.ProgramCSR,
					Agency: household.AgencyCSR, Status: household.InterventionDeclined})
			}
		}},
		{"past the last event", func(c *household.Case) { c.Seq = household.MaxEvents }},
		{"transferred the most", func(c *household.Case) {
			for i := len(c.Transfers); i < household.MaxTransfers; i++ {
				c.Transfers = append(c.Transfers, household.Transfer{ID: fmt.Sprintf("tr-x%d", i), Status: household.TransferCancelled, ToVillage: "64.08.03.2001"})
			}
		}},
	}
	var actors []household.Actor
	for _, role := range append(slices.Clone(household.Roles), household.RoleSystem, "stranger") {
		for _, region := range []string{"64", "64.08", "64.08.01", "64.08.01.2001", "64.08.03", "64.08.03.2001", "64.01", "64.01.01"} {
			for _, agency := range []string{"", household.AgencyDinsos, household.AgencyBaznas} {
				actors = append(actors, household.Actor{Sub: "someone", Role: role, Region: region, Agency: agency})
			}
		}
	}
	compared, offered := 0, 0
	for _, stage := range household.Stages {
		for _, status := range household.Statuses {
			for _, it := range items {
				for _, lim := range limits {
					c := base()
					c.Stage, c.Status = stage, status
					it.set(c)
					lim.set(c)
					for _, a := range actors {
						want, got := probe(c, a, now), allowed(c, a)
						if !slices.Equal(got, want) {
							t.Errorf("%s %s, %s, %s; %s in %s (%s): Allowed %v, the checks accept %v",
								stage, status, it.name, lim.name, a.Role, a.Region, a.Agency, got, want)
						}
						compared++
						offered += len(got)
					}
				}
			}
		}
	}
	if offered == 0 {
		t.Fatal("no case allowed anything to anyone: the comparison proves nothing")
	}
	t.Logf("%d cases × people compared, %d permits offered", compared, offered)
}

// TestEachActionNamesItsRolesAsItsCheckRefusesThem: Roles is the list a
// refusal of the role names.
func TestEachActionNamesItsRolesAsItsCheckRefusesThem(t *testing.T) {
	for _, act := range household.Actions {
		if len(act.Roles()) == 0 {
			t.Errorf("%s has no roles", act)
		}
	}
	c, _ := household.Open(household.OpenInput{ID: "case-1", VillageCode: "64.08.01.2001"}, caseworker, household.DefaultRules(), household.DefaultDeadlines(), opened)
	stranger := household.Actor{Sub: "x", Role: "stranger", Region: "64"}
	err := c.CheckResolve(stranger, household.ResolveInput{ID: "esc-1"}, opened)
	if !strings.Contains(fmt.Sprint(err), fmt.Sprint(household.ActResolve.Roles())) {
		t.Errorf("resolving as a stranger: %v, want it to name %v", err, household.ActResolve.Roles())
	}
}
