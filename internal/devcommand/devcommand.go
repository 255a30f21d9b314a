// Package devcommand holds the subcommands of the dev binary, tuntas-dev:
// dev (the whole system in one process on embedded servers), bench, chaos,
// backup of a dev data directory, and reconcile of one. Its set holds the
// production commands too, so that the chaos run can start production's
// api and worker processes from the same binary.
package devcommand

import (
	"context"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/command"
	"github.com/tuntas-id/tuntas/internal/devsystem"
	"github.com/tuntas-id/tuntas/internal/store"
)

// Config configures the dev binary's commands.
type Config struct {
	// ChildEnv is added to the environment of the processes the chaos run
	// starts from this binary: empty for tuntas-dev; a test binary acting
	// as it sets what makes its children act as it too.
	ChildEnv []string
}

// Set is the command set of tuntas-dev: production's, with reconcile also
// taking a dev data directory, and the dev commands.
func Set(cfg Config) command.Set {
	dev := command.Set{Commands: []command.Command{
		{Name: "dev", Summary: "run Temporal, FerretDB, the worker and the API in one process", Run: runDev},
	}}
	prod := command.Production()
	dev.Commands = append(dev.Commands, prod.Commands...)
	api, _ := prod.Lookup("api")
	worker, _ := prod.Lookup("worker")
	return dev.With("tuntas-dev",
		// Production's api and worker, which the bench on the cluster tunes
		// by the environment (see benchDayLengthEnv).
		command.Command{Name: "api", Summary: api.Summary, Run: benchTuned(command.APIWith)},
		command.Command{Name: "worker", Summary: worker.Summary, Run: benchTuned(command.WorkerWith)},
		command.Command{Name: "reconcile", Summary: "compare every running case workflow with its read-model snapshot and repair (--data: of a stopped dev data directory)",
			Run: command.Reconcile(openDataDir)},
		command.Command{Name: "bench", Summary: "drive synthetic households end to end on a fresh embedded stack (or cluster) and report figures",
			Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
				return runBench(ctx, args, stdout, stderr, cfg.ChildEnv)
			}},
		command.Command{Name: "cluster", Summary: "run the production topology on this machine: PostgreSQL, Temporal's own services, FerretDB, two workers and two APIs",
			Run: runCluster},
		command.Command{Name: "backup", Summary: "copy a dev data directory consistently, running or stopped", Run: runBackup},
		command.Command{Name: "chaos", Summary: "run the production topology on this machine under faults and check nothing is lost",
			Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
				return runChaos(ctx, args, stdout, stderr, cfg.ChildEnv)
			}},
	)
}

// openDataDir starts the embedded stack of a stopped dev data directory,
// with its worker, for reconcile.
func openDataDir(ctx context.Context, dir string) (client.Client, *store.Store, func(), error) {
	d, err := devsystem.Start(ctx, devsystem.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		return nil, nil, nil, err
	}
	return d.Client, d.Store, d.Close, nil
}
