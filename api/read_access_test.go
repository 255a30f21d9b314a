package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

// TestAnAgencyReadsOnlyCasesHoldingItsInterventions: to an agency, a case
// without one of its interventions does not exist: reads, timelines and
// actions are answered exactly as for a missing case.
func TestAnAgencyReadsOnlyCasesHoldingItsInterventions(t *testing.T) {
	withDinsos := surveyedCase("with-dinsos") // dinsos holds iv-1
	without := openCase("without")            // no interventions at all
	ht := newHandlerTest(t, withDinsos, without)
	ht.temporal.answer = withDinsos
	dinsos := ht.token(household.RoleAgency, "64.08", household.AgencyDinsos)
	baznas := ht.token(household.RoleAgency, "64.08", household.AgencyBaznas)
	elsewhere := ht.token(household.RoleAgency, "64.01", household.AgencyDinsos) // dinsos of Paser

	missing := problemOf(t, ht.do(http.MethodGet, "/v1/cases/no-such-case", dinsos, nil))
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		want         int
	}{
		{"its own case", http.MethodGet, "/v1/cases/with-dinsos", dinsos, nil, http.StatusOK},
		{"its own case's timeline", http.MethodGet, "/v1/cases/with-dinsos/timeline", dinsos, nil, http.StatusOK},
		{"its own intervention", http.MethodPost, "/v1/cases/with-dinsos/interventions/iv-1/status", dinsos, map[string]any{"status": "acknowledged"}, http.StatusOK},
		{"a case without interventions", http.MethodGet, "/v1/cases/without", dinsos, nil, http.StatusNotFound},
		{"another agency's case", http.MethodGet, "/v1/cases/with-dinsos", baznas, nil, http.StatusNotFound},
		{"another agency's timeline", http.MethodGet, "/v1/cases/with-dinsos/timeline", baznas, nil, http.StatusNotFound},
		{"another agency's intervention", http.MethodPost, "/v1/cases/with-dinsos/interventions/iv-1/status", baznas, map[string]any{"status": "acknowledged"}, http.StatusNotFound},
		{"its agency's case in another regency", http.MethodGet, "/v1/cases/with-dinsos", elsewhere, nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(ht.temporal.sent())
			rec := ht.do(tt.method, tt.path, tt.token, tt.body)
			if rec.Code != tt.want {
				t.Fatalf("= %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusNotFound {
				return
			}
			p := problemOf(t, rec)
			if p.Type != missing.Type || p.Title != missing.Title || p.Detail != missing.Detail {
				t.Errorf("answered %+v, unlike a missing case %+v", p, missing)
			}
			if len(ht.temporal.sent()) != before {
				t.Error("an action on a case the agency may not see reached the workflow")
			}
		})
	}
}

// TestAnAgencyListsOnlyItsOwnCases: the list an agency asks for is
// narrowed to its agency; other roles' lists are not.
func TestAnAgencyListsOnlyItsOwnCases(t *testing.T) {
	ht := newHandlerTest(t)
	for _, tt := range []struct {
		token       string
		scope, want string
	}{
		{ht.token(household.RoleAgency, "64.08", household.AgencyBaznas), "64.08", household.AgencyBaznas},
		{ht.token(household.RoleSupervisor, "64.08"), "64.08", ""},
		{ht.token(household.RoleCaseworker, "64.08.01"), "64.08.01", ""},
	} {
		if rec := ht.do(http.MethodGet, "/v1/cases", tt.token, nil); rec.Code != http.StatusOK {
			t.Fatalf("= %d: %s", rec.Code, rec.Body)
		}
		if f := ht.reads.lastFilter; f.Agency != tt.want || f.Scope != tt.scope {
			t.Errorf("listed with scope %q agency %q, want %q %q", f.Scope, f.Agency, tt.scope, tt.want)
		}
	}
}

