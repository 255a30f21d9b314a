package devcommand

import (
	"strings"
	"testing"

	"github.com/tuntas-id/tuntas/internal/command"
)

// The dev binary is a superset of the production one: the chaos run starts
// production's api and worker processes from it.
func TestTheDevSetHasEveryProductionCommandAndTheDevOnes(t *testing.T) {
	var names []string
	for _, c := range Set(Config{}).Commands {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, " "), "dev api worker token reconcile import codec-server bench cluster backup chaos"; got != want {
		t.Fatalf("tuntas-dev commands: %s, want %s", got, want)
	}
	for _, c := range command.Production().Commands {
		if _, ok := Set(Config{}).Lookup(c.Name); !ok {
			t.Errorf("tuntas-dev lacks %s", c.Name)
		}
	}
}
