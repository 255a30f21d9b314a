package api

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/photos"
)

// memPhotos is the photo store in memory.
type memPhotos struct {
	mu sync.Mutex
	m  map[string]photos.Photo
}

var _ casework.PhotoStore = (*memPhotos)(nil)

func (s *memPhotos) Put(_ context.Context, p photos.Photo) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[p.CaseID+"/"+p.ID]; ok {
		return false, nil
	}
	s.m[p.CaseID+"/"+p.ID] = p
	return true, nil
}

func (s *memPhotos) Has(_ context.Context, caseID, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[caseID+"/"+id]
	return ok, nil
}

func (s *memPhotos) Get(_ context.Context, caseID, id string) (photos.Photo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.m[caseID+"/"+id]
	if !ok {
		return photos.Photo{}, photos.ErrNotFound
	}
	return p, nil
}

func houseJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := range 32 {
		img.Set(x, x%24, color.RGBA{30, 120, 200, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	// As a camera writes it: EXIF with the phone's make and a position.
	exif := "Exif\x00\x00Samsung GPS 0.37,116.63"
	seg := append([]byte{0xFF, 0xE1, 0, byte(len(exif) + 2)}, exif...)
	return append(append(append([]byte{}, b.Bytes()[:2]...), seg...), b.Bytes()[2:]...)
}

// postPhoto sends body as the photo of case id.
func (ht *handlerTest) postPhoto(id, token, contentType string, body []byte) *httptest.ResponseRecorder {
	ht.t.Helper()
	return serve(ht.t, ht.h, http.MethodPost, "/v1/cases/"+id+"/photos", token, contentType, bytes.NewReader(body))
}

func TestAPhotoIsRefusedWhenNotAJPEGOrLargerThan200KB(t *testing.T) {
	ht := newHandlerTestWith(t, func(cfg *casework.Config) { cfg.Photos = &memPhotos{m: map[string]photos.Photo{}} }, openCase("c-1"))
	cw := ht.token(household.RoleCaseworker, "64.08.01")
	var pngBytes bytes.Buffer
	_ = png.Encode(&pngBytes, image.NewGray(image.Rect(0, 0, 8, 8)))
	big := append(houseJPEG(t), bytes.Repeat([]byte{0}, household.MaxPhotoBytes)...)
	tests := []struct {
		name, contentType string
		body              []byte
		status            int
		field, key        string
	}{
		{"text sent as a JPEG", "image/jpeg", []byte("not a photo"), http.StatusUnprocessableEntity, "photo", "photo_jpeg"},
		{"a PNG", "image/png", pngBytes.Bytes(), http.StatusUnprocessableEntity, "photo", "photo_jpeg"},
		{"an empty body", "image/jpeg", nil, http.StatusUnprocessableEntity, "photo", "photo_jpeg"},
		{"over 200 KB", "image/jpeg", big, http.StatusRequestEntityTooLarge, "photo", "photo_too_large"},
		{"JSON", "application/json", []byte(`{"photo":"x"}`), http.StatusUnsupportedMediaType, "", "photo_media"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ht.postPhoto("c-1", cw, tt.contentType, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			p := problemOf(t, rec)
			if tt.field == "" {
				if p.Key != tt.key {
					t.Errorf("key %q, want %q", p.Key, tt.key)
				}
				return
			}
			if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Key != tt.key {
				t.Errorf("errors %+v; want %s: %s", p.Errors, tt.field, tt.key)
			}
		})
	}
}

func TestAPhotoIsStoredWithoutMetadataAndShownOnlyToWhoMayReadTheCase(t *testing.T) {
	store := &memPhotos{m: map[string]photos.Photo{}}
	withDinsos := surveyedCase("c-1") // dinsos holds iv-1
	ht := newHandlerTestWith(t, func(cfg *casework.Config) { cfg.Photos = store }, withDinsos, openCase("c-2"))
	cw := ht.token(household.RoleCaseworker, "64.08.01")

	rec := ht.postPhoto("c-1", cw, "image/jpeg", houseJPEG(t))
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload = %d: %s", rec.Code, rec.Body)
	}
	var ref casework.PhotoRef
	if err := json.Unmarshal(rec.Body.Bytes(), &ref); err != nil || !household.ValidPhotoID(ref.ID) || !ref.Stored {
		t.Fatalf("upload answered %s (%v)", rec.Body, err)
	}
	if loc := rec.Header().Get("Location"); loc != "/v1/cases/c-1/photos/"+ref.ID {
		t.Errorf("Location %q", loc)
	}
	if again := ht.postPhoto("c-1", cw, "image/jpeg", houseJPEG(t)); again.Code != http.StatusCreated || !strings.Contains(again.Body.String(), `"stored":false`) {
		t.Errorf("sent again = %d: %s", again.Code, again.Body)
	}
	if len(store.m) != 1 {
		t.Errorf("store holds %d photos; want 1", len(store.m))
	}
	// A caseworker of another kecamatan cannot put a photo on the case.
	if rec := ht.postPhoto("c-1", ht.token(household.RoleCaseworker, "64.08.03"), "image/jpeg", houseJPEG(t)); rec.Code != http.StatusNotFound {
		t.Errorf("upload by another kecamatan = %d", rec.Code)
	}
	// The village officer puts a photo on a case to record an objection;
	// a supervisor, who takes none, may not.
	if rec := ht.postPhoto("c-1", ht.token(household.RoleVillageOfficer, "64.08.01.2001"), "image/jpeg", houseJPEG(t)); rec.Code != http.StatusCreated {
		t.Errorf("upload by the village officer = %d", rec.Code)
	}
	if rec := ht.postPhoto("c-1", ht.token(household.RoleSupervisor, "64.08"), "image/jpeg", houseJPEG(t)); rec.Code != http.StatusForbidden {
		t.Errorf("upload by the supervisor = %d", rec.Code)
	}

	path := "/v1/cases/c-1/photos/" + ref.ID
	missing := problemOf(t, ht.do(http.MethodGet, "/v1/cases/no-such-case", cw, nil))
	tests := []struct {
		name, path, token string
		want              int
	}{
		{"the caseworker", path, cw, http.StatusOK},
		{"the regency's supervisor", path, ht.token(household.RoleSupervisor, "64.08"), http.StatusOK},
		{"the agency holding an intervention", path, ht.token(household.RoleAgency, "64.08", household.AgencyDinsos), http.StatusOK},
		{"an agency holding none", path, ht.token(household.RoleAgency, "64.08", household.AgencyBaznas), http.StatusNotFound},
		{"a caseworker of another kecamatan", path, ht.token(household.RoleCaseworker, "64.08.03"), http.StatusNotFound},
		{"a supervisor of another regency", path, ht.token(household.RoleSupervisor, "64.01"), http.StatusNotFound},
		{"under another case", "/v1/cases/c-2/photos/" + ref.ID, cw, http.StatusNotFound},
		{"without a token", path, "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(ht.reads.accesses)
			rec := ht.do(http.MethodGet, tt.path, tt.token, nil)
			if rec.Code != tt.want {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusOK {
				if len(ht.reads.accesses) != before {
					t.Error("a refused view was recorded")
				}
				if tt.want == http.StatusNotFound {
					if p := problemOf(t, rec); p.Detail != missing.Detail && p.Key != "no_photo" {
						t.Errorf("answered %+v", p)
					}
				}
				return
			}
			if ct, cc := rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"); ct != "image/jpeg" || !strings.Contains(cc, "no-store") {
				t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
			}
			for _, s := range []string{"Exif", "Samsung", "GPS"} {
				if bytes.Contains(rec.Body.Bytes(), []byte(s)) {
					t.Errorf("the photo served still holds %q", s)
				}
			}
			if _, err := jpeg.Decode(bytes.NewReader(rec.Body.Bytes())); err != nil {
				t.Errorf("served photo does not decode: %v", err)
			}
			if len(ht.reads.accesses) != before+1 {
				t.Fatalf("%d views recorded; want 1", len(ht.reads.accesses)-before)
			}
			if a := ht.reads.accesses[before]; a.CaseID != "c-1" || a.Photo != ref.ID || a.Route != "GET /v1/cases/:id/photos/:pid" {
				t.Errorf("recorded %+v", a)
			}
		})
	}
}

func TestAVisitNamingAPhotoNotUploadedIsRefusedNamingTheField(t *testing.T) {
	c := surveyedCase("c-1")
	c.Stage = household.StageFollowUp
	ht := newHandlerTestWith(t, func(cfg *casework.Config) { cfg.Photos = &memPhotos{m: map[string]photos.Photo{}} }, c)
	rec := ht.do(http.MethodPost, "/v1/cases/c-1/follow-ups", ht.token(household.RoleCaseworker, "64.08.01"), map[string]any{
		"visitDate": "2026-11-28", "monthlyExpenditure": 900000,
		"evidence": map[string]any{"photo": strings.Repeat("ab", 32), "location": map[string]any{"lat": 0.37, "lon": 116.63, "accuracyM": 9}},
	})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("= %d: %s", rec.Code, rec.Body)
	}
	if p := problemOf(t, rec); len(p.Errors) != 1 || p.Errors[0].Field != "evidence.photo" || p.Errors[0].Key != "photo_missing" {
		t.Errorf("errors %+v", p.Errors)
	}
	if len(ht.temporal.sent()) != 0 {
		t.Error("the visit reached the workflow")
	}
}
