package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// labPackages are what the production binary must not link: the embedded
// Temporal server and FerretDB with their SQLite, the fault proxy, the
// development OpenID provider (zitadel's op), the cluster launcher, and
// the dev system, bench and chaos run built on them. They are tuntas-dev's.
var labPackages = regexp.MustCompile(`go\.temporal\.io/server|FerretDB|sqlite|toxiproxy|github\.com/zitadel/|/internal/(devstack|devsystem|devcommand|bench|chaos|cluster|synth)(/|$)`)

func TestTheProductionBinaryDoesNotLinkTheLab(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command, to list what tuntas links: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 || !strings.Contains(string(out), "go.temporal.io/sdk/client") {
		t.Fatalf("go list -deps printed %d packages, not the binary's dependencies:\n%s", len(deps), out)
	}
	for _, p := range deps {
		if labPackages.MatchString(p) {
			t.Errorf("tuntas links %s", p)
		}
	}
}
