package listimport

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Report is what GET /v1/imports/{id} answers: an import's progress and
// its first MaxRowErrors row errors and flags, by row and column (a flag
// has the kind KindFlag). The fields are in
// the order of their JSON names, as the API has always written them.
type Report struct {
	Errors      []RowError `json:"errors"`
	ErrorsShown int        `json:"errorsShown"`
	Import      Progress   `json:"import"`
}

// Client uploads household lists to the Tuntas API and follows their
// import, as `tuntas import` does.
type Client struct {
	// BaseURL is the API's root, such as http://127.0.0.1:8080.
	BaseURL string
	// Token is an admin's bearer token.
	Token string
	// HTTP sends the requests; http.DefaultClient when nil. Uploads of a
	// regency's list take a while, so give it no overall timeout: the
	// context of each call bounds it.
	HTTP *http.Client
	// Every is how often Follow asks for progress; 500ms when zero.
	Every time.Duration
}

// Upload sends a list as text/csv to POST /v1/imports, streaming it, and
// returns the import as the API read it: rows read, valid and rejected.
func (c *Client) Upload(ctx context.Context, list io.Reader) (Progress, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/v1/imports"), list)
	if err != nil {
		return Progress{}, fmt.Errorf("upload: %w", err)
	}
	req.Header.Set("Content-Type", "text/csv")
	var p Progress
	return p, c.do(req, &p)
}

// Report returns an import's progress and row errors.
func (c *Client) Report(ctx context.Context, id string) (Report, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/v1/imports/"+id), nil)
	if err != nil {
		return Report{}, fmt.Errorf("import %s: %w", id, err)
	}
	var r Report
	return r, c.do(req, &r)
}

// Follow asks for an import's progress every c.Every until it is done,
// handing each answer to seen, and returns the last report. When ctx ends
// first, it returns the last report it had with ctx's error.
func (c *Client) Follow(ctx context.Context, id string, seen func(Progress)) (Report, error) {
	tick := time.NewTicker(cmp.Or(c.Every, 500*time.Millisecond))
	defer tick.Stop()
	var last Report
	for {
		r, err := c.Report(ctx, id)
		if err != nil {
			return last, err
		}
		last = r
		seen(r.Import)
		if r.Import.Status == Done {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("follow import %s: %w", id, ctx.Err())
		case <-tick.C:
		}
	}
}

func (c *Client) url(path string) string { return strings.TrimRight(c.BaseURL, "/") + path }

// maxAnswer bounds an answer read into memory: a report with a thousand
// row errors is about 150 KB.
const maxAnswer = 16 << 20

// do sends req with the token and decodes a successful JSON answer into
// out; any other answer is an error quoting the API's problem.
func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// summaryErrors is how many row errors and flags WriteSummary lists.
const summaryErrors = 20

// WriteSummary writes what an import did, and its first row errors and
// flags, as `tuntas import` prints them when it ends.
func WriteSummary(w io.Writer, r Report) error {
	p := r.Import
	var b strings.Builder
	fmt.Fprintf(&b, "import %s %s: rows %d, opened %d, already open %d, rejected %d, failed %d, flagged %d\n",
		p.ID, p.Status, p.RowsRead, p.Opened, p.AlreadyOpen, p.Rejected, p.Failed, p.Flagged)
	for i, e := range r.Errors {
		if i == summaryErrors {
			fmt.Fprintf(&b, "  … and %d more (--errors FILE writes the first %d)\n", len(r.Errors)-summaryErrors, MaxRowErrors)
			break
		}
		flag := ""
		if e.IsFlag() {
			flag = " (flag)"
		}
		fmt.Fprintf(&b, "  row %d %s%s: %s\n", e.Row, e.Field, flag, e.Message)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteRowErrors writes row errors and flags as CSV (row, field, message,
// kind: error or flag), for the person who fixes the list.
func WriteRowErrors(w io.Writer, errs []RowError) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "field", "message", "kind"})
	for _, e := range errs {
		_ = cw.Write([]string{strconv.Itoa(e.Row), e.Field, e.Message, string(e.KindOf())})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write row errors: %w", err)
	}
	return nil
}
