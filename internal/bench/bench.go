package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/region"
	"github.com/tuntas-id/tuntas/internal/synth"
)

// Config sets up a run.
type Config struct {
	// API is the base URL of a running Tuntas API.
	API string
	// APIs, when set, are the base URLs of several API processes of one
	// deployment, which the requests take in turn instead of API.
	APIs []string
	// Issuer mints the tokens of the simulated people.
	Issuer *auth.Issuer
	// Temporal runs the engine floor, unless Floor was measured already; a
	// worker for FloorTaskQueue must be running.
	Temporal client.Client
	// Floor is the engine floor measured on a fresh server of its own
	// (see the Floor function); zero runs it on Temporal after the
	// lifecycle, FloorGap before each graduating household's last update.
	Floor    PhaseReport
	FloorGap time.Duration
	// N households, driven by Concurrency simulated people at a time.
	N           int
	Concurrency int
	Seed        uint64
	// Regencies spreads the households over every regency and kecamatan
	// of the province instead of Kutai Timur alone.
	Regencies bool
	// SeedCases is how many projected cases the Seed function writes
	// straight into the read model through Projector (no workflows); Run
	// ignores both.
	SeedCases int
	Projector Projector
	// Progress receives a line per phase; nil discards.
	Progress io.Writer
}

// Report is what a run measured.
type Report struct {
	N           int            `json:"n"`
	Concurrency int            `json:"concurrency"`
	Regencies   bool           `json:"regencies,omitempty"`
	Mix         map[string]int `json:"mix"`
	Import      PhaseReport    `json:"import"`
	// ImportRate is the pace the import kept, cases a second; 0: none.
	ImportRate float64     `json:"importRate"`
	Lifecycle  PhaseReport `json:"lifecycle"`
	EndToEnd   PhaseReport `json:"endToEnd"`
	Floor      PhaseReport `json:"engineFloor"`
	FloorRatio float64     `json:"tuntasToFloorRatio"`
	// FloorOnFreshServer says the floor ran on a fresh server of its own,
	// not on the lifecycle's after it.
	FloorOnFreshServer bool               `json:"floorOnFreshServer"`
	Actions            map[string]Latency `json:"actions"`
	Reads              map[string]Latency `json:"reads"`
	Errors             int64              `json:"errors"`
	// AutoEscalated counts the cases the deadline rule escalated (a stage
	// twice past its deadline) before the people were through with them.
	// The bench puts stage deadlines beyond the run, so it should be 0: a
	// deadline that fires is work a slower machine does more of.
	AutoEscalated int64 `json:"autoEscalated"`
	// ErrorSamples are the first errors, to tell what went wrong.
	ErrorSamples []string          `json:"errorSamples,omitempty"`
	Outcomes     map[string]int64  `json:"outcomes"`
	PeakRSSMiB   float64           `json:"peakRssMiB"`
	Versions     map[string]string `json:"versions"`
	GoVersion    string            `json:"goVersion"`
	CPUs         int               `json:"cpus"`
	// GCPercent is the garbage collector's target the run had (GOGC).
	GCPercent int `json:"gcPercent"`

	// Seeded counts cases written straight into the read model (see
	// Seed); their figures are kept apart from the lifecycle's above.
	Seeded int `json:"seeded,omitempty"`
	// SeededMix is the seeded cases by stage (closed ones by outcome),
	// plus how many are overdue or escalated.
	SeededMix map[string]int `json:"seededMix,omitempty"`
	// Seeding is how long writing the seeded cases took.
	Seeding PhaseReport `json:"seeding,omitzero"`
	// SeededReads are read latencies at the seeded count, by request.
	SeededReads map[string]Latency `json:"seededReads,omitempty"`
}

// PhaseReport is one phase's duration and rate.
type PhaseReport struct {
	Seconds     float64 `json:"seconds"`
	CasesPerSec float64 `json:"casesPerSec"`
}

func phase(n int, d time.Duration) PhaseReport {
	return PhaseReport{Seconds: d.Seconds(), CasesPerSec: float64(n) / d.Seconds()}
}

