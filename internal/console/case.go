package console

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// casePage shows a case as the person may see it, the actions they may
// take on it now as forms, and its timeline.
func (c *Console) casePage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "case.title")
	if key, ok := flashes[r.URL.Query().Get("done")]; ok {
		p.Flash = p.L.T(key)
	}
	c.renderCase(w, r, p, "")
}

// flashes map the done= of the redirect after an action (act, openCase),
// the action's name, to its message in the catalogue. Any other value
// shows nothing, so that a link cannot put its own words on a page of the
// real site.
var flashes = map[string]string{
	"open":                                   "done.open",
	string(household.ActSurvey):              "done.survey",
	string(household.ActVillage):             "done.village",
	string(household.ActVerification):        "done.verification",
	string(household.ActGraduate):            "done.graduate",
	string(household.ActAssign):              "done.assign",
	string(household.ActIntervention):        "done.intervention",
	string(household.ActFollowUp):            "done.follow-up",
	string(household.ActEscalate):            "done.escalate",
	string(household.ActResolve):             "done.resolve",
	string(household.ActClose):               "done.close",
	string(household.ActDuplicateResolution): "done.duplicate-resolution",
	string(household.ActTransfer):            "done.transfer",
	string(household.ActTransferAnswer):      "done.transfer-answer",
	string(household.ActTransferCancel):      "done.transfer-cancel",
}

// caseData is what the case page shows.
type caseData struct {
	Case     casework.CaseView
	Permits  casework.Permits
	Timeline casework.Timeline
	// Action is the form whose posted values p.Form holds ("" for none).
	Action household.Action
	// Members is how many member rows the survey form shows.
	Members int
	Nonce   string
	Enums   map[string]any
	// Pending is the transfer awaiting its answer, if any; Villages are
	// the villages the transfer form offers (those of the case's regency;
	// another regency's is typed by its code).
	Pending  *household.Transfer
	Villages []region.Region
	// MayObject is whether the person may record an objection against the
	// household now (its village's list is posted).
	MayObject bool
}

// May reports whether the person may take the action (on ref) now; the
// templates name actions as household.Action does.
func (d caseData) May(act string, ref string) bool { return d.Permits.May(household.Action(act), ref) }

