package devstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the driver both servers' SQLite files are written with
)

// keyFiles are the dev data directory's secrets: without codec.key the
// workflows' payloads cannot be opened, without person.key the claims that
// keep a person in one open case no longer match, and token.secret keeps
// issued tokens valid.
var keyFiles = []string{"codec.key", "token.secret", "person.key"}

// Backup copies the dev data directory dir, running or stopped, to out,
// which must not exist or be empty, and returns the files it wrote. Each
// SQLite database is copied with VACUUM INTO, which reads one consistent
// snapshot through SQLite's own locking, so a live WAL database is copied
// without stopping its server (copying the file alone could catch a
// checkpoint half done). FerretDB's files are copied before Temporal's:
// the workflows are the truth the read model is made from, so a restore
// may find the read model behind its workflows (which the next step of a
// case, or `tuntas reconcile`, brings forward) but never ahead of them.
func Backup(ctx context.Context, dir, out string) ([]string, error) {
	if err := emptyDir(out); err != nil {
		return nil, err
	}
	ferretFiles, err := filepath.Glob(filepath.Join(dir, "ferretdb", "*.sqlite"))
	if err != nil {
		return nil, fmt.Errorf("devstack: backup: %w", err)
	}
	var written []string
	for _, src := range append(ferretFiles, filepath.Join(dir, "temporal.db")) {
		rel, err := filepath.Rel(dir, src)
		if err != nil {
			return written, fmt.Errorf("devstack: backup: %w", err)
		}
		if err := vacuumInto(ctx, src, filepath.Join(out, rel)); err != nil {
			return written, err
		}
		written = append(written, rel)
	}
	for _, name := range keyFiles {
		ok, err := copyFile(filepath.Join(dir, name), filepath.Join(out, name))
		if err != nil {
			return written, err
		}
		if ok {
			written = append(written, name)
		}
	}
	return written, nil
}

// emptyDir creates dir, or accepts it if it exists and is empty, so that a
// backup never mixes with (or overwrites) an older one.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devstack: backup: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("devstack: backup: %s is not empty", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devstack: backup: %w", err)
	}
	return nil
}

// vacuumInto writes a consistent copy of the SQLite database src to dst.
// The source is opened read-only: the backup must never write to a live
// server's files.
func vacuumInto(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("devstack: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("devstack: backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+src+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("devstack: backup %s: %w", src, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("devstack: backup %s: %w", src, err)
	}
	return nil
}

// copyFile copies a small file with owner-only permissions; it reports
// false when src does not exist (a directory a command never created the
// key in).
func copyFile(src, dst string) (bool, error) {
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("devstack: backup: %w", err)
	}
	defer in.Close()
	o, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, fmt.Errorf("devstack: backup: %w", err)
	}
	if _, err := io.Copy(o, in); err != nil {
		_ = o.Close()
		return false, fmt.Errorf("devstack: backup %s: %w", src, err)
	}
	if err := o.Close(); err != nil {
		return false, fmt.Errorf("devstack: backup %s: %w", src, err)
	}
	return true, nil
}
