package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// listParams are the query parameters of the case list, as in GET /v1/cases.
var listParams = []string{"district", "village", "stage", "status", "outcome", "escalated", "overdue", "transfer", "limit", "cursor"}

// listPage is the case list with the API's filters and paging, masked as
// the API masks it.
func (c *Console) listPage(w http.ResponseWriter, r *http.Request) {
	in := r.URL.Query()
	query := url.Values{}
	for _, k := range listParams {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			query.Set(k, v)
		}
	}
	p := c.newPage(w, r, "list.title")
	p.Nav = "cases"
	p.Form = query
	who := caller(r)
	var l casework.CaseList
	f, err := casework.ParseFilter(query, who.Region)
	if err == nil {
		l, err = c.svc.ListCases(r.Context(), who, f)
	}
	if pr, ok := api.ProblemOf(err); ok && pr.Status == http.StatusUnprocessableEntity {
		p.Status = pr.Status
		for _, fe := range pr.Errors {
			p.Errs[fe.Field] = p.L.FieldError(fe)
		}
	} else if err != nil {
		c.fail(w, r, err)
		return
	}
	next := ""
	if l.NextCursor != "" {
		nq := url.Values{}
		for k, v := range query {
			nq[k] = v
		}
		nq.Set("cursor", l.NextCursor)
		next = "/cases?" + nq.Encode()
	}
	u, _ := userFrom(r.Context())
	p.Data = map[string]any{"Items": l.Items, "Next": next, "Stages": household.Stages, "Outcomes": household.Outcomes,
		"Transfers": household.TransferDirections, "Districts": region.Children(regencyOf(u.Region))}
	c.render(w, r, "list", p)
}

// regencyOf is the regency a person's region lies in (Kutai Timur for the
// province, whose first regency is the deployment's).
func regencyOf(code string) string {
	if len(code) >= 5 {
		return code[:5]
	}
	return "64.08"
}

// openPage is the form that opens a case (caseworker, admin).
func (c *Console) openPage(w http.ResponseWriter, r *http.Request) {
	p := c.newPage(w, r, "open.title")
	p.Nav = "open"
	p.Form["source"] = []string{"p3ke"}
	c.renderOpen(w, r, p, "")
}

// renderOpen renders the opening form; existing names the open case of a
// family card the person may see.
func (c *Console) renderOpen(w http.ResponseWriter, r *http.Request, p *page, existing string) {
	u, _ := userFrom(r.Context())
	var villages []region.Region
	for _, d := range scopeDistricts(u.Region) {
		villages = append(villages, region.Children(d)...)
	}
	p.Data = map[string]any{"Villages": villages, "Sources": household.OpenSources, "CaseID": existing, "Nonce": nonce()}
	c.render(w, r, "open", p)
}

// scopeDistricts are the kecamatan a person may open cases in.
func scopeDistricts(scope string) []string {
	switch levelOf(scope) {
	case region.District:
		return []string{scope}
	case region.Village:
		return nil
	}
	var out []string
	for _, d := range region.Children(regencyOf(scope)) {
		out = append(out, d.Code)
	}
	return out
}

// openCase opens a case through the service; a rejected form comes back
// with the messages beside the fields and everything typed kept.
func (c *Console) openCase(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	req := casework.OpenRequest{KK: strings.TrimSpace(f.Get("kk")), HeadNIK: strings.TrimSpace(f.Get("headNik")),
		HeadName: f.Get("headName"), VillageCode: f.Get("villageCode"), Address: f.Get("address"),
		Source: household.Source(f.Get("source"))}
	var fe household.FieldErrors
	if v := strings.TrimSpace(f.Get("desil")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fe.Add("desil", "must be a decile from 1 to 10")
		}
		req.Desil = &n
	}
	u, _ := userFrom(r.Context())
	_, parsed := oneRound(nil, fe.Err(), func() error {
		return household.OpenInput{KK: req.KK, HeadNIK: req.HeadNIK, HeadName: req.HeadName, VillageCode: req.VillageCode,
			Address: req.Address, Source: req.Source}.Tidy().Validate(u.Region)
	})
	var (
		v   casework.CaseView
		err = parsed
	)
	if err == nil {
		// As for the case's actions, the form's nonce names the opening,
		// so that the opening sent again (by the outbox) is the same one.
		who := caller(r)
		if n := f.Get("nonce"); n != "" {
			_, who.UpdateID = formUpdateID(who.Principal.Sub, r.URL.Path, n)
		}
		v, err = c.svc.Open(r.Context(), who, req)
	}
	if err == nil {
		c.done(w, r, "/cases/"+url.PathEscape(v.ID)+"?done=open")
		return
	}
	p := c.newPage(w, r, "open.title")
	p.Nav = "open"
	p.Form = f
	if !c.formProblem(w, r, p, err) {
		return
	}
	pr, _ := api.ProblemOf(err)
	if pr.Status == http.StatusConflict {
		// Not someone acting first: the family card's case is open already.
		p.Alert = p.L.Problem(pr)
	}
	c.renderOpen(w, r, p, pr.CaseID)
}

// formProblem puts a rejection on the page: field messages beside their
// fields, anything else as the page's alert. It answers false (having
// answered the request) when the problem is not one a form can show.
func (c *Console) formProblem(w http.ResponseWriter, r *http.Request, p *page, err error) bool {
	var fe household.FieldErrors
	if asFieldErrors(err, &fe) {
		p.Status = http.StatusUnprocessableEntity
		for _, e := range fe {
			p.Errs[e.Field] = p.L.FieldError(e)
		}
		p.Alert = p.L.T("form.invalid")
		return true
	}
	pr, ok := api.ProblemOf(err)
	if !ok || pr.Status == http.StatusNotFound {
		c.fail(w, r, err)
		return false
	}
	p.Status = pr.Status
	for _, e := range pr.Errors {
		p.Errs[e.Field] = p.L.FieldError(e)
	}
	switch pr.Status {
	case http.StatusUnprocessableEntity:
		p.Alert = p.L.T("form.invalid")
	case http.StatusConflict:
		p.Alert = strings.TrimSpace(p.L.T("form.conflict") + " " + p.L.Say(pr.Key, pr.Args, pr.Detail))
	default:
		p.Alert = p.L.Problem(pr)
	}
	return true
}