// renderCase reads the case through the service (a case outside the
// person's region is the not-found page) and renders it; action names the
// form p.Form belongs to, kept as typed.
func (c *Console) renderCase(w http.ResponseWriter, r *http.Request, p *page, action household.Action) {
	ctx := r.Context()
	who := caller(r)
	id := r.PathValue("id")
	v, permits, tl, err := c.svc.CaseAndTimeline(ctx, who, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := caseData{Case: v, Permits: permits, Timeline: tl, Action: action, Nonce: nonce(), Enums: enums}
	for i := range v.Transfers {
		if v.Transfers[i].Status == household.TransferPending {
			d.Pending = &v.Transfers[i]
		}
	}
	if permits.May(household.ActTransfer, "") {
		for _, k := range region.Children(v.RegencyCode) {
			for _, vil := range region.Children(k.Code) {
				if vil.Code != v.VillageCode {
					d.Villages = append(d.Villages, vil)
				}
			}
		}
	}
	if d.MayObject, err = c.svc.MayObject(ctx, who, v); err != nil {
		c.fail(w, r, err)
		return
	}
	p.act = string(action)
	if action != household.ActSurvey && v.Survey != nil && permits.May(household.ActSurvey, "") {
		// The draft comes back into the form for the caseworker to finish.
		for k, vs := range surveyForm(*v.Survey) {
			p.Form[k] = vs
		}
	}
	d.Members = max(memberRows(p.Form), 1)
	if p.Form["addMember"] != nil && d.Members < household.MaxMembers {
		d.Members++
	}
	// The service worker keeps a saved copy of this page until the case's
	// version moves (sw.js; GET /device/cases lists the queue's versions).
	w.Header().Set(versionHeader, strconv.FormatInt(v.Version, 10))
	p.L = p.L.In(v.VillageCode) // the case's dates on its region's clock
	p.Title = v.HeadName + " — " + p.L.T("case.title")
	p.Nav = "cases"
	p.Data = d
	c.render(w, r, "case", p)
}

// enums are the choices the case forms offer.
var enums = map[string]any{
	"Relations": household.Relations, "Sexes": household.Sexes, "Educations": household.Educations,
	"Occupations": household.Occupations, "Floors": household.Floors, "Walls": household.Walls, "Roofs": household.Roofs,
	"Waters": household.Waters, "Sanitations": household.Sanitations, "Electricities": household.Electricities,
	"Receivable": household.ReceivablePrograms, "Programs": household.Programs, "Agencies": household.Agencies,
	"Rejections": household.RejectionReasons, "Outcomes": household.VerificationOutcomes,
	"CloseReasons": household.CloseReasons, "Levels": household.EscalationLevels,
	"DefaultAgency": household.DefaultAgency, "Statuses": household.ReportedStatuses,
	"TransferDecisions": household.TransferDecisions,
	"ObjectorRelations": household.ObjectorRelations, "ObjectionReasons": household.ObjectionReasons,
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// actionForms are the forms of the case page: where each posts, below
// /cases/{id}/ as in /v1, and the action it takes. {ref} names the
// intervention or escalation the form acts on.
var actionForms = []struct {
	path string
	act  household.Action
}{
	{"survey", household.ActSurvey},
	{"village-confirmation", household.ActVillage},
	{"verification", household.ActVerification},
	{"graduation", household.ActGraduate},
	{"interventions", household.ActAssign},
	{"interventions/{ref}/status", household.ActIntervention},
	{"follow-ups", household.ActFollowUp},
	{"escalations", household.ActEscalate},
	{"escalations/{ref}/resolution", household.ActResolve},
	{"close", household.ActClose},
	{"duplicate-resolution", household.ActDuplicateResolution},
	{"transfers", household.ActTransfer},
	{"transfers/{ref}/answer", household.ActTransferAnswer},
	{"transfers/{ref}/cancel", household.ActTransferCancel},
}

// act is the handler of the form of one action: it runs the posted form
// through the service. Success goes back to the case (post/redirect/get);
// a rejection renders the case again with the messages beside the fields
// and the form as typed; a stage conflict says so and shows the case as it
// now is.
func (c *Console) act(act household.Action) http.HandlerFunc {
	read := formInputs[act]
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f := r.PostForm
		p := c.newPage(w, r, "case.title")
		if f.Get("addMember") != "" {
			// Without JavaScript, "add a member" posts the form to get one more row.
			p.Form = f
			c.renderCase(w, r, p, household.ActSurvey)
			return
		}
		who := caller(r)
		// The form's nonce names the workflow update: a form sent twice (a
		// double click, a retry on a bad link) acts once.
		key, updateID := formUpdateID(who.Sub, r.URL.Path, f.Get("nonce"))
		who.UpdateID = updateID
		var err error
		if act == household.ActEscalate {
			_, err = c.svc.Escalate(r.Context(), who, id, key, func() (casework.EscalationRequest, error) {
				return casework.EscalationRequest{Level: household.EscalationLevel(f.Get("level")), Reason: f.Get("reason")}, nil
			})
		} else {
			if takesEvidence(act) {
				// The photo is stored first: the action carries its ID only.
				err = c.uploadFormPhoto(r, f)
			}
			if err == nil {
				_, err = c.svc.Act(r.Context(), who, id, act, checkedInput(func() (any, error) { return read(f, r.PathValue("ref")) }, who.Region, c.now()))
			}
		}
		if err == nil {
			c.done(w, r, "/cases/"+url.PathEscape(id)+"?done="+url.QueryEscape(string(act)))
			return
		}
		if !c.formProblem(w, r, p, err) {
			return
		}
		if p.Status == http.StatusConflict {
			// Someone else acted first: show the case as it now is, not the form.
			c.renderCase(w, r, p, "")
			return
		}
		p.Form = f
		c.renderCase(w, r, p, act)
	}
}

func asFieldErrors(err error, fe *household.FieldErrors) bool { return errors.As(err, fe) }

// formInputs read each action's form (and the item in its path, ref) into
// the domain's input; escalation is read by act itself. A value that is
// not even a number is refused here, beside its field, in the shape the
// API uses; everything else is the domain's to judge.
var formInputs = map[household.Action]func(f url.Values, ref string) (any, error){
	household.ActSurvey: func(f url.Values, _ string) (any, error) { return surveyInput(f) },
	household.ActVillage: func(f url.Values, _ string) (any, error) {
		return household.VillageInput{Decision: household.VillageDecision(f.Get("decision")), Reason: household.Outcome(f.Get("reason")),
			MusdesDate: f.Get("musdesDate"), MusdesMinutes: f.Get("musdesMinutes")}, nil
	},
	household.ActVerification: func(f url.Values, _ string) (any, error) {
		return household.VerificationInput{Outcome: household.VerificationOutcome(f.Get("outcome")), Notes: f.Get("notes")}, nil
	},
	household.ActGraduate: func(f url.Values, _ string) (any, error) { return household.GraduateInput{Notes: f.Get("notes")}, nil },
	household.ActAssign: func(f url.Values, _ string) (any, error) {
		var in household.AssignInput
		for _, prog := range f["program"] {
			in.Interventions = append(in.Interventions, household.Assignment{Program: household.Program(prog), Agency: f.Get("agency." + prog)})
		}
		return in, nil
	},
	household.ActIntervention: func(f url.Values, ref string) (any, error) {
		return household.InterventionInput{ID: ref, Status: household.InterventionStatus(f.Get("status")), Notes: f.Get("notes")}, nil
	},
	household.ActFollowUp: func(f url.Values, _ string) (any, error) {
		var fe household.FieldErrors
		in := household.FollowUpInput{VisitDate: f.Get("visitDate"), MonthlyExpenditure: money(&fe, f, "monthlyExpenditure"), Notes: f.Get("notes"),
			Evidence: evidenceInput(&fe, f)}
		return in, fe.Err()
	},
	household.ActResolve: func(f url.Values, ref string) (any, error) {
		return household.ResolveInput{ID: ref, Resolution: f.Get("resolution")}, nil
	},
	household.ActClose: func(f url.Values, _ string) (any, error) {
		return household.CloseInput{Reason: household.Outcome(f.Get("reason")), Notes: f.Get("notes")}, nil
	},
	household.ActTransfer: func(f url.Values, _ string) (any, error) {
		return household.TransferInput{ToVillage: strings.TrimSpace(f.Get("toVillage")), Address: f.Get("address"), Reason: f.Get("reason")}, nil
	},
	household.ActTransferAnswer: func(f url.Values, ref string) (any, error) {
		return household.TransferAnswerInput{ID: ref, Decision: household.TransferDecision(f.Get("decision")), Reason: f.Get("reason")}, nil
	},
	household.ActTransferCancel: func(f url.Values, ref string) (any, error) {
		return household.TransferCancelInput{ID: ref, Reason: f.Get("reason")}, nil
	},
	// One choice on the form stands for the decision and, for a split, the
	// case that keeps the person.
	household.ActDuplicateResolution: func(f url.Values, _ string) (any, error) {
		in := household.DuplicateResolutionInput{ID: f.Get("id"), Notes: f.Get("notes")}
		switch f.Get("choice") {
		case "split-this":
			in.Decision, in.Keep = household.DecisionSplit, household.KeepThis
		case "split-other":
			in.Decision, in.Keep = household.DecisionSplit, household.KeepOther
		case "duplicate":
			in.Decision = household.DecisionDuplicate
		}
		return in, nil
	},
}

// money reads rupiah as typed ("1.250.000", "Rp 1250000"); a value that is
// no number is a field error.
func money(fe *household.FieldErrors, f url.Values, name string) int64 {
	v := strings.NewReplacer("Rp", "", ".", "", " ", "", "\u00a0", "").Replace(strings.TrimSpace(f.Get(name)))
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		fe.Add(name, "must be whole rupiah, e.g. 1.250.000")
	}
	return n
}

