package console

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

func TestEvidenceFieldsOfAFormAreReadAndADraftsEvidenceComesBack(t *testing.T) {
	photo := strings.Repeat("cd", 32)
	tests := []struct {
		name   string
		form   url.Values
		want   *household.Evidence
		errsOn []string
	}{
		{"none", url.Values{}, nil, nil},
		{"empty fields, as the form posts them", url.Values{fieldPhotoID: {""}, fieldLat: {""}, fieldLon: {""}, fieldAccuracy: {""}, fieldPhotoData: {""}}, nil, nil},
		{"a photo and a position", url.Values{fieldPhotoID: {photo}, fieldLat: {"0.505120"}, fieldLon: {"117.554310"}, fieldAccuracy: {"14"}},
			&household.Evidence{Photo: photo, Location: &household.Location{Lat: 0.50512, Lon: 117.55431, AccuracyM: 14}}, nil},
		{"a position without accuracy", url.Values{fieldLat: {"-0.5"}, fieldLon: {"117"}},
			&household.Evidence{Location: &household.Location{Lat: -0.5, Lon: 117}}, nil},
		{"words for a position", url.Values{fieldLat: {"utara"}, fieldLon: {"117"}, fieldAccuracy: {"dekat"}}, nil, []string{fieldLat, fieldAccuracy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe household.FieldErrors
			got := evidenceInput(&fe, tt.form)
			var errsOn []string
			for _, e := range fe {
				errsOn = append(errsOn, e.Field)
				if e.Key == "" {
					t.Errorf("%s: %q has no catalogue key", e.Field, e.Message)
				}
			}
			if !reflect.DeepEqual(errsOn, tt.errsOn) {
				t.Fatalf("errors on %v; want %v", errsOn, tt.errsOn)
			}
			if tt.errsOn == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("evidence %+v; want %+v", got, tt.want)
			}
		})
	}
	// A draft's photo and position come back into the form, and with it to
	// the final survey.
	ev := &household.Evidence{Photo: photo, Location: &household.Location{Lat: 0.50512, Lon: 117.55431, AccuracyM: 14}}
	back, err := surveyInput(surveyForm(casework.SurveyView{Members: []casework.MemberView{{NIK: "6408014101850001", Name: "Siti",
		Relation: household.RelationHead, BirthDate: "1985-01-01"}}, Evidence: ev}))
	if err != nil || !reflect.DeepEqual(back.Survey.Evidence, ev) {
		t.Fatalf("round trip: %+v, %v", back.Survey.Evidence, err)
	}
	visit, err := formInputs[household.ActFollowUp](url.Values{"visitDate": {"2026-12-07"}, "monthlyExpenditure": {"900.000"}, fieldPhotoID: {photo}}, "")
	if err != nil || visit.(household.FollowUpInput).Evidence.Photo != photo {
		t.Fatalf("visit: %+v, %v", visit, err)
	}
}
