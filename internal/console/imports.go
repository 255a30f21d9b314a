package console

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tuntas-id/tuntas/api"
	"github.com/tuntas-id/tuntas/internal/household"
)

// maxUpload bounds an uploaded list, as POST /v1/imports does.
const maxUpload = 64 << 20

// importsPage is the upload form (admin).
func (c *Console) importsPage(w http.ResponseWriter, r *http.Request) {
	if u, _ := userFrom(r.Context()); u.Role != household.RoleAdmin {
		c.notFound(w, r)
		return
	}
	p := c.newPage(w, r, "imports.title")
	p.Nav = "imports"
	c.render(w, r, "imports", p)
}

// startImport streams the uploaded file to the service. The form's CSRF
// field comes before the file, so it is checked before the file is read.
func (c *Console) startImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		c.forbidden(w, r)
		return
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != csrfField {
		c.forbidden(w, r)
		return
	}
	tok, _ := io.ReadAll(io.LimitReader(part, 128))
	if !validCSRF(r, string(tok)) {
		c.forbidden(w, r)
		return
	}
	for {
		if part, err = mr.NextPart(); err != nil {
			p := c.newPage(w, r, "imports.title")
			p.Status = http.StatusUnprocessableEntity
			p.Errs["file"] = p.L.T("imports.nofile")
			c.render(w, r, "imports", p)
			return
		}
		if part.FormName() == "file" {
			break
		}
	}
	prog, err := c.svc.StartImport(r.Context(), caller(r), part, part.FileName())
	if err != nil {
		p := c.newPage(w, r, "imports.title")
		p.Nav = "imports"
		if !c.formProblem(w, r, p, err) {
			return
		}
		c.render(w, r, "imports", p)
		return
	}
	http.Redirect(w, r, "/imports/"+url.PathEscape(prog.ID), http.StatusSeeOther)
}

// importPage shows an import's progress (the bar moves by script, polling
// importStatus) and its row errors.
func (c *Console) importPage(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.Import(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.newPage(w, r, "import.title")
	p.Nav = "imports"
	p.Data = rep
	c.render(w, r, "import", p)
}

// importStatus is the progress as JSON for the page's script.
func (c *Console) importStatus(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.Import(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		status := http.StatusInternalServerError
		if pr, ok := api.ProblemOf(err); ok {
			status = pr.Status
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	pr := rep.Import
	_ = json.NewEncoder(w).Encode(map[string]any{"status": pr.Status, "done": pr.Opened + pr.AlreadyOpen + pr.Failed,
		"valid": pr.Valid, "opened": pr.Opened, "alreadyOpen": pr.AlreadyOpen, "failed": pr.Failed, "rejected": pr.Rejected})
}

// importErrorsCSV downloads the rejected rows: line, column and reason.
func (c *Console) importErrorsCSV(w http.ResponseWriter, r *http.Request) {
	rep, err := c.svc.Import(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+rep.Import.ID+`-rejected.csv"`)
	l := c.locale(r)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "column", "reason"})
	for _, e := range rep.Errors {
		_ = cw.Write([]string{strconv.Itoa(e.Row), e.Field, l.Say(e.Key, e.Args, e.Message)})
	}
	cw.Flush()
}
