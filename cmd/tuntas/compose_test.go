package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tuntas-id/tuntas/internal/command"
)

func loadCompose(t *testing.T, env []string, profiles ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../../docker-compose.yml"},
		cli.WithWorkingDirectory("../.."), cli.WithEnv(env), cli.WithName("tuntas"), cli.WithProfiles(profiles))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// TestComposeFileRunsTheProductionTopology loads docker-compose.yml with the
// real compose loader and checks that every service the processes need is
// there and that the processes reach them by environment.
func TestComposeFileRunsTheProductionTopology(t *testing.T) {
	p, err := loadCompose(t, []string{"TUNTAS_TOKEN_SECRET=" + strings.Repeat("s", 32), "TUNTAS_DEVICE_SECRET=" + strings.Repeat("d", 32), "TUNTAS_CODEC_KEY=k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "TUNTAS_PERSON_KEY=MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, name := range []string{"postgresql", "temporal", "temporal-ui", "mongodb", "tuntas-api", "tuntas-worker"} {
		if _, err := p.GetService(name); err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
	}
	mongo, _ := p.GetService("mongodb")
	if !strings.HasPrefix(mongo.Image, "mongo:7") || !slices.Contains(mongo.Command, "--replSet") {
		t.Errorf("mongodb is %s %v, want MongoDB 7 as a replica set", mongo.Image, mongo.Command)
	}
	temporal, _ := p.GetService("temporal")
	if temporal.Environment["DB"] == nil || !strings.HasPrefix(*temporal.Environment["DB"], "postgres") {
		t.Errorf("temporal does not persist to PostgreSQL: %v", temporal.Environment)
	}
	if ui, _ := p.GetService("temporal-ui"); ui.Environment["TEMPORAL_ADDRESS"] == nil || *ui.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
		t.Errorf("the Web UI is not wired to temporal")
	}

	// Only the API faces the host: a published Temporal port would let
	// anyone who reaches it message every case, and MongoDB holds the NIKs.
	for _, svc := range p.Services {
		if len(svc.Ports) > 0 && svc.Name != "tuntas-api" {
			t.Errorf("%s publishes %v to the host", svc.Name, svc.Ports)
		}
	}

	needs := map[string][]string{
		"tuntas-api":    {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "MONGODB_URI", "TUNTAS_HTTP_ADDR", "TUNTAS_TOKEN_SECRET", "TUNTAS_CODEC_KEY", "TUNTAS_PERSON_KEY"},
		"tuntas-worker": {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "MONGODB_URI", "TUNTAS_CODEC_KEY", "TUNTAS_PERSON_KEY"},
	}
	for name, vars := range needs {
		svc, _ := p.GetService(name)
		if svc.Build == nil || svc.Build.Context == "" {
			t.Errorf("%s is not built from the repository's Dockerfile", name)
		}
		if want := strings.TrimPrefix(name, "tuntas-"); len(svc.Command) != 1 || svc.Command[0] != want {
			t.Errorf("%s runs %v, want the %q subcommand", name, svc.Command, want)
		} else if _, ok := command.Production().Lookup(want); !ok {
			t.Errorf("%s runs %q, which the image's binary (cmd/tuntas) does not have", name, want)
		}
		for _, v := range vars {
			if svc.Environment[v] == nil || *svc.Environment[v] == "" {
				t.Errorf("%s lacks %s", name, v)
			}
		}
		addr := *svc.Environment["TEMPORAL_ADDRESS"]
		if host, _, _ := strings.Cut(addr, ":"); host != "temporal" {
			t.Errorf("%s reaches Temporal at %s", name, addr)
		}
		u, err := url.Parse(*svc.Environment["MONGODB_URI"])
		if err != nil || u.Hostname() != "mongodb" || u.Query().Get("replicaSet") == "" {
			t.Errorf("%s reaches MongoDB at %s", name, *svc.Environment["MONGODB_URI"])
		}
		for _, dep := range []string{"temporal", "mongodb"} {
			if _, ok := svc.DependsOn[dep]; !ok {
				t.Errorf("%s does not depend on %s", name, dep)
			}
		}
	}
}

func TestComposeFileRefusesToStartWithoutSecrets(t *testing.T) {
	if _, err := loadCompose(t, nil); err == nil {
		t.Fatal("docker-compose.yml loaded without TUNTAS_TOKEN_SECRET and TUNTAS_CODEC_KEY")
	}
}

// The codec server runs only when asked for (profile codec), from the same
// image, on the compose network alone, with the workers' codec key and the
// API's sign-in, and answers only the Web UI's origin.
func TestComposeFileRunsTheCodecServerForOperatorsOnly(t *testing.T) {
	env := []string{"TUNTAS_TOKEN_SECRET=" + strings.Repeat("s", 32), "TUNTAS_DEVICE_SECRET=" + strings.Repeat("d", 32), "TUNTAS_CODEC_KEY=k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "TUNTAS_PERSON_KEY=MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="}
	p, err := loadCompose(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.GetService("tuntas-codec"); err == nil {
		t.Fatal("the codec server runs without being asked for")
	}
	if p, err = loadCompose(t, env, "codec"); err != nil {
		t.Fatal(err)
	}
	svc, err := p.GetService("tuntas-codec")
	if err != nil {
		t.Fatal(err)
	}
	if len(svc.Command) != 1 || svc.Command[0] != "codec-server" || svc.Build == nil || len(svc.Ports) > 0 {
		t.Fatalf("tuntas-codec runs %v (built %v), publishes %v", svc.Command, svc.Build != nil, svc.Ports)
	}
	if _, ok := command.Production().Lookup("codec-server"); !ok {
		t.Fatal("the image's binary has no codec-server")
	}
	for _, v := range []string{"TEMPORAL_NAMESPACE", "MONGODB_URI", "TUNTAS_CODEC_KEY", "TUNTAS_TOKEN_SECRET", "TUNTAS_CODEC_UI_ORIGIN"} {
		if svc.Environment[v] == nil || *svc.Environment[v] == "" {
			t.Errorf("tuntas-codec lacks %s", v)
		}
	}
}

// TestComposeFerretDBProfileKeepsTheReadModelOnPostgreSQL checks the
// profile for offices without MongoDB: FerretDB on the same PostgreSQL,
// in a role and database of its own that the postgres image makes on its
// first start, and the processes pointed at it by MONGODB_URI alone.
func TestComposeFerretDBProfileKeepsTheReadModelOnPostgreSQL(t *testing.T) {
	env := []string{"TUNTAS_TOKEN_SECRET=" + strings.Repeat("s", 32), "TUNTAS_DEVICE_SECRET=" + strings.Repeat("d", 32),
		"TUNTAS_CODEC_KEY=k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "TUNTAS_PERSON_KEY=MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
		"MONGODB_URI=mongodb://ferretdb:27017/"}
	p, err := loadCompose(t, env, "ferretdb")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	f, err := p.GetService("ferretdb")
	if err != nil {
		t.Fatalf("the ferretdb profile has no ferretdb service: %v", err)
	}
	if !strings.HasPrefix(f.Image, "ghcr.io/ferretdb/ferretdb:1.24") || !slices.Contains(f.Profiles, "ferretdb") {
		t.Errorf("ferretdb is %s in profiles %v, want FerretDB 1.24 in the ferretdb profile", f.Image, f.Profiles)
	}
	u, err := url.Parse(*f.Environment["FERRETDB_POSTGRESQL_URL"])
	if err != nil || u.Hostname() != "postgresql" || u.Path != "/ferretdb" || u.User.Username() != "ferretdb" {
		t.Errorf("FerretDB keeps its data at %v, want the ferretdb database and role on postgresql", *f.Environment["FERRETDB_POSTGRESQL_URL"])
	}
	pg, _ := p.GetService("postgresql")
	if !slices.ContainsFunc(pg.Volumes, func(v types.ServiceVolumeConfig) bool { return v.Target == "/docker-entrypoint-initdb.d" }) {
		t.Error("postgresql does not run deploy/postgresql-init, which makes FerretDB's role and database")
	}
	for _, name := range []string{"tuntas-api", "tuntas-worker"} {
		svc, _ := p.GetService(name)
		if got := *svc.Environment["MONGODB_URI"]; got != "mongodb://ferretdb:27017/" {
			t.Errorf("%s reaches the read model at %s, want FerretDB by MONGODB_URI", name, got)
		}
		for _, dep := range []string{"mongodb", "ferretdb"} {
			if d, ok := svc.DependsOn[dep]; !ok || d.Required {
				t.Errorf("%s: depends_on %s %+v, want it there and not required (the other profile scales it to 0)", name, dep, d)
			}
		}
	}
	temporal, _ := p.GetService("temporal")
	if temporal.Environment["DYNAMIC_CONFIG_FILE_PATH"] == nil || len(temporal.Volumes) == 0 || !strings.HasSuffix(temporal.Volumes[0].Source, "deploy/temporal-dynamicconfig.yaml") {
		t.Errorf("temporal does not take deploy/temporal-dynamicconfig.yaml, the one tuntas-dev cluster uses: %v", temporal.Volumes)
	}
}
