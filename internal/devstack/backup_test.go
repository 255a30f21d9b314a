package devstack_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tuntas-id/tuntas/internal/devstack"
)

// writeDB creates an SQLite database in WAL mode holding one row, left in
// the WAL (the connection stays open until the test ends), as a live
// server's file is.
func writeDB(t *testing.T, path, value string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(wal)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, q := range []string{"CREATE TABLE t (v TEXT)", "INSERT INTO t VALUES ('" + value + "')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func readDB(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT v FROM t").Scan(&v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestBackupCopiesBothServersFilesAndTheKeys(t *testing.T) {
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	writeDB(t, filepath.Join(dir, "temporal.db"), "history")
	writeDB(t, filepath.Join(dir, "visibility.db"), "visibility")
	writeDB(t, filepath.Join(dir, "ferretdb", "tuntas.sqlite"), "cases")
	for _, k := range []string{"codec.key", "token.secret"} { // no person.key yet
		if err := os.WriteFile(filepath.Join(dir, k), []byte(k), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, err := devstack.Backup(context.Background(), dir, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"temporal.db", "visibility.db", filepath.Join("ferretdb", "tuntas.sqlite"), "codec.key", "token.secret"}
	if !slices.Equal(files, want) {
		t.Fatalf("backed up %v, want %v", files, want)
	}
	if got := readDB(t, filepath.Join(out, "temporal.db")); got != "history" {
		t.Errorf("temporal.db copy holds %q", got)
	}
	if got := readDB(t, filepath.Join(out, "visibility.db")); got != "visibility" {
		t.Errorf("visibility.db copy holds %q", got)
	}
	if got := readDB(t, filepath.Join(out, "ferretdb", "tuntas.sqlite")); got != "cases" {
		t.Errorf("FerretDB copy holds %q", got)
	}
	for _, f := range want {
		info, err := os.Stat(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s copied with mode %v, want 0600: it holds personal data or a key", f, info.Mode().Perm())
		}
	}
}

func TestBackupRefuses(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "old"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dir, out string
	}{
		{"an output that holds files", t.TempDir(), full},
		{"a data directory without temporal.db", t.TempDir(), filepath.Join(t.TempDir(), "out")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := devstack.Backup(context.Background(), tt.dir, tt.out); err == nil {
				t.Fatal("backup succeeded")
			}
		})
	}
}
