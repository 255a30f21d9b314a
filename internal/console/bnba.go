package console

import (
	"net/http"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
)

// bnbaPage is a village's by-name-by-address list for its musdes, laid
// out for A4 with the signature lines of the meeting's minutes (berita
// acara). The service masks it for the reader and records the print.
func (c *Console) bnbaPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := c.svc.VillageList(r.Context(), caller(r), casework.BNBAQuery{Village: q.Get("village"), Stage: household.Stage(q.Get("stage")), Format: "print"})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := c.newPage(w, r, "bnba.title")
	p.Nav = "bnba"
	p.Form = q
	u, _ := userFrom(r.Context())
	p.Data = map[string]any{"List": list, "Villages": villagesOf(u.Region), "Stages": casework.BNBAStages}
	c.render(w, r, "bnba", p)
}

// villagesOf are the villages a person may choose: their own, or those
// under their kecamatan (none listed above a kecamatan: the code is typed).
func villagesOf(scope string) []region.Region {
	r, ok := region.Lookup(scope)
	if !ok {
		return nil
	}
	switch r.Level {
	case region.Village:
		return []region.Region{r}
	case region.District:
		return region.Children(scope)
	}
	return nil
}
