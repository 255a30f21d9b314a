// Command tuntas runs the Tuntas case-management service: `dev` runs
// everything in one process on an embedded Temporal server and FerretDB;
// `api` and `worker` are the production processes; `token` mints bearer
// tokens; `reconcile` repairs the read model from the workflows; `backup`
// copies a dev data directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: tuntas <command> [flags]

commands:
  dev        run Temporal, FerretDB, the worker and the API in one process
  api        run the HTTP API against Temporal and MongoDB
  worker     run the case workflow worker against Temporal and MongoDB
  token      print a signed bearer token
  reconcile  compare every running case workflow with its read-model snapshot and repair
  import     upload a household list (CSV) to the API and follow its progress
  bench      drive synthetic households end to end on a fresh embedded stack and report figures
  backup     copy a dev data directory consistently, running or stopped
  chaos      run the production topology on this machine under faults and check nothing is lost

run 'tuntas <command> -h' for a command's flags
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tuntas:", err)
		}
		os.Exit(2)
	}
}

// run executes one subcommand; it is main without the process exit, so
// tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"dev":       runDev,
		"api":       runAPI,
		"worker":    runWorker,
		"token":     runToken,
		"reconcile": runReconcile,
		"import":    runImport,
		"bench":     runBench,
		"backup":    runBackup,
		"chaos":     runChaos,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:], stdout, stderr)
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}
