package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// The living list's pages (docs/living-list.md): village proposals
// ("Usulan desa": the village proposes, Dinsos screens), objections
// ("Sanggah": recorded on a case's page, answered by Dinsos), and a
// village's list posted for objection, printed for the village office.
// Each page is an adapter over the same service as /v1.

func (c *Console) livingRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /proposals", c.user(c.proposalsPage))
	m.HandleFunc("GET /proposals/new", c.user(c.proposePage))
	m.HandleFunc("POST /proposals", c.user(c.csrf(c.propose)))
	m.HandleFunc("GET /proposals/{id}", c.user(c.proposalPage))
	m.HandleFunc("POST /proposals/{id}/screening", c.user(c.csrf(c.screen)))
	m.HandleFunc("GET /objections", c.user(c.objectionsPage))
	m.HandleFunc("GET /objections/{id}", c.user(c.objectionPage))
	m.HandleFunc("POST /objections/{id}/answer", c.user(c.csrf(c.answer)))
	m.HandleFunc("POST /cases/{id}/objections", c.user(c.csrfWithin(maxEvidenceForm, c.object)))
	m.HandleFunc("GET /villages/posting", c.user(c.postingPage))
	m.HandleFunc("POST /villages/posting", c.user(c.csrf(c.publish)))
}

// actObject names the objection form of the case page (see page.For).
const actObject household.Action = "objection"

// livingEnums are the choices the living list's forms offer.
var livingEnums = map[string]any{
	"ProposalStatuses": household.ProposalStatuses, "ObjectionStatuses": household.ObjectionStatuses,
	"Reasons": household.ObjectionReasons, "Relations": household.ObjectorRelations,
	"ScreenDecisions": household.ScreenDecisions, "AnswerDecisions": household.AnswerDecisions,
}

// listQueryOf reads a list page's filters.
func listQueryOf(r *http.Request) (casework.ListQuery, url.Values) {
	q := r.URL.Query()
	form := url.Values{}
	for _, k := range []string{"region", "status", "case"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			form.Set(k, v)
		}
	}
	return casework.ListQuery{Region: form.Get("region"), Status: form.Get("status"), CaseID: form.Get("case")}, form
}

// listProblem puts a list query the service refused beside its filters;
// false when it answered the request itself.
func (c *Console) listProblem(w http.ResponseWriter, r *http.Request, p *page, err error) bool {
	if pr, ok := api.ProblemOf(err); ok && pr.Status == http.StatusUnprocessableEntity {
		p.Status = pr.Status
		for _, fe := range pr.Errors {
			p.Errs[fe.Field] = p.L.FieldError(fe)
		}
		return true
	}
	c.fail(w, r, err)
	return false
}

// proposalsPage lists the village proposals in the person's region.
func (c *Console) proposalsPage(w http.ResponseWriter, r *http.Request) {
	q, form := listQueryOf(r)
	p := c.newPage(w, r, "proposals.title")
	p.Nav = "proposals"
	p.Form = form
	l, err := c.svc.Proposals(r.Context(), caller(r), q)
	if err != nil && !c.listProblem(w, r, p, err) {
		return
	}
	u, _ := userFrom(r.Context())
	p.Data = map[string]any{"Items": l.Items, "Enums": livingEnums, "MayPropose": u.Can(household.ProposeRoles...)}
	c.render(w, r, "proposals", p)
}

// proposePage is the village officer's form that proposes a household.
func (c *Console) proposePage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "propose.title")
	p.Nav = "proposals"
	c.renderPropose(w, r, p)
}

func (c *Console) renderPropose(w http.ResponseWriter, r *http.Request, p *page) {
	u, _ := userFrom(r.Context())
	if !u.Can(household.ProposeRoles...) {
		p.Status = http.StatusForbidden
		p.Alert = p.L.T("problem.403") + ": " + p.L.Say(household.MessageKey("your role may not use this endpoint"), nil, "your role may not use this endpoint")
		c.render(w, r, "error", p)
		return
	}
	var villages []region.Region
	if v, ok := region.Lookup(u.Region); ok && v.Level == region.Village {
		villages = []region.Region{v}
	}
	p.Data = map[string]any{"Villages": villages, "Nonce": nonce()}
	c.render(w, r, "propose", p)
}

