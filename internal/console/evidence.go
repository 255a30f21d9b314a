package console

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tuntas-id/tuntas/internal/household"
)

// The evidence a survey or visit form may carry (see docs/evidence.md):
// the photo, shrunk on the phone to a JPEG of at most 200 KB and sent as
// base64 in photoData (the form stays a plain urlencoded form, which the
// outbox keeps and sends like any other), or, once uploaded, its ID in
// evidence.photo; and the device's position in evidence.location.*.
const (
	fieldPhotoData = "photoData"
	fieldPhotoID   = "evidence.photo"
	fieldLat       = "evidence.location.lat"
	fieldLon       = "evidence.location.lon"
	fieldAccuracy  = "evidence.location.accuracyM"
)

// maxEvidenceForm bounds a survey or visit form that carries its photo:
// the form itself and the photo in base64, form-encoded (its + and /
// become three characters each), with room to spare.
const maxEvidenceForm = maxForm + 2*household.MaxPhotoBytes

// evidenceInput reads the evidence fields of a form; nil when it carries
// none. A position that is not a number is refused beside its field with
// the domain's rule.
func evidenceInput(fe *household.FieldErrors, f url.Values) *household.Evidence {
	ev := &household.Evidence{Photo: strings.TrimSpace(f.Get(fieldPhotoID))}
	lat, lon, acc := strings.TrimSpace(f.Get(fieldLat)), strings.TrimSpace(f.Get(fieldLon)), strings.TrimSpace(f.Get(fieldAccuracy))
	if lat != "" || lon != "" || acc != "" {
		l := &household.Location{}
		num := func(name, v string, into *float64, rule string, args ...any) {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				fe.Add(name, rule, args...)
				return
			}
			*into = n
		}
		num(fieldLat, lat, &l.Lat, "must be a latitude within Indonesia, from -11.5 to 6.5")
		num(fieldLon, lon, &l.Lon, "must be a longitude within Indonesia, from 94.5 to 141.5")
		if acc != "" {
			num(fieldAccuracy, acc, &l.AccuracyM, "must be between 0 and %d", household.MaxAccuracyM)
		}
		ev.Location = l
	}
	if ev.Empty() {
		return nil
	}
	return ev
}

// evidenceForm is saved evidence as form values, so a draft's photo and
// position stay with the survey when it is finished.
func evidenceForm(f url.Values, ev *household.Evidence) {
	if ev == nil {
		return
	}
	if ev.Photo != "" {
		f.Set(fieldPhotoID, ev.Photo)
	}
	if l := ev.Location; l != nil {
		f.Set(fieldLat, strconv.FormatFloat(l.Lat, 'f', -1, 64))
		f.Set(fieldLon, strconv.FormatFloat(l.Lon, 'f', -1, 64))
		f.Set(fieldAccuracy, strconv.FormatFloat(l.AccuracyM, 'f', -1, 64))
	}
}

// takesEvidence reports whether an action's form may carry evidence.
func takesEvidence(act household.Action) bool {
	return act == household.ActSurvey || act == household.ActFollowUp
}

// uploadFormPhoto stores the photo a form carries in photoData, before
// the action that names it is sent, and puts its ID in the form in its
// place (so a refused form comes back holding the ID, not the bytes).
func (c *Console) uploadFormPhoto(r *http.Request, f url.Values) error {
	data := f.Get(fieldPhotoData)
	if data == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		b = nil // not a photo: the service says so, beside the field
	}
	ref, err := c.svc.UploadPhoto(r.Context(), caller(r), r.PathValue("id"), b)
	if err != nil {
		return err
	}
	f.Del(fieldPhotoData)
	f.Set(fieldPhotoID, ref.ID)
	return nil
}

// photoAnswer is the outbox's answer to a photo it uploads before the
// form that names it.
type photoAnswer struct {
	outboxAnswer
	Photo string `json:"photo,omitempty"`
}

// uploadPhoto takes the photo of an outbox item (photoData, as the form
// held it) and answers its ID, or why it was refused, in JSON.
func (c *Console) uploadPhoto(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if f.Get(fieldPhotoData) == "" {
		f.Set(fieldPhotoData, "-") // nothing sent is no photo
	}
	err := c.uploadFormPhoto(r, f)
	if err == nil {
		writeJSON(w, http.StatusOK, photoAnswer{outboxAnswer: outboxAnswer{State: stateSent, Status: http.StatusOK}, Photo: f.Get(fieldPhotoID)})
		return
	}
	p := c.newPage(w, r, "case.title")
	if !c.formProblem(w, r, p, err) {
		return
	}
	c.answerOutbox(w, r, "case", p)
}

// photo shows a photo of a case's house to a person who may read the case;
// each view is recorded. It is never kept by the browser or the service
// worker, so that every view reaches the record.
func (c *Console) photo(w http.ResponseWriter, r *http.Request) {
	p, err := c.svc.Photo(r.Context(), caller(r), r.PathValue("id"), r.PathValue("pid"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(p.Bytes)))
	_, _ = w.Write(p.Bytes)
}
