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
// checkpoint half done).
//
// The two servers' files are two databases, each copied at its own
// instant, so Temporal's writes are held (Temporal waits on a busy
// database) from before its copy until FerretDB's is taken. The read model
// then holds nothing the copied workflows did not do or have pending:
// an activity that wrote to it during the copy is retried after a restore,
// and its writes are idempotent. Copied the other way round, a restored
// timeline could hold events its workflow no longer has, and the case's
// next events, numbered the same, would be skipped as already stored.
func Backup(ctx context.Context, dir, out string) ([]string, error) {
	if err := emptyDir(out); err != nil {
		return nil, err
	}
	temporalDB := filepath.Join(dir, TemporalDB)
	files := []string{temporalDB}
	// Visibility is copied while the executions are held, after them: a
	// visibility task the copy of the executions counts as done has
	// written its record already, and one it does not is run again after
	// a restore (its writes are idempotent).
	if _, err := os.Stat(filepath.Join(dir, VisibilityDB)); err == nil {
		files = append(files, filepath.Join(dir, VisibilityDB))
	}
	ferretFiles, err := filepath.Glob(filepath.Join(dir, "ferretdb", "*.sqlite"))
	if err != nil {
		return nil, fmt.Errorf("devstack: backup: %w", err)
	}
	release, err := holdWrites(ctx, temporalDB)
	if err != nil {
		return nil, err
	}
	written, err := copyDatabases(ctx, dir, out, append(files, ferretFiles...))
	if rerr := release(); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return written, err
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

// copyDatabases copies each SQLite file under dir to the same place under out.
func copyDatabases(ctx context.Context, dir, out string, files []string) ([]string, error) {
	var written []string
	for _, src := range files {
		rel, err := filepath.Rel(dir, src)
		if err != nil {
			return written, fmt.Errorf("devstack: backup: %w", err)
		}
		if err := vacuumInto(ctx, src, filepath.Join(out, rel)); err != nil {
			return written, err
		}
		written = append(written, rel)
	}
	return written, nil
}

// holdWrites takes the database's write lock without writing anything
// (BEGIN IMMEDIATE), so that other writers wait until release while
// readers, VACUUM INTO among them, go on.
func holdWrites(ctx context.Context, path string) (release func() error, _ error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("devstack: backup: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("devstack: backup %s: %w", path, err)
	}
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		_ = db.Close()
		return nil, fmt.Errorf("devstack: backup: hold writes to %s: %w", path, err)
	}
	return func() error {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		_ = conn.Close()
		_ = db.Close()
		if err != nil {
			return fmt.Errorf("devstack: backup: release %s: %w", path, err)
		}
		return nil
	}, nil
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
	// SQLite creates the copy under the umask; it holds personal data.
	if err := os.Chmod(dst, 0o600); err != nil {
		return fmt.Errorf("devstack: backup: %w", err)
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
