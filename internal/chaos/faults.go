package chaos

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/Shopify/toxiproxy/v2"

	"github.com/tuntas-id/tuntas/internal/cluster"
)

// Kinds of fault.
const (
	FaultWorkerKill  = "worker-kill"
	FaultAPIKill     = "api-kill"
	FaultMongoCut    = "mongodb-cut"
	FaultTemporalCut = "temporal-cut"
	FaultServersKill = "servers-kill"
	// The cluster's: kill -9 of one of its processes, back after Pause,
	// and PostgreSQL stopped in immediate mode, back after Pause.
	FaultHistoryKill     = "history-kill"
	FaultMatchingKill    = "matching-kill"
	FaultFrontendKill    = "frontend-kill"
	FaultFerretDBKill    = "ferretdb-kill"
	FaultPostgresRestart = "postgres-restart"
)

// step is one fault of the schedule and the slot of progress it waits for.
type step struct {
	kind string
	slot int
	do   func(context.Context, *Fault) error
}

// inject runs the faults in order, each once the households driven under
// faults have progressed to its (seeded) point: a worker killed, an API
// killed, MongoDB cut off, Temporal cut off, then on the embedded servers
// the servers killed ServerKills times in a row, and on the cluster one
// history host, matching, the frontend and FerretDB killed in turn and
// PostgreSQL restarted in immediate mode.
func (r *run) inject(ctx context.Context) error {
	rng := r.rng(11)
	steps := []step{
		{FaultWorkerKill, 0, func(ctx context.Context, f *Fault) error {
			return r.killAndRestart(ctx, f, r.workers[rng.IntN(len(r.workers))])
		}},
		{FaultAPIKill, 1, func(ctx context.Context, f *Fault) error {
			return r.killAndRestart(ctx, f, r.apis[rng.IntN(len(r.apis))])
		}},
		{FaultMongoCut, 2, func(ctx context.Context, f *Fault) error { return r.cutOff(ctx, f, r.proxies.mongo) }},
		{FaultTemporalCut, 3, func(ctx context.Context, f *Fault) error { return r.cutOff(ctx, f, r.proxies.temporal) }},
	}
	// slots is how many points the faults are spread over (the last ones
	// may share one).
	slots := 7
	if r.cluster != nil {
		steps = append(steps,
			step{FaultHistoryKill, 4, func(ctx context.Context, f *Fault) error {
				return r.killAndRestart(ctx, f, r.cluster.History[rng.IntN(len(r.cluster.History))])
			}},
			step{FaultMatchingKill, 5, func(ctx context.Context, f *Fault) error { return r.killAndRestart(ctx, f, r.cluster.Matching) }},
			step{FaultFrontendKill, 6, func(ctx context.Context, f *Fault) error { return r.killAndRestart(ctx, f, r.cluster.Frontend) }},
			step{FaultFerretDBKill, 7, func(ctx context.Context, f *Fault) error { return r.killAndRestart(ctx, f, r.cluster.FerretDB) }},
			step{FaultPostgresRestart, 8, r.restartPostgres},
		)
		slots = 11
	} else {
		// The servers are killed one after another once their point comes.
		for range r.cfg.ServerKills {
			steps = append(steps, step{FaultServersKill, 4, r.killServers})
		}
	}
	n := int(float64(r.cfg.Households-r.cfg.Baseline) * r.cfg.FaultSpan)
	at := func(slot int) int {
		jitter := 0
		if span := n / (2 * (slots - 1)); span > 0 {
			jitter = rng.IntN(span) - span/2
		}
		return r.cfg.Baseline + max(0, n*(slot+1)/slots+jitter)
	}
	for _, s := range steps {
		if err := r.awaitProgress(ctx, at(s.slot)); err != nil {
			return err
		}
		f := Fault{Kind: s.kind, At: time.Since(r.start).Seconds(), Done: r.finished()}
		if err := s.do(ctx, &f); err != nil {
			return fmt.Errorf("%s: %w", s.kind, err)
		}
		r.logf("%s %s: down %.1fs; /readyz during it: %d %s", f.Kind, f.Target, f.Seconds, f.ReadyzStatus, f.Readyz)
		r.mu.Lock()
		r.faults = append(r.faults, f)
		r.mu.Unlock()
	}
	return nil
}

