package command

import (
	"context"
	"flag"
	"fmt"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/reconcile"
	"github.com/tuntas-id/tuntas/internal/store"
)

// DataDir opens a stopped dev data directory for reconcile: the Temporal
// client and read model of its embedded stack, and what stops them.
type DataDir func(ctx context.Context, dir string) (_ client.Client, _ *store.Store, closeAll func(), _ error)

// Reconcile returns `reconcile`, which compares every case workflow with its
// read-model snapshot and repairs the snapshot, against the backend its
// flags name. Given dataDir, it also takes --data, a stopped dev data
// directory that dataDir opens instead; the production binary gives none,
// since it carries no embedded stack.
func Reconcile(dataDir DataDir) Func {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
		fs.SetOutput(stderr)
		var pf prodFlags
		pf.register(fs)
		var dir *string
		if dataDir != nil {
			dir = fs.String("data", "", "reconcile a stopped `tuntas-dev dev` data directory instead (starts its embedded stack)")
		}
		if err := fs.Parse(args); err != nil {
			return err
		}
		var (
			c        client.Client
			st       *store.Store
			closeAll func()
			err      error
		)
		if dir != nil && *dir != "" {
			c, st, closeAll, err = dataDir(ctx, *dir)
		} else {
			c, st, closeAll, err = pf.connectReadModel(ctx, stderr)
		}
		if err != nil {
			return err
		}
		defer closeAll()
		r, err := reconcile.Run(ctx, c, st)
		fmt.Fprintf(stdout, "checked %d cases: %d in sync, %d repaired, %d failed, %d found halted\n", r.Checked, r.InSync, r.Repaired, r.Failed, r.Halted)
		if r.Halted > 0 {
			fmt.Fprintf(stdout, "halted cases (their workflow ended abnormally) are marked status halted: GET /v1/cases?status=halted lists them\n")
		}
		return err
	}
}

// connectReadModel is connect for a process that needs only Temporal and
// the read model.
func (p *prodFlags) connectReadModel(ctx context.Context, stderr io.Writer) (client.Client, *store.Store, func(), error) {
	c, all, closeAll, err := p.connect(ctx, jsonLogger(stderr))
	if err != nil {
		return nil, nil, nil, err
	}
	return c, all.Store, closeAll, nil
}
