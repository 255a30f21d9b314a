package listimport

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/tuntas-id/tuntas/internal/household"
)

// column is one column of a list and the field of household.OpenInput
// (as its validation names it) that it fills.
type column struct {
	name, field string
	optional    bool
}

var columns = []column{
	{name: "kk", field: "kk"},
	{name: "head_nik", field: "headNik"},
	{name: "head_name", field: "headName"},
	{name: "village_code", field: "villageCode"},
	{name: "address", field: "address"},
	{name: "desil", field: "desil", optional: true},
	{name: "source", field: "source"},
}

// Columns are the columns of a household list, matched by header name in
// any order and case; desil may be left out or empty. Other columns are
// ignored, since exports carry many more.
var Columns = func() []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}()

// columnOf names a validation field by the list's column.
func columnOf(field string) string {
	for _, c := range columns {
		if c.field == field {
			return c.name
		}
	}
	return field
}

// rowField is the field of a row error that is about the whole row.
const rowField = "(row)"

// HeaderError says why a list's header row cannot be used; the whole file
// is refused.
type HeaderError struct {
	Reason string
	// Key and Args say the reason in a reader's language (see
	// household.Msg).
	Key  string
	Args []household.Arg
}

func (e *HeaderError) Error() string { return "household list header: " + e.Reason }

func headerError(format string, args ...any) *HeaderError {
	m := household.Msgf(format, args...)
	return &HeaderError{Reason: m.Text, Key: m.Key, Args: m.Args}
}

// Reader reads a household list row by row without holding more than one
// row, checking each with the domain's rules for opening a case
// (household.OpenInput.Validate) on behalf of an actor whose region is
// scope.
type Reader struct {
	csv   *csv.Reader
	scope string
	// index is each known column's position in a record.
	index map[string]int
}

// NewReader reads the header row of r. The header names the columns in
// any order and case, with or without a UTF-8 byte-order mark (which
// spreadsheet programs write); a missing or repeated column is a
// *HeaderError.
func NewReader(r io.Reader, scope string) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	// A short or long row is checked column by column, not refused whole.
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case errors.Is(err, io.EOF), errors.As(err, &pe):
		return nil, headerError("must start with a header row: %s", strings.Join(Columns, ","))
	case err != nil:
		return nil, fmt.Errorf("read household list: %w", err)
	}
	index := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		// Which of two columns of the same name holds the data is a guess;
		// columns this import does not read may repeat.
		if _, seen := index[name]; seen && slices.Contains(Columns, name) {
			return nil, headerError("the header names %s twice", name)
		}
		index[name] = i
	}
	var missing []string
	for _, c := range columns {
		if _, ok := index[c.name]; !ok && !c.optional {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return nil, headerError("the header lacks %s", strings.Join(missing, ", "))
	}
	return &Reader{csv: cr, scope: scope, index: index}, nil
}

// Read returns the next valid row. A rejected row is returned as
// RowErrors, and the next call reads on; the end of the list is io.EOF;
// any other error ends reading.
func (r *Reader) Read() (Row, error) {
	rec, err := r.csv.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			m := household.Msgf("not a valid CSV row: %v", pe.Err)
			return Row{}, RowErrors{{Row: pe.StartLine, Field: rowField, Message: m.Text, Key: m.Key, Args: m.Args}}
		}
		if errors.Is(err, io.EOF) {
			return Row{}, io.EOF
		}
		return Row{}, fmt.Errorf("read household list: %w", err)
	}
	// The line where the record starts, which is what a person finds in
	// the file even when a quoted field spans lines.
	line, _ := r.csv.FieldPos(0)
	get := func(name string) string {
		if i, ok := r.index[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	in := household.OpenInput{KK: get("kk"), HeadNIK: get("head_nik"), HeadName: get("head_name"),
		VillageCode: get("village_code"), Address: get("address"), Source: household.Source(get("source"))}.Tidy()
	var fe household.FieldErrors
	desil, ok := parseDesil(get("desil"))
	if !ok {
		fe.Add("desil", "must be a decile from 1 to 10")
	}
	in.Desil = desil
	if err := in.Validate(r.scope); err != nil {
		var domain household.FieldErrors
		if !errors.As(err, &domain) {
			return Row{}, fmt.Errorf("row %d: %w", line, err)
		}
		fe = append(fe, domain...)
	}
	if len(fe) == 0 {
		return Row{Row: line, Open: in}, nil
	}
	errs := make(RowErrors, len(fe))
	for i, f := range fe {
		errs[i] = RowError{Row: line, Field: columnOf(f.Field), Message: f.Message, Key: f.Key, Args: f.Args}
	}
	slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Field, b.Field) })
	return Row{}, errs
}

// parseDesil reads the welfare decile: empty is none (0), otherwise a whole
// number from 1 to 10. A 0 written in the file is refused like any other
// number out of range, as POST /v1/cases refuses "desil": 0.
func parseDesil(s string) (int, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 10 {
		return 0, false
	}
	return n, true
}