// awaitProgress waits until done households have finished, or every
// household has (the faults still happen, on a quieter system).
func (r *run) awaitProgress(ctx context.Context, done int) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for r.finished() < min(done, r.cfg.Households) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// probe is how long into a fault /readyz is asked: long enough for the
// processes to notice, well within the fault.
func (r *run) probe() time.Duration { return min(time.Second, max(r.cfg.Cut, r.cfg.Pause)/2) }

// askReady records what an API's /readyz answers now.
func (r *run) askReady(ctx context.Context, f *Fault, api int) {
	status, body, err := cluster.GetReadyz(ctx, r.urls[api])
	if err != nil {
		f.Readyz = "no answer: " + err.Error()
		return
	}
	f.ReadyzStatus, f.Readyz = status, body
}

// killAndRestart kills p with SIGKILL and starts it again after Pause;
// when p is a server, it then waits for both APIs to be ready again.
func (r *run) killAndRestart(ctx context.Context, f *Fault, p *cluster.Process) error {
	f.Target = p.Name
	other := 0
	if p == r.apis[0] {
		other = 1
	}
	began := time.Now()
	p.Kill()
	if err := sleep(ctx, r.probe()); err != nil {
		return err
	}
	r.askReady(ctx, f, other)
	if err := sleep(ctx, r.cfg.Pause-time.Since(began)); err != nil {
		return err
	}
	if err := p.Start(ctx, 3*time.Minute); err != nil {
		return err
	}
	f.Seconds = time.Since(began).Seconds()
	if slices.Contains(r.workers, p) || slices.Contains(r.apis, p) {
		return nil
	}
	return r.apisReady(ctx)
}

// restartPostgres stops PostgreSQL in immediate mode (every backend ends
// at once, nothing flushed: the start after it recovers from the WAL, as
// after a crash), starts it again after Pause and waits for both APIs to
// be ready again.
func (r *run) restartPostgres(ctx context.Context, f *Fault) error {
	f.Target = "postgresql"
	began := time.Now()
	if err := r.cluster.Postgres.StopImmediate(ctx); err != nil {
		return err
	}
	if err := sleep(ctx, r.probe()); err != nil {
		return err
	}
	r.askReady(ctx, f, 0)
	if err := sleep(ctx, r.cfg.Pause-time.Since(began)); err != nil {
		return err
	}
	if err := r.cluster.Postgres.Start(ctx); err != nil {
		return err
	}
	f.Seconds = time.Since(began).Seconds()
	return r.apisReady(ctx)
}

// cutOff cuts every connection through px for Cut, then waits for both
// APIs to be ready again.
func (r *run) cutOff(ctx context.Context, f *Fault, px *toxiproxy.Proxy) error {
	f.Target = px.Name
	began := time.Now()
	cut(px)
	if err := sleep(ctx, r.probe()); err != nil {
		return err
	}
	r.askReady(ctx, f, 0)
	if err := sleep(ctx, r.cfg.Cut-time.Since(began)); err != nil {
		return err
	}
	if err := restore(px); err != nil {
		return err
	}
	f.Seconds = time.Since(began).Seconds()
	return r.apisReady(ctx)
}

// killServers kills the servers with SIGKILL, starts them again on the
// same data directory and waits for both APIs to be ready again.
func (r *run) killServers(ctx context.Context, f *Fault) error {
	f.Target = "servers"
	began := time.Now()
	r.servers.Kill()
	if err := sleep(ctx, r.probe()); err != nil {
		return err
	}
	r.askReady(ctx, f, 0)
	if err := r.servers.Start(ctx, 5*time.Minute); err != nil {
		return err
	}
	if err := r.apisReady(ctx); err != nil {
		return err
	}
	f.Seconds = time.Since(began).Seconds()
	return nil
}

// apisReady waits until every API answers /readyz with 200.
func (r *run) apisReady(ctx context.Context) error {
	for _, p := range r.apis {
		if err := p.AwaitReady(ctx, 3*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// sleep waits d (the length of a fault, not a guess at readiness).
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