// TestFullReadsMaskIdentityForRolesThatDoNotEstablishIt: NIK digits 7–12
// are the birth date, so a masked view shows ages, never birth dates, and
// masks the KK too. Every full read is recorded, masked or not.
func TestFullReadsMaskIdentityForRolesThatDoNotEstablishIt(t *testing.T) {
	c := surveyedCase("run-1")
	tests := []struct {
		role   household.Role
		region string
		agency string
		masked bool
	}{
		{household.RoleSupervisor, "64.08", "", true},
		{household.RoleProvince, "64", "", true},
		{household.RoleAgency, "64.08", household.AgencyDinsos, true},
		{household.RoleCaseworker, "64.08.01", "", false},
		{household.RoleVillageOfficer, senyiur, "", false},
		{household.RoleVerifier, "64.08", "", false},
		{household.RoleAdmin, "64", "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			ht := newHandlerTest(t, c)
			var agency []string
			if tt.agency != "" {
				agency = []string{tt.agency}
			}
			rec := ht.do(http.MethodGet, "/v1/cases/run-1", ht.token(tt.role, tt.region, agency...), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("= %d: %s", rec.Code, rec.Body)
			}
			var v struct {
				KK      string `json:"kk"`
				HeadNIK string `json:"headNik"`
				Survey  struct {
					Members []map[string]any `json:"members"`
				} `json:"survey"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Survey.Members) != 2 {
				t.Fatalf("view %s: %v", rec.Body, err)
			}
			head := v.Survey.Members[0]
			_, hasBirthDate := head["birthDate"]
			body := rec.Body.String()
			if tt.masked {
				if v.KK != "640801********01" || v.HeadNIK != "640801********01" || head["nik"] != "640801********01" {
					t.Errorf("masked view shows KK %s, head NIK %s, member NIK %v", v.KK, v.HeadNIK, head["nik"])
				}
				for _, secret := range []string{caseKK, headNIK, childNIK, "1985-01-01", "2010-03-02"} {
					if strings.Contains(body, secret) {
						t.Errorf("masked view shows %s", secret)
					}
				}
				if hasBirthDate || head["age"] != float64(41) {
					t.Errorf("masked member %v, want an age of 41 and no birth date", head)
				}
			} else if v.KK != caseKK || v.HeadNIK != headNIK || head["birthDate"] != "1985-01-01" {
				t.Errorf("full view shows KK %s, NIK %s, birth date %v", v.KK, v.HeadNIK, head["birthDate"])
			}
			reads := ht.reads.recorded()
			if len(reads) != 1 || reads[0].caseID != "run-1" || reads[0].role != tt.role || reads[0].sub == "" {
				t.Errorf("reads recorded %+v, want this one", reads)
			}
		})
	}
}

// TestListsMaskNIKsForAllButCaseworkersAndAdmin: a list shows full numbers
// only to the caseworker who works the cases and to admin.
func TestListsMaskNIKsForAllButCaseworkersAndAdmin(t *testing.T) {
	ht := newHandlerTest(t)
	ht.reads.summaries = []store.Summary{{ID: "run-1", KK: caseKK, HeadNIK: headNIK, VillageCode: senyiur,
		Source: household.SourceP3KE, Stage: household.StageCollecting, Status: household.StatusOpen}}
	for _, tt := range []struct {
		role   household.Role
		region string
		masked bool
	}{
		{household.RoleCaseworker, "64.08.01", false},
		{household.RoleAdmin, "64", false},
		{household.RoleVerifier, "64.08", true},
		{household.RoleVillageOfficer, senyiur, true},
		{household.RoleSupervisor, "64.08", true},
	} {
		rec := ht.do(http.MethodGet, "/v1/cases", ht.token(tt.role, tt.region), nil)
		full := strings.Contains(rec.Body.String(), headNIK) || strings.Contains(rec.Body.String(), caseKK)
		if rec.Code != http.StatusOK || full == tt.masked {
			t.Errorf("%s's list (%d): masked %t, want %t: %s", tt.role, rec.Code, !full, tt.masked, rec.Body)
		}
	}
}

// A caller outside a case's region gets the same answer for it as for a
// missing ID, after the same work: the whole case is loaded only for a
// caller who may read it (loaded first, an existing case answered about
// half a millisecond slower, which told that it exists).
func TestOutOfRegionAndMissingCasesAnswerAfterTheSameWork(t *testing.T) {
	ht := newHandlerTest(t, openCase("run-1"))
	outside := ht.token(household.RoleCaseworker, "64.08.03")
	existing := ht.do(http.MethodGet, "/v1/cases/run-1", outside, nil)
	missing := ht.do(http.MethodGet, "/v1/cases/run-2", outside, nil)
	if existing.Code != http.StatusNotFound || missing.Code != http.StatusNotFound {
		t.Fatalf("out of region %d, missing %d; want 404 both", existing.Code, missing.Code)
	}
	if a, b := problemOf(t, existing), problemOf(t, missing); a.Detail != b.Detail || a.Type != b.Type {
		t.Fatalf("answers differ: %+v / %+v", a, b)
	}
	if len(ht.reads.loads) != 0 {
		t.Fatalf("whole cases loaded for callers who may not read them: %v", ht.reads.loads)
	}
	if rec := ht.do(http.MethodGet, "/v1/cases/run-1", ht.token(household.RoleCaseworker, "64.08.01"), nil); rec.Code != http.StatusOK || len(ht.reads.loads) != 1 {
		t.Fatalf("in region: %d, loads %v", rec.Code, ht.reads.loads)
	}
}

// A possible duplicate whose other case lies outside the caller's region
// reaches only those who resolve findings: the caseworker who listed the
// NIK learns nothing from the answer, the case, its pending actions or its
// timeline; the supervisor sees it.
func TestFindingsAboutCasesElsewhereReachOnlyWhoResolvesThem(t *testing.T) {
	c := surveyedCase("run-1")
	c.Stage = household.StageCollecting
	before := c.Version
	at := now.Add(-time.Hour)
	events := c.RecordDuplicate(childNIK, "run-far", "6408030101190009", "64.08.03.2001", false, at)
	events = append(events, c.RecordDuplicate(headNIK, "run-near", "6408010101190009", "64.08.01.2002", false, at)...)
	ht := newHandlerTest(t, c)
	ht.reads.events["run-1"] = events
	ht.reads.summaries = []store.Summary{store.SummaryOf(c)}
	ht.temporal.answer = c
	cw := ht.token(household.RoleCaseworker, "64.08.01")

	var got casework.CaseView
	rec := ht.do(http.MethodGet, "/v1/cases/run-1", cw, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("%d %v", rec.Code, err)
	}
	if len(got.Duplicates) != 1 || got.Duplicates[0].OtherCaseID != "run-near" || strings.Contains(rec.Body.String(), "dup-1") {
		t.Fatalf("the caseworker sees findings %+v in %s", got.Duplicates, rec.Body)
	}
	// Nor does the version, the list's count of people, or a gap in the
	// timeline's numbers tell of a finding.
	if got.Version != before {
		t.Fatalf("the caseworker sees version %d, want %d as without findings", got.Version, before)
	}
	var list casework.CaseList
	rec = ht.do(http.MethodGet, "/v1/cases", cw, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Items) != 1 || list.Items[0].MemberCount != 2 || list.Items[0].Version != before {
		t.Fatalf("the caseworker's list: %s (%v)", rec.Body, err)
	}
	var tl casework.Timeline
	rec = ht.do(http.MethodGet, "/v1/cases/run-1/timeline", cw, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &tl); err != nil || strings.Contains(rec.Body.String(), "dup-1") || !strings.Contains(rec.Body.String(), "dup-2") {
		t.Fatalf("the caseworker's timeline: %s", rec.Body)
	}
	for i, e := range tl.Events {
		if e.Seq != int64(i+1) {
			t.Fatalf("the caseworker's timeline numbers %d as %d: %s", i+1, e.Seq, rec.Body)
		}
	}
	draft := validSurvey()
	draft["draft"] = true
	rec = ht.do(http.MethodPost, "/v1/cases/run-1/survey", cw, draft)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "dup-1") {
		t.Fatalf("the draft's answer: %d %s", rec.Code, rec.Body)
	}

	rec = ht.do(http.MethodGet, "/v1/cases/run-1", ht.token(household.RoleSupervisor, "64.08"), nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Duplicates) != 2 || !strings.Contains(strings.Join(got.PendingActions, ";"), "dup-1") {
		t.Fatalf("the supervisor sees %+v, pending %v (%v)", got.Duplicates, got.PendingActions, err)
	}
}
