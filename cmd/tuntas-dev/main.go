// Command tuntas-dev is the development binary of Tuntas: `dev` runs
// everything in one process on an embedded Temporal server and FerretDB;
// `bench` measures, `chaos` runs the production topology under faults,
// `backup` copies a dev data directory, `reconcile --data` repairs one.
// It also has every command of the production binary, tuntas, so that the
// chaos run starts production's api and worker processes from it.
package main

import (
	"os"

	"github.com/tuntas-id/tuntas/internal/devcommand"
)

func main() {
	os.Exit(devcommand.Set(devcommand.Config{}).Main(os.Args[1:], os.Stdout, os.Stderr))
}
