package systemtest

// Evidence in the field (issue 21): a survey taken with no signal carries
// a photo of the house, shrunk on the phone, and the phone's position; the
// outbox uploads the photo before the survey when the link returns, and
// the case page shows it to those who may read the case, each view on the
// audit record.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/photos"
)

// cameraPhoto writes a photo as a phone's camera leaves it: 2400×1800,
// over a megabyte, with EXIF naming the phone and a position.
func cameraPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2400, 1800))
	rnd := rand.New(rand.NewPCG(21, 7))
	for y := range 1800 {
		for x := range 2400 {
			n := uint8(rnd.IntN(60))
			img.Set(x, y, color.RGBA{uint8(x/10) + n, uint8(y/8) + n, 90 + n, 255})
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	// APP1: "Exif", a TIFF header with an empty IFD, and the words a
	// camera writes, which must not reach the server.
	payload := append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"), "SM-A135F GPS 0.37 116.63"...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	b := enc.Bytes()
	photo := append(append(append(append([]byte{}, b[:2]...), seg...), payload...), b[2:]...)
	if len(photo) <= household.MaxPhotoBytes {
		t.Fatalf("the camera's photo is only %d bytes", len(photo))
	}
	t.Logf("the camera's photo: %d bytes", len(photo))
	path := filepath.Join(t.TempDir(), "rumah.jpg")
	if err := os.WriteFile(path, photo, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFieldSurveyOfflineWithAPhotoAndALocationIsSentAndThePhotoShownOnTheCase(t *testing.T) {
	b := newFieldBrowser(t)
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	photoPath := cameraPhoto(t)

	b.signIn(fp.cw)
	b.open("/")
	b.kept("/", "/cases/"+id)

	// The phone's position, as its GPS gives it with no signal: Sangatta.
	lat, lon, acc := 0.50512, 117.55431, 14.0
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: sys.URL}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		t.Fatalf("geolocation override: %v", err)
	}

	// No signal: the survey is filled from the saved page, with the photo
	// taken and the position fixed on the phone.
	b.offline()
	b.open("/cases/" + id)
	b.until("the saved copy", `document.documentElement.hasAttribute("data-saved-at")`)
	b.fillSurvey(headNIK, fieldNIK("020310"))
	b.do(chromedp.SetUploadFiles(chromedp.CSS(`#form-survey [data-evidence-file]`), []string{photoPath}))
	b.until("the photo shrunk on the phone", `Number(document.querySelector("#form-survey fieldset[data-evidence]").getAttribute("data-photo-bytes")) > 0`)
	shrunk := eval[int](b.browser, `Number(document.querySelector("#form-survey fieldset[data-evidence]").getAttribute("data-photo-bytes"))`)
	t.Logf("the camera's photo shrunk on the phone to %d bytes", shrunk)
	if shrunk > household.MaxPhotoBytes {
		t.Fatalf("the phone kept a photo of %d bytes", shrunk)
	}
	b.do(chromedp.Click(chromedp.CSS(`#form-survey [data-evidence-locate]`)))
	b.until("the position fixed", `document.querySelector("#form-survey fieldset[data-evidence]").getAttribute("data-located") === "1"`)
	if got := b.text(`#form-survey [data-evidence-location-status]`); got != "Lokasi: 0.50512, 117.55431 (± 14 m)" {
		t.Errorf("the form says %q", got)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS(`#form-survey fieldset[data-evidence]`)))
	b.shot("evidence-form-360.png")
	b.follow("#survey-submit")
	b.until("the survey waiting", attrIs("data-outbox", "1"))
	if c, _ := caseNow(t, fp.cw, id); c.Stage != household.StageCollecting {
		t.Fatalf("with no signal the survey reached the server: stage %s", c.Stage)
	}

	// The signal returns: the photo goes first, then the survey naming it.
	b.online()
	b.until("the survey sent", attrIs("data-outbox", "0")+" && "+attrIs("data-outbox-attention", "0")+
		` && document.querySelectorAll("#outbox-items li[data-state=sent]").length === 1`)
	c, events := caseNow(t, fp.cw, id)
	if c.Stage != household.StageVillageReview || events["survey_submitted"] != 1 {
		t.Fatalf("after sending, the case is at %s with %d surveys", c.Stage, events["survey_submitted"])
	}
	ev := c.Survey.Evidence
	if ev == nil || !household.ValidPhotoID(ev.Photo) || ev.Location == nil {
		t.Fatalf("the survey's evidence is %+v", ev)
	}
	if l := ev.Location; math.Abs(l.Lat-lat) > 1e-5 || math.Abs(l.Lon-lon) > 1e-5 || l.AccuracyM != acc {
		t.Errorf("the survey's position is %+v", *l)
	}

	var tl casework.Timeline
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id+"/timeline", fp.cw, nil, &tl)
	onTimeline := false
	for _, e := range tl.Events {
		onTimeline = onTimeline || (e.Type == household.EventSurveySubmitted && e.Evidence != nil && e.Evidence.Photo == ev.Photo)
	}
	if !onTimeline {
		t.Error("the survey's event does not carry its evidence")
	}

	// The photo as stored: the phone's JPEG, no camera metadata.
	req, _ := http.NewRequest(http.MethodGet, sys.URL+"/v1/cases/"+id+"/photos/"+ev.Photo, nil)
	req.Header.Set("Authorization", "Bearer "+fp.supervisor)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" || len(stored) > household.MaxPhotoBytes {
		t.Fatalf("GET the photo = %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(stored))
	}
	if bytes.Contains(stored, []byte("SM-A135F")) || bytes.Contains(stored, []byte("Exif")) {
		t.Error("the stored photo holds the camera's EXIF")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(stored)); err != nil || max(cfg.Width, cfg.Height) > 1280 {
		t.Errorf("the stored photo is %+v (%v)", cfg, err)
	}

	// The case page, online, shows the photo and the position.
	b.open("/cases/" + id)
	b.until("the photo on the case page", `(() => { const i = document.querySelector("img.house-photo"); return !!i && i.complete && i.naturalWidth > 0 })()`)
	if got := b.text(".evidence-view figcaption"); got != "Lokasi: 0.50512, 117.55431 (± 14 m)" {
		t.Errorf("the case page says %q", got)
	}
	// Every survey's and visit's photo stays reachable from the timeline.
	if n := eval[int](b.browser, `document.querySelectorAll('.timeline a.evidence-link[href="/cases/`+id+`/photos/`+ev.Photo+`"]').length`); n != 1 {
		t.Errorf("the timeline links the survey's photo %d times", n)
	}
	if w := eval[int](b.browser, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the case page with its photo is %d px wide at 360 px", w)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS(".evidence-view")))
	b.shot("evidence-case-360.png")

	// Each view is on the audit record, with the photo it showed.
	var reads casework.CaseReads
	sys.must(t, http.StatusOK, http.MethodGet, "/v1/cases/"+id+"/reads", sys.token(t, household.RoleAdmin, "64", ""), nil, &reads)
	views := map[string]int{}
	for _, r := range reads.Reads {
		if r.Photo == ev.Photo {
			views[r.Route]++
		}
	}
	if views["console GET /cases/{id}/photos/{pid}"] < 1 || views["GET /v1/cases/:id/photos/:pid"] != 1 {
		t.Errorf("views of the photo on the record: %v", views)
	}
	// A caseworker of another kecamatan sees neither the case nor its photo.
	other := sys.token(t, household.RoleCaseworker, "64.08.01", "")
	req, _ = http.NewRequest(http.MethodGet, sys.URL+"/v1/cases/"+id+"/photos/"+ev.Photo, nil)
	req.Header.Set("Authorization", "Bearer "+other)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the photo to another kecamatan: %d", resp.StatusCode)
	}
}