// propose submits the proposal; a refused form comes back as typed with
// each field's message.
func (c *Console) propose(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	in := household.ProposalInput{KK: f.Get("kk"), HeadNIK: f.Get("headNik"), HeadName: f.Get("headName"),
		VillageCode: f.Get("villageCode"), Address: f.Get("address"), MusdesDate: f.Get("musdesDate"),
		MusdesMinutes: f.Get("musdesMinutes"), Notes: f.Get("notes")}
	who := caller(r)
	if n := f.Get("nonce"); n != "" {
		_, who.UpdateID = formUpdateID(who.Sub, r.URL.Path, n)
	}
	v, err := c.svc.Propose(r.Context(), who, in)
	if err == nil {
		c.done(w, r, "/proposals/"+url.PathEscape(v.ID)+"?done=proposed")
		return
	}
	p := c.newPage(w, r, "propose.title")
	p.Nav = "proposals"
	p.Form = f
	if !c.formProblem(w, r, p, err) {
		return
	}
	c.renderPropose(w, r, p)
}

// livingFlashes are the done= of the redirects after the living list's
// forms, each to its message; any other value shows nothing.
var livingFlashes = map[string]string{"proposed": "done.proposed", "screened": "done.screened", "objected": "done.objected",
	"answered": "done.answered", "published": "done.published"}

func (c *Console) flash(p *page, r *http.Request) {
	if key, ok := livingFlashes[r.URL.Query().Get("done")]; ok {
		p.Flash = p.L.T(key)
	}
}

// proposalPage shows a proposal, its timeline, and the screening form to
// who may screen it.
func (c *Console) proposalPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "proposal.title")
	c.flash(p, r)
	c.renderProposal(w, r, p)
}

func (c *Console) renderProposal(w http.ResponseWriter, r *http.Request, p *page) {
	v, may, err := c.svc.Proposal(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Nav = "proposals"
	p.L = p.L.In(v.VillageCode)
	p.Title = v.HeadName + " — " + p.L.T("proposal.title")
	p.Data = map[string]any{"P": v, "MayScreen": may, "Nonce": nonce(), "Enums": livingEnums}
	c.render(w, r, "proposal", p)
}

func (c *Console) screen(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	who := caller(r)
	_, who.UpdateID = formUpdateID(who.Sub, r.URL.Path, f.Get("nonce"))
	id := r.PathValue("id")
	_, err := c.svc.Screen(r.Context(), who, id, household.ScreenInput{Decision: household.ScreenDecision(f.Get("decision")), Reason: f.Get("reason")})
	if err == nil {
		c.done(w, r, "/proposals/"+url.PathEscape(id)+"?done=screened")
		return
	}
	p := c.newPage(w, r, "proposal.title")
	if !c.formProblem(w, r, p, err) {
		return
	}
	if p.Status != http.StatusConflict {
		p.Form = f
	}
	c.renderProposal(w, r, p)
}

// objectionsPage lists the objections in the person's region (or against
// one case).
func (c *Console) objectionsPage(w http.ResponseWriter, r *http.Request) {
	q, form := listQueryOf(r)
	p := c.newPage(w, r, "objections.title")
	p.Nav = "objections"
	p.Form = form
	l, err := c.svc.Objections(r.Context(), caller(r), q)
	if err != nil && !c.listProblem(w, r, p, err) {
		return
	}
	p.Data = map[string]any{"Items": l.Items, "Enums": livingEnums}
	c.render(w, r, "objections", p)
}

// objectionPage shows an objection, its timeline, and the answer form to
// who may answer it.
func (c *Console) objectionPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "objection.title")
	c.flash(p, r)
	c.renderObjection(w, r, p)
}

