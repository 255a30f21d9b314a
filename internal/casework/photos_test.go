package casework_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/photos"
	"github.com/tuntas-id/tuntas/internal/store"
)

// photoReadModel holds case summaries and records reads; the rest of the
// read model is not used by photos.
type photoReadModel struct {
	casework.ReadModel
	cases map[string]store.Summary
	reads []store.Access
}

func (m *photoReadModel) Summary(_ context.Context, id string) (store.Summary, error) {
	s, ok := m.cases[id]
	if !ok {
		return store.Summary{}, store.ErrNotFound
	}
	return s, nil
}

func (m *photoReadModel) RecordAccess(_ context.Context, a store.Access) error {
	m.reads = append(m.reads, a)
	return nil
}

// memPhotos is a photo store in memory.
type memPhotos map[string]photos.Photo

func (m memPhotos) Put(_ context.Context, p photos.Photo) (bool, error) {
	if _, ok := m[p.CaseID+"/"+p.ID]; ok {
		return false, nil
	}
	m[p.CaseID+"/"+p.ID] = p
	return true, nil
}

func (m memPhotos) Has(_ context.Context, caseID, id string) (bool, error) {
	_, ok := m[caseID+"/"+id]
	return ok, nil
}

func (m memPhotos) Get(_ context.Context, caseID, id string) (photos.Photo, error) {
	p, ok := m[caseID+"/"+id]
	if !ok {
		return photos.Photo{}, photos.ErrNotFound
	}
	return p, nil
}

func houseJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{200, 80, 20, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func who(sub string, role household.Role, region, agency string) casework.Caller {
	return casework.Caller{Principal: auth.Principal{Sub: sub, Role: role, Region: region, Agency: agency}, Route: "test"}
}

var (
	cwAncalong  = who("cw-1", household.RoleCaseworker, "64.08.01", "")
	cwBengkal   = who("cw-2", household.RoleCaseworker, "64.08.03", "")
	officer     = who("vo-1", household.RoleVillageOfficer, "64.08.01.2001", "")
	supervisor  = who("sup-1", household.RoleSupervisor, "64.08", "")
	dinsos      = who("dinsos-1", household.RoleAgency, "64.08", household.AgencyDinsos)
	baznas      = who("baznas-1", household.RoleAgency, "64.08", household.AgencyBaznas)
	otherRegion = who("sup-2", household.RoleSupervisor, "64.02", "")
)

func newPhotoService() (*casework.Service, *photoReadModel, memPhotos) {
	rm := &photoReadModel{cases: map[string]store.Summary{
		"c-open":   {ID: "c-open", VillageCode: "64.08.01.2001", Status: household.StatusOpen, Stage: household.StageCollecting, Agencies: []string{household.AgencyDinsos}},
		"c-closed": {ID: "c-closed", VillageCode: "64.08.01.2001", Status: household.StatusClosed, Outcome: household.OutcomeGraduated},
	}}
	ph := memPhotos{}
	svc := casework.New(casework.Config{Store: rm, Photos: ph, Now: func() time.Time { return time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC) }})
	return svc, rm, ph
}

