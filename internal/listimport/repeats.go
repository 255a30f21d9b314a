package listimport

import (
	"strconv"

	"github.com/tuntas-id/tuntas/internal/household"
)

// repeats remembers the first line of each KK and head NIK among the
// valid rows read so far, so that a row repeating one is flagged. Only
// valid rows count: a rejected row opens nothing, so a later valid row
// with its KK or NIK is the one that opens, and it is not flagged.
//
// A KK or NIK of a valid row is 16 digits, kept as a number rather than as
// text: 50,000 rows hold two maps of 50,000 small entries (a few MB), and
// the file's NIKs are not kept as strings.
type repeats struct {
	kk, headNIK map[uint64]int
}

func newRepeats() *repeats {
	return &repeats{kk: map[uint64]int{}, headNIK: map[uint64]int{}}
}

// flags returns the flags of a valid row, by column, and remembers its KK
// and head NIK where they are new. A message names the earlier line,
// never the number itself.
func (r *repeats) flags(row Row) []RowError {
	var out []RowError
	// By column name, as row errors are ordered: head_nik before kk.
	for _, c := range []struct {
		name  string
		seen  map[uint64]int
		value string
	}{
		{"head_nik", r.headNIK, row.Open.HeadNIK},
		{"kk", r.kk, row.Open.KK},
	} {
		key, err := strconv.ParseUint(c.value, 10, 64)
		if err != nil {
			continue // not a valid row's number; nothing to compare
		}
		if first, ok := c.seen[key]; ok {
			m := household.Msgf("%s also on line %d", c.name, first)
			out = append(out, RowError{Row: row.Row, Field: c.name, Kind: KindFlag, Message: m.Text, Key: m.Key, Args: m.Args})
			continue
		}
		c.seen[key] = row.Row
	}
	return out
}
