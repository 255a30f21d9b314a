package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"go.temporal.io/sdk/client"

	"github.com/tuntas-id/tuntas/internal/reconcile"
	"github.com/tuntas-id/tuntas/internal/store"
)

func runReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf prodFlags
	pf.register(fs)
	dir := fs.String("data", "", "reconcile a stopped `tuntas dev` data directory instead (starts its embedded stack)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var (
		c  client.Client
		st *store.Store
	)
	if *dir != "" {
		d, err := startDev(ctx, devConfig{DataDir: *dir, HTTPAddr: "127.0.0.1:0"})
		if err != nil {
			return err
		}
		defer d.Close()
		c, st = d.Client, d.Store
	} else {
		var (
			closeAll func()
			all      *stores
			err      error
		)
		if c, all, closeAll, err = pf.connect(ctx, jsonLogger(stderr)); err != nil {
			return err
		}
		defer closeAll()
		st = all.Store
	}
	r, err := reconcile.Run(ctx, c, st)
	fmt.Fprintf(stdout, "checked %d cases: %d in sync, %d repaired, %d failed, %d found halted\n", r.Checked, r.InSync, r.Repaired, r.Failed, r.Halted)
	if r.Halted > 0 {
		fmt.Fprintf(stdout, "halted cases (their workflow ended abnormally) are marked status halted: GET /v1/cases?status=halted lists them\n")
	}
	return err
}