// Run imports N synthetic households, drives each through its lifecycle
// over HTTP, runs the engine floor, and measures reads at the final count.
// Stage deadlines should lie beyond the run (internal/devcommand benchDeadlines);
// Report.AutoEscalated counts the cases a deadline escalated all the same.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	d := &driver{cfg: cfg, rec: newRecorder(), tokens: map[string]string{}, http: &http.Client{Timeout: 2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency * 2}}}
	rep := Report{N: cfg.N, Concurrency: cfg.Concurrency, Regencies: cfg.Regencies, Mix: map[string]int{}, Outcomes: map[string]int64{},
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), GCPercent: gcPercent()}
	plans := make([]Plan, cfg.N)
	for i := range plans {
		plans[i] = PlanFor(i)
		rep.Mix[plans[i].Kind]++
	}

	fmt.Fprintf(cfg.Progress, "importing %d households…\n", cfg.N)
	t0 := time.Now()
	cases, err := d.importAll(ctx)
	if err != nil {
		return rep, err
	}
	importTime := time.Since(t0)
	rep.Import = phase(cfg.N, importTime)

	fmt.Fprintf(cfg.Progress, "driving %d cases through their lifecycle with %d people at once…\n", len(cases), cfg.Concurrency)
	t1 := time.Now()
	d.driveAll(ctx, cases, plans)
	lifeTime := time.Since(t1)
	rep.Lifecycle = phase(cfg.N, lifeTime)
	rep.EndToEnd = phase(cfg.N, importTime+lifeTime)
	rep.Actions = d.rec.summary()
	rep.Errors = d.errors.Load()
	rep.AutoEscalated = d.autoEscalated.Load()
	rep.ErrorSamples = d.samples

	rep.Floor, rep.FloorOnFreshServer = cfg.Floor, true
	if cfg.Floor.Seconds == 0 {
		fmt.Fprintf(cfg.Progress, "engine floor: %d bare workflows on the same server…\n", cfg.N)
		if rep.Floor, err = Floor(ctx, cfg.Temporal, cfg.N, cfg.Concurrency, cfg.FloorGap); err != nil {
			return rep, fmt.Errorf("engine floor: %w", err)
		}
		rep.FloorOnFreshServer = false
	}
	rep.FloorRatio = rep.EndToEnd.CasesPerSec / rep.Floor.CasesPerSec

	fmt.Fprintf(cfg.Progress, "reads at %d cases…\n", cfg.N)
	rep.Reads, rep.Outcomes, err = d.reads(ctx, cases)
	if err != nil {
		return rep, err
	}
	rep.PeakRSSMiB = peakRSSMiB()
	return rep, nil
}

type caseRef struct {
	ID, Village string
}

type driver struct {
	cfg    Config
	rec    *recorder
	http   *http.Client
	errors atomic.Int64
	// turn picks the API of the next request when there are several.
	turn atomic.Uint64
	niks NIKs
	// autoEscalated counts cases the deadline rule escalated.
	autoEscalated atomic.Int64

	mu      sync.Mutex
	tokens  map[string]string
	samples []string
}

// failed keeps the first few errors of the simulated people.
func (d *driver) failed(err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.samples) < 5 {
		d.samples = append(d.samples, err.Error())
	}
}

func (d *driver) token(role household.Role, region, agency string) string {
	key := string(role) + "|" + region + "|" + agency
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.tokens[key]; ok {
		return t
	}
	t, err := d.cfg.Issuer.Issue(auth.Principal{Sub: "bench-" + string(role) + "-" + region + agency, Role: role, Region: region, Agency: agency}, 12*time.Hour, time.Now())
	if err != nil {
		panic(err) // the roles and regions below are fixed and valid
	}
	d.tokens[key] = t
	return t
}

