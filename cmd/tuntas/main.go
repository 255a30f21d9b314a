// Command tuntas runs what production runs of the Tuntas case-management
// service: `api` and `worker` against a Temporal cluster and MongoDB,
// `token` mints bearer tokens, `reconcile` repairs the read model from the
// workflows, `import` uploads a household list. It links neither the
// embedded servers nor the bench nor the chaos run: those are tuntas-dev's
// (cmd/tuntas-dev).
package main

import (
	"os"

	"github.com/tuntas-id/tuntas/internal/command"
)

func main() {
	os.Exit(command.Production().Main(os.Args[1:], os.Stdout, os.Stderr))
}