func (c *Console) renderObjection(w http.ResponseWriter, r *http.Request, p *page) {
	v, may, err := c.svc.Objection(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Nav = "objections"
	p.L = p.L.In(v.VillageCode)
	p.Title = v.HeadName + " — " + p.L.T("objection.title")
	p.Data = map[string]any{"O": v, "MayAnswer": may, "Nonce": nonce(), "Enums": livingEnums}
	c.render(w, r, "objection", p)
}

func (c *Console) answer(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	who := caller(r)
	_, who.UpdateID = formUpdateID(who.Sub, r.URL.Path, f.Get("nonce"))
	id := r.PathValue("id")
	_, err := c.svc.Answer(r.Context(), who, id, household.AnswerInput{Decision: household.AnswerDecision(f.Get("decision")), Note: f.Get("note")})
	if err == nil {
		c.done(w, r, "/objections/"+url.PathEscape(id)+"?done=answered")
		return
	}
	p := c.newPage(w, r, "objection.title")
	if !c.formProblem(w, r, p, err) {
		return
	}
	if p.Status != http.StatusConflict {
		p.Form = f
	}
	c.renderObjection(w, r, p)
}

// object records an objection from the case page's form; refused, the
// case page comes back with the form as typed.
func (c *Console) object(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	id := r.PathValue("id")
	who := caller(r)
	_, who.UpdateID = formUpdateID(who.Sub, r.URL.Path, f.Get("nonce"))
	var fe household.FieldErrors
	in := household.ObjectionInput{Relation: household.ObjectorRelation(f.Get("relation")), Reason: household.ObjectionReason(f.Get("reason")),
		Notes: f.Get("notes"), Evidence: evidenceInput(&fe, f)}
	err := fe.Err()
	if err == nil {
		// The photo is stored first: the objection carries its ID only.
		if err = c.uploadFormPhoto(r, f); err == nil {
			in.Evidence = evidenceInput(&fe, f)
			var v casework.ObjectionView
			if v, err = c.svc.Object(r.Context(), who, id, in); err == nil {
				c.done(w, r, "/objections/"+url.PathEscape(v.ID)+"?done=objected")
				return
			}
		}
	}
	p := c.newPage(w, r, "case.title")
	if !c.formProblem(w, r, p, err) {
		return
	}
	p.Form = f
	c.renderCase(w, r, p, actObject)
}

// postingPage is a village's list as posted at the village office for
// objection, laid out for A4: each household by its head's name and RT,
// its KK by the last four digits. Who may post it sees the form that
// opens the objection period.
func (c *Console) postingPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "posting.title")
	c.flash(p, r)
	c.renderPosting(w, r, p, r.URL.Query().Get("village"))
}

func (c *Console) renderPosting(w http.ResponseWriter, r *http.Request, p *page, village string) {
	l, err := c.svc.VillagePosting(r.Context(), caller(r), village)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Nav = "posting"
	p.L = p.L.In(l.Village.Code)
	u, _ := userFrom(r.Context())
	p.Data = map[string]any{"List": l, "Villages": villagesOf(u.Region), "MayPublish": u.Can(casework.PublishRoles()...)}
	c.render(w, r, "posting", p)
}

func (c *Console) publish(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	village := f.Get("village")
	_, err := c.svc.Publish(r.Context(), caller(r), village, casework.PublishRequest{Until: f.Get("until")})
	if err == nil {
		c.done(w, r, "/villages/posting?village="+url.QueryEscape(village)+"&done=published")
		return
	}
	p := c.newPage(w, r, "posting.title")
	if !c.formProblem(w, r, p, err) {
		return
	}
	p.Form = f
	if _, ok := p.Errs["village"]; ok {
		// The village is not theirs: nothing of it is shown.
		village = ""
	}
	c.renderPosting(w, r, p, village)
}