// call sends one request; a status other than want counts as an error.
func (d *driver) call(ctx context.Context, name, method, path, token, contentType string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, d.base()+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := d.http.Do(req)
	if err != nil {
		d.errors.Add(1)
		return fmt.Errorf("%s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if name != "" {
		d.rec.add(name, time.Since(start))
	}
	if err != nil || resp.StatusCode != want {
		d.errors.Add(1)
		return fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// base is the API the next request goes to.
func (d *driver) base() string {
	if len(d.cfg.APIs) == 0 {
		return d.cfg.API
	}
	return d.cfg.APIs[(d.turn.Add(1)-1)%uint64(len(d.cfg.APIs))]
}

func (d *driver) post(ctx context.Context, name, path, token string, body any) error {
	b, _ := json.Marshal(body)
	return d.call(ctx, name, http.MethodPost, path, token, "application/json", b, http.StatusOK, nil)
}

// households is the generator of the run's households: Kutai Timur's, or
// the province's with Regencies.
func (d *driver) households() *synth.Generator {
	if d.cfg.Regencies {
		return synth.NewProvince(d.cfg.Seed, int(d.cfg.Seed%28))
	}
	return synth.New(d.cfg.Seed, int(d.cfg.Seed%28))
}

func (d *driver) importAll(ctx context.Context) ([]caseRef, error) {
	admin := d.token(household.RoleAdmin, "64", "")
	text, _ := synth.CSV(d.households(), d.cfg.N, 0)
	var prog struct {
		ID string `json:"id"`
	}
	if err := d.call(ctx, "", http.MethodPost, "/v1/imports", admin, "text/csv", []byte(text), http.StatusAccepted, &prog); err != nil {
		return nil, err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		var st struct {
			Import struct {
				Status                     string
				Valid, Opened, AlreadyOpen int
			} `json:"import"`
		}
		if err := d.call(ctx, "", http.MethodGet, "/v1/imports/"+prog.ID, admin, "", nil, http.StatusOK, &st); err != nil {
			return nil, err
		}
		if st.Import.Status == "done" {
			if st.Import.Opened != d.cfg.N {
				return nil, fmt.Errorf("import opened %d of %d (already open %d)", st.Import.Opened, d.cfg.N, st.Import.AlreadyOpen)
			}
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
	var cases []caseRef
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID          string `json:"id"`
				VillageCode string `json:"villageCode"`
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if err := d.call(ctx, "", http.MethodGet, "/v1/cases?status=open&limit=200&cursor="+cursor, admin, "", nil, http.StatusOK, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			cases = append(cases, caseRef{ID: it.ID, Village: it.VillageCode})
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(cases) != d.cfg.N {
		return nil, fmt.Errorf("listed %d open cases, imported %d", len(cases), d.cfg.N)
	}
	return cases, nil
}

// job is a case to drive: from its survey to its first visit, or, when
// revisit is set, its second visit.
// driveAll drives every case with Concurrency people at once. A household
// graduates only on visits 21 (deadline) days apart, so after its first
// visit a case waits, without holding a person, until the case itself
// says its next visit counts (nextCountableVisitAt), then gets its second.
func (d *driver) driveAll(ctx context.Context, cases []caseRef, plans []Plan) {
	schedule(len(cases), d.cfg.Concurrency,
		func(i int) (time.Time, error) { return d.drive(ctx, cases[i], plans[i]) },
		func(i int) error { return d.revisit(ctx, cases[i]) },
		d.failed)
}

// schedule runs first(i) for each i, concurrency at a time; where first
// returns a time, second(i) runs once it has come, without holding one of
// the concurrency meanwhile. Errors go to failed.
func schedule(n, concurrency int, first func(i int) (time.Time, error), second func(i int) error, failed func(error)) {
	type job struct {
		i      int
		second bool
	}
	jobs := make(chan job)
	// pending counts jobs not yet done, second ones included, so that jobs
	// closes only when nothing is left to schedule.
	var pending, workers sync.WaitGroup
	pending.Add(n)
	for range concurrency {
		workers.Go(func() {
			for j := range jobs {
				if j.second {
					if err := second(j.i); err != nil {
						failed(err)
					}
				} else if due, err := first(j.i); err != nil {
					failed(err)
				} else if !due.IsZero() {
					pending.Add(1)
					time.AfterFunc(time.Until(due), func() { jobs <- job{i: j.i, second: true} })
				}
				pending.Done()
			}
		})
	}
	for i := range n {
		jobs <- job{i: i}
	}
	pending.Wait()
	close(jobs)
	workers.Wait()
}

// drive takes one case through its plan, as its caseworker, village
// officer, verifier, supervisor, agency and province would, up to the
// first follow-up visit; it returns when the second visit will count, or
// zero when the case is done.
func (d *driver) drive(ctx context.Context, c caseRef, p Plan) (time.Time, error) {
	base := "/v1/cases/" + c.ID
	today := region.Today(c.Village, time.Now())
	members := d.niks.Members(region.Ancestor(c.Village, region.District), 3)
	escalation := ""
	var after struct {
		EscalationID         string                 `json:"escalationId"`
		NextCountableVisitAt time.Time              `json:"nextCountableVisitAt"`
		Escalations          []household.Escalation `json:"escalations"`
	}
	for _, s := range Lifecycle(p, c.Village, members, today) {
		b, _ := json.Marshal(s.Body)
		tok := d.token(s.Person.Role, s.Person.Region, s.Person.Agency)
		if err := d.call(ctx, s.Name, http.MethodPost, base+WithEscalation(s.Path, escalation), tok, "application/json", b, s.Want, &after); err != nil {
			return time.Time{}, err
		}
		if s.Name == "escalation" {
			escalation = after.EscalationID
		}
	}
	if slices.ContainsFunc(after.Escalations, func(e household.Escalation) bool { return e.By == household.System.Sub }) {
		d.autoEscalated.Add(1)
	}
	if p.Kind == KindExcluded {
		return time.Time{}, nil
	}
	if after.NextCountableVisitAt.IsZero() {
		d.errors.Add(1)
		return time.Time{}, fmt.Errorf("case %s: no nextCountableVisitAt after the first visit", c.ID)
	}
	return after.NextCountableVisitAt, nil
}

// revisit records the second visit above the line, which graduates.
func (d *driver) revisit(ctx context.Context, c caseRef) error {
	s := Revisit(c.Village, region.Today(c.Village, time.Now()))
	return d.post(ctx, s.Name, "/v1/cases/"+c.ID+s.Path, d.token(s.Person.Role, s.Person.Region, s.Person.Agency), s.Body)
}

// reads samples reads at the final case count and tallies outcomes.
func (d *driver) reads(ctx context.Context, cases []caseRef) (map[string]Latency, map[string]int64, error) {
	rec := newRecorder()
	d.rec = rec
	// The reader is Kutai Timur's supervisor, or the province's when the
	// cases spread over every regency (so the tally sees them all).
	sup := d.token(household.RoleSupervisor, "64.08", "")
	districts := region.Children("64.08")
	if d.cfg.Regencies {
		sup = d.token(household.RoleProvince, "64", "")
		districts = provinceDistricts()
	}
	rng := rand.New(rand.NewPCG(d.cfg.Seed, 7))
	for range 300 {
		c := cases[rng.IntN(len(cases))]
		if err := d.call(ctx, "GET /v1/cases/{id}", http.MethodGet, "/v1/cases/"+c.ID, sup, "", nil, http.StatusOK, nil); err != nil {
			return nil, nil, err
		}
	}
	for range 50 {
		q := "/v1/cases?limit=50&district=" + districts[rng.IntN(len(districts))].Code
		if err := d.call(ctx, "GET /v1/cases (list)", http.MethodGet, q, sup, "", nil, http.StatusOK, nil); err != nil {
			return nil, nil, err
		}
	}
	var dash struct {
		Totals struct {
			ByOutcome map[string]int64 `json:"byOutcome"`
			Open      int64            `json:"open"`
		} `json:"totals"`
	}
	for range 30 {
		if err := d.call(ctx, "GET /v1/dashboard", http.MethodGet, "/v1/dashboard", sup, "", nil, http.StatusOK, &dash); err != nil {
			return nil, nil, err
		}
	}
	outcomes := map[string]int64{"open": dash.Totals.Open}
	for k, v := range dash.Totals.ByOutcome {
		if v > 0 {
			outcomes[k] = v
		}
	}
	return rec.summary(), outcomes, nil
}

// provinceDistricts are the kecamatan of every regency of the province.
func provinceDistricts() []region.Region {
	var ds []region.Region
	for _, r := range region.Children("64") {
		ds = append(ds, region.Children(r.Code)...)
	}
	return ds
}

// gcPercent is the garbage collector's target, left as it was.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// peakRSSMiB reads the process's peak resident set (VmHWM); 0 where
// /proc is missing.
func peakRSSMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