func whole(fe *household.FieldErrors, f url.Values, name string) int {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, ".", ""))
	if err != nil {
		fe.Add(name, "must be a whole number")
	}
	return n
}

// memberFields are the inputs of one member row.
var memberFields = []string{"nik", "name", "relation", "birthDate", "sex", "education", "occupation", "disability"}

// memberRows counts the member rows in a survey form.
func memberRows(f map[string][]string) int {
	n := 0
	for i := 0; i < household.MaxMembers+1; i++ {
		for _, k := range memberFields {
			if _, ok := f[fmt.Sprintf("members[%d].%s", i, k)]; ok {
				n = i + 1
			}
		}
	}
	return n
}

// surveyInput reads the survey form; rows left wholly empty are skipped
// (a phone may add one too many), "draft" saves without submitting.
func surveyInput(f url.Values) (household.SurveyInput, error) {
	var fe household.FieldErrors
	var s household.Survey
	for i := 0; i < memberRows(f); i++ {
		get := func(k string) string { return strings.TrimSpace(f.Get(fmt.Sprintf("members[%d].%s", i, k))) }
		m := household.Member{NIK: get("nik"), Name: get("name"), Relation: household.Relation(get("relation")),
			BirthDate: get("birthDate"), Sex: household.Sex(get("sex")), Education: household.Education(get("education")),
			Occupation: household.Occupation(get("occupation")), Disability: get("disability") != ""}
		if m.NIK == "" && m.Name == "" && m.BirthDate == "" {
			continue
		}
		s.Members = append(s.Members, m)
	}
	s.MonthlyExpenditure = money(&fe, f, "monthlyExpenditure")
	s.MonthlyIncome = money(&fe, f, "monthlyIncome")
	for _, src := range strings.Split(f.Get("incomeSources"), ",") {
		if src = strings.TrimSpace(src); src != "" {
			s.IncomeSources = append(s.IncomeSources, src)
		}
	}
	s.Housing = household.Housing{Floor: f.Get("housing.floor"), Wall: f.Get("housing.wall"), Roof: f.Get("housing.roof"),
		Water: f.Get("housing.water"), Sanitation: f.Get("housing.sanitation"), Electricity: f.Get("housing.electricity")}
	s.Assets = household.Assets{LandAreaM2: int64(whole(&fe, f, "assets.landAreaM2")), Motorbikes: whole(&fe, f, "assets.motorbikes"),
		Cars: whole(&fe, f, "assets.cars"), Livestock: whole(&fe, f, "assets.livestock")}
	for _, p := range f["programs"] {
		s.Programs = append(s.Programs, household.Program(p))
	}
	s.OtherHealthInsurance = f.Get("otherHealthInsurance") != ""
	s.Evidence = evidenceInput(&fe, f)
	return household.SurveyInput{Survey: s, Draft: f.Get("draft") != ""}.Tidy(), fe.Err()
}

