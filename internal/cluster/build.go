package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Binaries are the programs of the topology, built from the Go modules at
// the versions go.mod pins.
type Binaries struct {
	// TemporalServer is go.temporal.io/server/cmd/server, SQLTool its
	// schema tool (cmd/tools/sql).
	TemporalServer string
	SQLTool        string
	// FerretDB is github.com/FerretDB/FerretDB/cmd/ferretdb.
	FerretDB string
	// Tuntas is the production binary, cmd/tuntas; empty when not asked for.
	Tuntas string
}

// Built says how one binary was had: built now (and how long that took)
// or found in the cache.
type Built struct {
	Name    string
	Path    string
	Seconds float64
	Cached  bool
}

// tools are the servers' packages. Temporal's are declared as tools in
// go.mod, so that go.mod pins them and `go mod tidy` keeps their
// dependencies; FerretDB's is built as its own module (see
// buildFerretDB), at the version go.mod requires.
var tools = []struct{ name, pkg, module string }{
	{"temporal-server", "go.temporal.io/server/cmd/server", "go.temporal.io/server"},
	{"temporal-sql-tool", "go.temporal.io/server/cmd/tools/sql", "go.temporal.io/server"},
	{"ferretdb", "./cmd/ferretdb", "github.com/FerretDB/FerretDB"},
}

// modulePath is the Tuntas module, whose go.mod pins the servers.
const modulePath = "github.com/tuntas-id/tuntas"

// DefaultCache is where built binaries are kept between runs:
// $XDG_CACHE_HOME/tuntas/cluster (~/.cache/tuntas/cluster).
func DefaultCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "tuntas", "cluster")
}

// ModuleRoot is the directory of the Tuntas module holding the working
// directory, found by the go command.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w (the cluster builds its servers with the go command)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run this from the Tuntas repository: the go command finds no go.mod here, and builds the servers from the versions it pins")
	}
	f, err := os.Open(gomod)
	if err != nil {
		return "", fmt.Errorf("run this from the Tuntas repository (no go.mod here): %w", err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if strings.TrimSpace(strings.TrimPrefix(line, "module")) != modulePath {
		return "", fmt.Errorf("run this from the Tuntas repository: %s is not %s's", gomod, modulePath)
	}
	return filepath.Dir(gomod), nil
}

// Build returns the servers' binaries, building into cache those it does
// not hold yet (a cold build of Temporal's server takes minutes; the
// cache keys each binary by its module's version and the Go version), and,
// with tuntas, builds cmd/tuntas afresh (quick: the go command caches its
// packages). src is the Tuntas module's directory.
func Build(ctx context.Context, src, cache string, tuntas bool, progress io.Writer) (Binaries, []Built, error) {
	if progress == nil {
		progress = io.Discard
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return Binaries{}, nil, err
	}
	versions, err := moduleVersions(ctx, src)
	if err != nil {
		return Binaries{}, nil, err
	}
	var bins Binaries
	var built []Built
	for _, t := range tools {
		path := filepath.Join(cache, t.name+"-"+versions[t.module]+"-"+versions["go"])
		build := func() error { return goBuild(ctx, src, t.pkg, path) }
		if t.name == "ferretdb" {
			build = func() error { return buildFerretDB(ctx, src, versions[t.module], path) }
		}
		b, err := buildOnce(t.pkg, path, build, progress)
		if err != nil {
			return Binaries{}, nil, err
		}
		b.Name = t.name
		built = append(built, b)
		switch t.name {
		case "temporal-server":
			bins.TemporalServer = path
		case "temporal-sql-tool":
			bins.SQLTool = path
		case "ferretdb":
			bins.FerretDB = path
		}
	}
	if tuntas {
		bins.Tuntas = filepath.Join(cache, "tuntas")
		start := time.Now()
		if err := goBuild(ctx, src, "./cmd/tuntas", bins.Tuntas); err != nil {
			return Binaries{}, nil, err
		}
		built = append(built, Built{Name: "tuntas", Path: bins.Tuntas, Seconds: time.Since(start).Seconds()})
	}
	return bins, built, nil
}

// buildOnce runs build, which makes path, unless path exists.
func buildOnce(pkg, path string, build func() error, progress io.Writer) (Built, error) {
	if _, err := os.Stat(path); err == nil {
		return Built{Path: path, Cached: true}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return Built{}, err
	}
	fmt.Fprintf(progress, "building %s into %s (the first build takes minutes)…\n", pkg, filepath.Dir(path))
	start := time.Now()
	if err := build(); err != nil {
		return Built{}, err
	}
	return Built{Path: path, Seconds: time.Since(start).Seconds()}, nil
}

// buildFerretDB builds FerretDB's own binary as its release build does:
// in a copy of its module (the module cache is read-only) holding
// build/version/version.txt, the file its build writes from git (without
// it the binary refuses to start), with the dependencies its own go.mod
// pins.
func buildFerretDB(ctx context.Context, src, version, path string) error {
	list := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/FerretDB/FerretDB")
	list.Dir = src
	out, err := list.Output()
	if err != nil {
		return fmt.Errorf("go list -m github.com/FerretDB/FerretDB: %w", err)
	}
	tmp, err := os.MkdirTemp("", "tuntas-ferretdb-src-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	copyDir := filepath.Join(tmp, "FerretDB")
	if err := os.CopyFS(copyDir, os.DirFS(strings.TrimSpace(string(out)))); err != nil {
		return fmt.Errorf("copy FerretDB's module: %w", err)
	}
	if err := os.Chmod(filepath.Join(copyDir, "build", "version"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(copyDir, "build", "version", "version.txt"), []byte(version+"\n"), 0o644); err != nil {
		return err
	}
	// Its own module, not a workspace of ours; go.sum may lack sums of
	// modules its build does not verify up front.
	return goBuildIn(ctx, copyDir, "./cmd/ferretdb", path, "GOWORK=off", "GOFLAGS=-mod=mod")
}

// goBuild builds pkg in the module at src to path, through a file of its
// own renamed into place, so that a run that is using path keeps its copy.
func goBuild(ctx context.Context, src, pkg, path string) error {
	return goBuildIn(ctx, src, pkg, path)
}

func goBuildIn(ctx context.Context, src, pkg, path string, env ...string) error {
	tmp := fmt.Sprintf("%s.tmp%d", path, os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, pkg)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("go build %s: %w: %s", pkg, err, Tail(string(out), 1500))
	}
	return os.Rename(tmp, path)
}

// moduleVersions are the versions go.mod pins for the servers' modules,
// and the go command's own version under "go".
func moduleVersions(ctx context.Context, src string) (map[string]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "go.temporal.io/server", "github.com/FerretDB/FerretDB")
	cmd.Dir = src
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m: %w", err)
	}
	v := map[string]string{}
	for line := range strings.Lines(string(out)) {
		if path, version, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			v[path] = version
		}
	}
	goVersion := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	goVersion.Dir = src
	gv, err := goVersion.Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	v["go"] = strings.TrimSpace(string(gv))
	for _, t := range tools {
		if v[t.module] == "" {
			return nil, fmt.Errorf("go.mod of %s does not require %s", src, t.module)
		}
	}
	return v, nil
}
