package devcommand

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tuntas-id/tuntas/internal/devstack"
)

// runBackup is `tuntas-dev backup --data DIR OUT`: a consistent copy of a
// dev data directory, safe to take while `tuntas-dev dev` runs on it.
// Starting `tuntas-dev dev --data OUT` restores it.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", ".tuntas", "dev data directory to copy (running or stopped)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tuntas-dev backup [--data DIR] OUT   (OUT must not exist or be empty)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: name one output directory")
	}
	out := fs.Arg(0)
	files, err := devstack.Backup(ctx, *dir, out)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, "  "+f)
	}
	fmt.Fprintf(stdout, "backed up %s to %s; restore with: tuntas-dev dev --data %s\n", *dir, out, out)
	return nil
}