func codeOf(err error) household.Code {
	var e *casework.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAPhotoIsUploadedByWhoSurveysVisitsOrObjectsOnAnOpenCaseTheySee(t *testing.T) {
	ctx := context.Background()
	jpg := houseJPEG(t)
	var pngBytes bytes.Buffer
	_ = png.Encode(&pngBytes, image.NewGray(image.Rect(0, 0, 4, 4)))
	tests := []struct {
		name   string
		who    casework.Caller
		caseID string
		body   []byte
		want   household.Code // "" for stored
	}{
		{"the caseworker of the kecamatan", cwAncalong, "c-open", jpg, ""},
		{"the admin", who("admin", household.RoleAdmin, "64", ""), "c-open", jpg, ""},
		{"a caseworker of another kecamatan", cwBengkal, "c-open", jpg, household.CodeNotFound},
		{"a missing case", cwAncalong, "c-missing", jpg, household.CodeNotFound},
		// The village officer records objections, with a photo of the house.
		{"the village officer", officer, "c-open", jpg, ""},
		{"the supervisor", supervisor, "c-open", jpg, household.CodeForbidden},
		{"a closed case", cwAncalong, "c-closed", jpg, household.CodeConflict},
		{"a PNG", cwAncalong, "c-open", pngBytes.Bytes(), household.CodeInvalid},
		{"text", cwAncalong, "c-open", []byte("hello"), household.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, ph := newPhotoService()
			ref, err := svc.UploadPhoto(ctx, tt.who, tt.caseID, tt.body)
			if got := codeOf(err); got != tt.want || (tt.want == "" && err != nil) {
				t.Fatalf("UploadPhoto = %+v, %v; want code %q", ref, err, tt.want)
			}
			if tt.want != "" {
				if len(ph) != 0 {
					t.Errorf("a refused upload stored %d photos", len(ph))
				}
				return
			}
			if !ref.Stored || ref.Width != 40 || len(ph) != 1 || ph["c-open/"+ref.ID].By != tt.who.Sub {
				t.Errorf("stored %+v; store holds %d", ref, len(ph))
			}
			again, err := svc.UploadPhoto(ctx, tt.who, tt.caseID, tt.body)
			if err != nil || again.Stored || again.ID != ref.ID || len(ph) != 1 {
				t.Errorf("sent again: %+v, %v; store holds %d", again, err, len(ph))
			}
		})
	}
}

func TestAPhotoIsShownToWhoMayReadTheCaseAndEachViewIsRecorded(t *testing.T) {
	ctx := context.Background()
	svc, rm, _ := newPhotoService()
	ref, err := svc.UploadPhoto(ctx, cwAncalong, "c-open", houseJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		who     casework.Caller
		photoID string
		want    household.Code
	}{
		{"the caseworker", cwAncalong, ref.ID, ""},
		{"the regency's supervisor", supervisor, ref.ID, ""},
		{"the village officer", officer, ref.ID, ""},
		{"the agency holding an intervention", dinsos, ref.ID, ""},
		{"an agency holding none", baznas, ref.ID, household.CodeNotFound},
		{"a caseworker of another kecamatan", cwBengkal, ref.ID, household.CodeNotFound},
		{"a supervisor of another regency", otherRegion, ref.ID, household.CodeNotFound},
		{"a photo the case does not hold", cwAncalong, strings.Repeat("0", 64), household.CodeNotFound},
		{"a path that is no photo ID", cwAncalong, "../c-closed", household.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(rm.reads)
			p, err := svc.Photo(ctx, tt.who, "c-open", tt.photoID)
			if got := codeOf(err); got != tt.want || (tt.want == "" && err != nil) {
				t.Fatalf("Photo = %v; want code %q", err, tt.want)
			}
			if tt.want != "" {
				if len(rm.reads) != before {
					t.Errorf("a refused view was recorded: %+v", rm.reads[before:])
				}
				return
			}
			if p.ID != ref.ID || len(p.Bytes) != ref.Bytes {
				t.Errorf("photo %s, %d bytes", p.ID, len(p.Bytes))
			}
			if len(rm.reads) != before+1 {
				t.Fatalf("%d reads recorded; want 1", len(rm.reads)-before)
			}
			r := rm.reads[before]
			if r.Sub != tt.who.Sub || r.Role != tt.who.Role || r.CaseID != "c-open" || r.Photo != ref.ID || r.Route != "test" || r.At.IsZero() {
				t.Errorf("recorded %+v", r)
			}
		})
	}
}

func TestAnActionNamingAPhotoTheCaseDoesNotHoldIsRefusedBeforeItIsSent(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newPhotoService()
	visit := household.FollowUpInput{VisitDate: "2026-12-06", MonthlyExpenditure: 900_000,
		Evidence: &household.Evidence{Photo: strings.Repeat("ab", 32), Location: &household.Location{Lat: 0.37, Lon: 116.63, AccuracyM: 8}}}
	// No Temporal client is configured: the refusal comes first.
	_, err := svc.Act(ctx, cwAncalong, "c-open", household.ActFollowUp, func() (any, error) { return visit, nil })
	var e *casework.Error
	if !errors.As(err, &e) || e.Code != household.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "evidence.photo" || e.Fields[0].Key != "photo_missing" {
		t.Fatalf("Act = %v; want evidence.photo refused with photo_missing", err)
	}
}
