package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
	"github.com/tuntas-id/tuntas/internal/listimport"
	"github.com/tuntas-id/tuntas/internal/server"
)

// Import is `tuntas import`: it uploads a household list to the API and
// follows the import to its end.
func Import(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiURL := fs.String("api", envOr("TUNTAS_API", "http://127.0.0.1:8080"), "the Tuntas API (TUNTAS_API)")
	token := fs.String("token", envOr("TUNTAS_TOKEN", ""), "an admin bearer token (TUNTAS_TOKEN); default: minted from --data")
	dir := fs.String("data", ".tuntas", "dev data directory whose secret mints an admin token when --token is empty")
	errorsFile := fs.String("errors", "", "write the row errors (the first 1,000) to this CSV file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tuntas import [flags] FILE.csv")
	}
	if *token == "" {
		issuer, err := server.DataDirIssuer(*dir)
		if err != nil {
			return err
		}
		if *token, err = issuer.Issue(auth.Principal{Sub: "import-cli", Role: household.RoleAdmin, Region: "64"}, time.Hour, time.Now()); err != nil {
			return err
		}
	}
	list, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer list.Close()

	c := &listimport.Client{BaseURL: *apiURL, Token: *token}
	prog, err := c.Upload(ctx, list)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "import %s: %d rows read, %d valid, %d rejected\n", prog.ID, prog.RowsRead, prog.Valid, prog.Rejected)
	bar := listimport.NewBar(stderr, prog)
	rep, err := c.Follow(ctx, prog.ID, bar.Update)
	bar.Finish()
	if err != nil {
		return err
	}
	if err := listimport.WriteSummary(stdout, rep); err != nil {
		return err
	}
	if *errorsFile != "" {
		return writeRowErrors(*errorsFile, rep.Errors)
	}
	return nil
}

func writeRowErrors(path string, errs []listimport.RowError) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := listimport.WriteRowErrors(f, errs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
