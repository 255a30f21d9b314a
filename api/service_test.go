package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/casework"
	"github.com/tuntas-id/tuntas/internal/household"
)

func TestServiceRefusesARoleBeforeReadingTheCase(t *testing.T) {
	ht := newHandlerTest(t, openCase("c-1"))
	srv := casework.New(casework.Config{Store: ht.reads, Temporal: ht.temporal, Now: func() time.Time { return now }})
	who := casework.Caller{Principal: auth.Principal{Sub: "v", Role: household.RoleVillageOfficer, Region: senyiur}, Route: "test"}
	_, err := srv.Act(context.Background(), who, "c-1", household.ActClose, func() (any, error) { return household.CloseInput{}, nil })
	if p, ok := ProblemOf(err); !ok || p.Status != http.StatusForbidden {
		t.Fatalf("a village officer closing: %v", err)
	}
	outside := casework.Caller{Principal: auth.Principal{Sub: "c", Role: household.RoleCaseworker, Region: "64.08.03"}, Route: "test"}
	_, _, err = srv.Case(context.Background(), outside, "c-1")
	if p, ok := ProblemOf(err); !ok || p.Status != http.StatusNotFound {
		t.Fatalf("a caseworker of another kecamatan reading: %v", err)
	}
	if len(ht.temporal.calls) != 0 {
		t.Fatalf("refused calls reached Temporal: %+v", ht.temporal.calls)
	}
}
