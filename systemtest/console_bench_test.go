package systemtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// consoleBenchCases is how many cases the page benchmark reads among
// (TUNTAS_BENCH_CASES overrides it): Kutai Timur's 5,900 households.
func consoleBenchCases() int {
	if n, err := strconv.Atoi(os.Getenv("TUNTAS_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 6000
}

var (
	seedBench     sync.Once
	benchCaseID   string
	benchSeedTime time.Duration
)

// seedReadModel writes n case snapshots, with their timelines, straight
// into the shared system's read model: pages and their JSON calls read
// only the read model, so the cases need no workflow for this measure.
func seedReadModel(tb testing.TB, n int) {
	seedBench.Do(func() {
		start := time.Now()
		ctx := context.Background()
		g := synth.New(7, 27)
		by := household.Actor{Sub: "bench", Role: household.RoleAdmin, Region: "64"}
		stages := []func(c *household.Case, now time.Time){
			func(*household.Case, time.Time) {},
			func(c *household.Case, now time.Time) {
				c.Stage, c.Deadline = household.StageVillageReview, now.Add(-time.Hour)
				c.Overdue = true
			},
			func(c *household.Case, _ time.Time) { c.Stage = household.StageVerification },
			func(c *household.Case, _ time.Time) { c.Stage = household.StageFollowUp },
		}
		for i := range n {
			h := g.Household(i)
			now := time.Now().Add(-time.Duration(n-i) * time.Minute)
			c, events := household.Open(household.OpenInput{ID: fmt.Sprintf("bench-%06d", i), KK: h.KK, HeadNIK: h.HeadNIK,
				HeadName: h.HeadName, VillageCode: h.VillageCode, Address: h.Address, Source: household.Source(h.Source), Desil: h.Desil},
				by, household.DefaultRules(), household.DefaultDeadlines(), now)
			stages[i%len(stages)](c, now)
			if err := sys.Store.AppendEvents(ctx, events); err != nil {
				tb.Fatal(err)
			}
			if err := sys.Store.SaveCase(ctx, *c); err != nil {
				tb.Fatal(err)
			}
			if c.DistrictCode == "64.08.01" {
				benchCaseID = c.ID
			}
		}
		benchSeedTime = time.Since(start)
	})
}

// BenchmarkConsolePages measures each console page against the JSON call
// it rests on, one request at a time, on a read model of
// consoleBenchCases cases. Run it alone (its cases stay in the shared
// system), at most 40 iterations a measure (the request limit):
// go test -run '^$' -bench ConsolePages ./systemtest/
func BenchmarkConsolePages(b *testing.B) {
	n := consoleBenchCases()
	seedReadModel(b, n)
	b.Logf("read model seeded with %d cases in %s", n, benchSeedTime.Round(time.Second))
	// Each measure is a person of its own: a person's requests are limited
	// (50 a second, 100 at once), the same for /v1 and the console.
	person := func(name string) string {
		tok, err := sys.Issuer.Issue(auth.Principal{Sub: "bench-" + name, Role: household.RoleSupervisor, Region: "64.08"}, time.Hour, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	// A page may rest on more than one call: the case page shows the case
	// and its timeline, measured against both calls as well as the first.
	pairs := []struct {
		name string
		json []string
		page string
	}{
		{"dashboard", []string{"/v1/dashboard"}, "/dashboard"},
		{"list", []string{"/v1/cases?district=64.08.01"}, "/cases?district=64.08.01"},
		{"case", []string{"/v1/cases/" + benchCaseID}, "/cases/" + benchCaseID},
		{"case+timeline", []string{"/v1/cases/" + benchCaseID, "/v1/cases/" + benchCaseID + "/timeline"}, ""},
	}
	for _, p := range pairs {
		b.Run(p.name+"/json", func(b *testing.B) {
			supToken := person(p.name + "-json")
			for b.Loop() {
				for _, path := range p.json {
					req, _ := http.NewRequest(http.MethodGet, sys.URL+path, nil)
					req.Header.Set("Authorization", "Bearer "+supToken)
					resp, err := http.DefaultClient.Do(req)
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("%s: %v %v", path, err, resp.Status)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}
		})
		if p.page == "" {
			continue
		}
		b.Run(p.name+"/console", func(b *testing.B) {
			con := consoleClient(b, person(p.name+"-console"))
			for b.Loop() {
				if status, body := con.get(b, p.page); status != http.StatusOK {
					b.Fatalf("%s: %d %s", p.page, status, body)
				}
			}
		})
	}
}