// surveyForm is a saved survey as form values, so a draft opens filled in.
func surveyForm(s casework.SurveyView) url.Values {
	f := url.Values{}
	for i, m := range s.Members {
		set := func(k, v string) { f.Set(fmt.Sprintf("members[%d].%s", i, k), v) }
		set("nik", m.NIK)
		set("name", m.Name)
		set("relation", string(m.Relation))
		set("birthDate", m.BirthDate)
		set("sex", string(m.Sex))
		set("education", string(m.Education))
		set("occupation", string(m.Occupation))
		if m.Disability {
			set("disability", "on")
		}
	}
	f.Set("monthlyExpenditure", strconv.FormatInt(s.MonthlyExpenditure, 10))
	f.Set("monthlyIncome", strconv.FormatInt(s.MonthlyIncome, 10))
	f.Set("incomeSources", strings.Join(s.IncomeSources, ", "))
	f.Set("housing.floor", s.Housing.Floor)
	f.Set("housing.wall", s.Housing.Wall)
	f.Set("housing.roof", s.Housing.Roof)
	f.Set("housing.water", s.Housing.Water)
	f.Set("housing.sanitation", s.Housing.Sanitation)
	f.Set("housing.electricity", s.Housing.Electricity)
	f.Set("assets.landAreaM2", strconv.FormatInt(s.Assets.LandAreaM2, 10))
	f.Set("assets.motorbikes", strconv.Itoa(s.Assets.Motorbikes))
	f.Set("assets.cars", strconv.Itoa(s.Assets.Cars))
	f.Set("assets.livestock", strconv.Itoa(s.Assets.Livestock))
	for _, p := range s.Programs {
		f.Add("programs", string(p))
	}
	if s.OtherHealthInsurance {
		f.Set("otherHealthInsurance", "on")
	}
	evidenceForm(f, s.Evidence)
	return f
}
