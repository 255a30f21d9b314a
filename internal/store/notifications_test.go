package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/store"
)

func TestNotificationsAreStoredOnceAndReadPerPerson(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	notes := []store.Notification{
		{CaseID: "c-1", Seq: 4, At: t0, To: household.RoleCaseworker, Region: "64.08.01", Message: "collecting deadline passed"},
		{CaseID: "c-1", Seq: 7, At: t0.Add(time.Hour), To: household.RoleSupervisor, Region: "64.08", Message: "escalated"},
		{CaseID: "c-2", Seq: 3, At: t0.Add(2 * time.Hour), To: household.RoleVillageOfficer, Region: "64.08.01.2001", Message: "musdes due"},
		{CaseID: "c-3", Seq: 3, At: t0.Add(3 * time.Hour), To: household.RoleCaseworker, Region: "64.08.03", Message: "other kecamatan"},
		{CaseID: "c-4", Seq: 5, At: t0.Add(4 * time.Hour), To: household.RoleAgency, Region: "64.08", Agencies: []string{household.AgencyDinsos}, Message: "acknowledge pkh"},
	}
	for range 2 { // a retried activity stores nothing new
		for _, n := range notes {
			if err := st.Notify(ctx, n); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		role   household.Role
		scope  string
		agency string
		want   []string
	}{
		{household.RoleCaseworker, "64.08.01", "", []string{"collecting deadline passed"}},
		{household.RoleSupervisor, "64.08", "", []string{"escalated"}},
		{household.RoleVillageOfficer, "64.08.01.2001", "", []string{"musdes due"}},
		{household.RoleVillageOfficer, "64.08.01.2002", "", nil},
		// An agency sees only the reminders that concern it.
		{household.RoleAgency, "64.08", household.AgencyDinsos, []string{"acknowledge pkh"}},
		{household.RoleAgency, "64.08", household.AgencyCSR, nil},
		{household.RoleAdmin, "64", "", []string{"acknowledge pkh", "other kecamatan", "musdes due", "escalated", "collecting deadline passed"}},
	}
	for _, tt := range tests {
		got, err := st.NotificationsFor(ctx, tt.role, tt.scope, tt.agency, 50)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, n := range got {
			msgs = append(msgs, n.Message)
		}
		if len(msgs) != len(tt.want) {
			t.Fatalf("%s in %s sees %v, want %v", tt.role, tt.scope, msgs, tt.want)
		}
		for i := range msgs {
			if msgs[i] != tt.want[i] {
				t.Fatalf("%s in %s sees %v, want %v", tt.role, tt.scope, msgs, tt.want)
			}
		}
	}
	at, err := st.NotificationsReadAt(ctx, "ani")
	if err != nil || !at.IsZero() {
		t.Fatalf("a person who never read: %v %v", at, err)
	}
	if err := st.MarkNotificationsRead(ctx, "ani", t0.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if at, err = st.NotificationsReadAt(ctx, "ani"); err != nil || !at.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("read marker %v %v", at, err)
	}
}
