package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tuntas-id/tuntas/activities"
	"github.com/tuntas-id/tuntas/internal/auth"
	"github.com/tuntas-id/tuntas/internal/household"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiURL := fs.String("api", envOr("TUNTAS_API", "http://127.0.0.1:8080"), "the Tuntas API (TUNTAS_API)")
	token := fs.String("token", envOr("TUNTAS_TOKEN", ""), "an admin bearer token (TUNTAS_TOKEN); default: minted from --data")
	dir := fs.String("data", ".tuntas", "dev data directory whose secret mints an admin token when --token is empty")
	errorsFile := fs.String("errors", "", "write every row error to this CSV file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tuntas import [flags] FILE.csv")
	}
	if *token == "" {
		issuer, err := dataDirIssuer(*dir)
		if err != nil {
			return err
		}
		if *token, err = issuer.Issue(auth.Principal{Sub: "import-cli", Role: household.RoleAdmin, Region: "64"}, time.Hour, time.Now()); err != nil {
			return err
		}
	}
	ic := importClient{base: strings.TrimRight(*apiURL, "/"), token: *token}
	prog, err := ic.upload(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "import %s: %d rows read, %d valid, %d rejected\n", prog.ID, prog.RowsRead, prog.Valid, prog.Rejected)
	res, err := ic.follow(ctx, prog.ID, stderr)
	if err != nil {
		return err
	}
	p := res.Import
	fmt.Fprintf(stdout, "import %s %s: rows %d, opened %d, already open %d, rejected %d, failed %d\n",
		p.ID, p.Status, p.RowsRead, p.Opened, p.AlreadyOpen, p.Rejected, p.Failed)
	for i, e := range res.Errors {
		if i == 20 {
			fmt.Fprintf(stdout, "  … and %d more (--errors FILE writes the first 1,000)\n", len(res.Errors)-20)
			break
		}
		fmt.Fprintf(stdout, "  row %d %s: %s\n", e.Row, e.Field, e.Message)
	}
	if *errorsFile != "" {
		return writeRowErrors(*errorsFile, res.Errors)
	}
	return nil
}

type importClient struct {
	base, token string
}

type importStatus struct {
	Import activities.ImportProgress `json:"import"`
	Errors []activities.RowError     `json:"errors"`
}

func (ic importClient) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+ic.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, body)
	}
	return json.Unmarshal(body, out)
}

// upload streams the file to POST /v1/imports.
func (ic importClient) upload(ctx context.Context, path string) (activities.ImportProgress, error) {
	f, err := os.Open(path)
	if err != nil {
		return activities.ImportProgress{}, err
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ic.base+"/v1/imports", f)
	if err != nil {
		return activities.ImportProgress{}, err
	}
	req.Header.Set("Content-Type", "text/csv")
	var p activities.ImportProgress
	return p, ic.do(req, &p)
}

// follow polls the import until it is done, drawing a progress bar with
// rate and ETA on w.
func (ic importClient) follow(ctx context.Context, id string, w io.Writer) (importStatus, error) {
	start := time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ic.base+"/v1/imports/"+id, nil)
		if err != nil {
			return importStatus{}, err
		}
		var st importStatus
		if err := ic.do(req, &st); err != nil {
			return importStatus{}, err
		}
		fmt.Fprint(w, "\r"+progressLine(st.Import, time.Since(start)))
		if st.Import.Status == activities.ImportDone {
			fmt.Fprintln(w)
			return st, nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(w)
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// progressLine draws [#####-----] done/valid with rate and ETA.
func progressLine(p activities.ImportProgress, elapsed time.Duration) string {
	done := p.Opened + p.AlreadyOpen + p.Failed
	const width = 30
	filled := width
	if p.Valid > 0 {
		filled = width * done / p.Valid
	}
	rate := float64(done) / max(elapsed.Seconds(), 0.001)
	eta := "-"
	if rate > 0 && done < p.Valid {
		eta = (time.Duration(float64(p.Valid-done)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s%s] %d/%d cases  %.1f/s  ETA %s   ", strings.Repeat("#", filled), strings.Repeat("-", width-filled), done, p.Valid, rate, eta)
}

func writeRowErrors(path string, errs []activities.RowError) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"row", "field", "message"})
	for _, e := range errs {
		_ = w.Write([]string{strconv.Itoa(e.Row), e.Field, e.Message})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