// TestPhotosAreReadByAnIndexInTheEmbeddedStore: a photo is read by its
// _id, which the dev stack's SQLite index answers without parsing every
// photo (the reason photos are one document each, not GridFS chunks read
// by files_id).
func TestPhotosAreReadByAnIndexInTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	plan, err := sys.Stack.IDQueryPlan(context.Background(), devsystem.Database, photos.Collection)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING INDEX") || !strings.Contains(plan, "tuntas_id_path") {
		t.Errorf("a photo's lookup by _id scans: %s", plan)
	}
}

// postPhotoForm sends a form as the outbox does and reads the answer with
// the photo's ID.
func (c *consoleHTTP) postPhotoForm(t *testing.T, path string, form url.Values) (int, outboxAnswer, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, sys.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Tuntas-Outbox", "1")
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a outboxAnswer
	var p struct{ Photo string }
	if json.Unmarshal(body, &a) != nil || json.Unmarshal(body, &p) != nil {
		t.Fatalf("POST %s answered %d: %s", path, resp.StatusCode, body)
	}
	return resp.StatusCode, a, p.Photo
}

func TestFieldPhotoIsStoredBeforeTheFormThatNamesItAndRefusedBesideItsField(t *testing.T) {
	fp := fieldTokens(t)
	id, headNIK := fieldCase(t, fp.cw)
	c := consoleClient(t, fp.cw)
	var small bytes.Buffer
	if err := jpeg.Encode(&small, image.NewGray(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	data := base64.StdEncoding.EncodeToString(small.Bytes())

	// The outbox's upload: refused beside its field when it is no photo.
	status, a, _ := c.postPhotoForm(t, "/cases/"+id+"/photos", url.Values{"csrf": {c.csrf}, "photoData": {base64.StdEncoding.EncodeToString([]byte("bukan foto"))}})
	if status != http.StatusUnprocessableEntity || a.State != "refused" || a.Fields["photo"] != "harus foto JPEG" {
		t.Fatalf("no photo: %d %+v", status, a)
	}
	status, a, photoID := c.postPhotoForm(t, "/cases/"+id+"/photos", url.Values{"csrf": {c.csrf}, "photoData": {data}})
	if status != http.StatusOK || a.State != "sent" || !household.ValidPhotoID(photoID) {
		t.Fatalf("the photo: %d %+v %q", status, a, photoID)
	}

	survey := url.Values{"csrf": {c.csrf}, "nonce": {"e-1"},
		"members[0].nik": {headNIK}, "members[0].name": {"Sri Wahyuni"}, "members[0].relation": {"head"}, "members[0].birthDate": {"1985-01-01"},
		"members[0].sex": {"F"}, "members[0].education": {"sd"}, "members[0].occupation": {"farmer"},
		"monthlyExpenditure": {"600.000"}, "monthlyIncome": {"450000"}, "housing.floor": {"earth"}, "housing.wall": {"bamboo"},
		"housing.roof": {"zinc"}, "housing.water": {"unprotected"}, "housing.sanitation": {"none"}, "housing.electricity": {"pln_450"},
		"assets.landAreaM2": {"150"}, "assets.motorbikes": {"1"}, "assets.cars": {"0"}, "assets.livestock": {"3"},
		"evidence.location.lat": {"0.5"}, "evidence.location.lon": {"117.5"}, "evidence.location.accuracyM": {"20"}}

	// A photo the case does not hold is refused before the survey is sent.
	named := url.Values{}
	for k, v := range survey {
		named[k] = v
	}
	named.Set("evidence.photo", strings.Repeat("0", 64))
	if status, a, _ = c.postPhotoForm(t, "/cases/"+id+"/survey", named); status != http.StatusUnprocessableEntity || a.Fields["evidence.photo"] == "" {
		t.Fatalf("a photo not uploaded: %d %+v", status, a)
	}
	// A form that carries its photo (sent online, not through the outbox's
	// upload): stored first, the survey names it; the same bytes are the
	// same photo.
	survey.Set("photoData", data)
	if status, a, _ = c.postPhotoForm(t, "/cases/"+id+"/survey", survey); status != http.StatusOK || a.State != "sent" {
		t.Fatalf("the survey with its photo: %d %+v", status, a)
	}
	cs, _ := caseNow(t, fp.cw, id)
	if ev := cs.Survey.Evidence; ev == nil || ev.Photo != photoID || ev.Location == nil || ev.Location.AccuracyM != 20 {
		t.Fatalf("the survey's evidence: %+v", ev)
	}
}
