// Package listimport owns importing a household list (a P3KE or DTSEN
// export as CSV): reading and validating it row by row with the domain's
// rules for opening a case, cutting the valid rows into chunks, the
// progress, row errors and flags an import reports, and the client `tuntas
// import` uploads and follows a list with. The HTTP handler, the Import
// workflow, the activity that opens a chunk's cases and the MongoDB code
// are thin adapters around it in api, workflows, activities and
// internal/store.
package listimport

import (
	"fmt"
	"time"

	"github.com/tuntas-id/tuntas/internal/household"
)

// ChunkSize is how many valid rows one stored chunk holds: one activity
// opens one chunk, so it bounds both memory and the work a retry repeats.
const ChunkSize = 250

// MaxRowErrors is how many row errors and flags an import keeps and
// reports; the rejected and flagged counts go on past it. A thousand
// reasons are enough to fix a list, and the cap keeps a file of garbage
// from filling the database.
const MaxRowErrors = 1000

// Status is where an import stands.
type Status string

// Import statuses. The values are stored and sent as they are.
const (
	Running Status = "running"
	Done    Status = "done"
)

// Progress is an import as GET /v1/imports/{id} shows it. It is also the
// Import workflow's input and result, and the stored import document, so
// its JSON names never change.
type Progress struct {
	ID          string    `json:"id"`
	Status      Status    `json:"status"`
	FileName    string    `json:"fileName,omitempty"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	FinishedAt  time.Time `json:"finishedAt,omitzero"`
	RowsRead    int       `json:"rowsRead"`
	Rejected    int       `json:"rejected"`
	Valid       int       `json:"valid"`
	Opened      int       `json:"opened"`
	AlreadyOpen int       `json:"alreadyOpen"`
	Failed      int       `json:"failed"`
	// Flagged counts valid rows opened (or found open) but flagged: their
	// KK or head NIK is on an earlier row of the file, or their head is a
	// member of another open case.
	Flagged    int `json:"flagged"`
	Chunks     int `json:"chunks"`
	ChunksDone int `json:"chunksDone"`
}

// Start stamps an import whose file has been read. An import with no
// valid row has nothing to open and is done at once.
func (p *Progress) Start(at time.Time) {
	p.CreatedAt, p.UpdatedAt = at, at
	if p.Chunks == 0 {
		p.Status, p.FinishedAt = Done, at
	}
}

// ChunkRows is the number of valid rows in chunk n: ChunkSize in every
// chunk but the last, which holds the rest.
func (p Progress) ChunkRows(n int) int {
	if n < p.Chunks-1 {
		return ChunkSize
	}
	return p.Valid - ChunkSize*(p.Chunks-1)
}

// ChunkOpened records that the next chunk's cases were opened or found
// already open, and how many of its rows opening flagged that reading the
// file had not.
func (p *Progress) ChunkOpened(opened, alreadyOpen, flagged int, at time.Time) {
	p.Opened += opened
	p.AlreadyOpen += alreadyOpen
	p.Flagged += flagged
	p.chunkDone(at)
}

// ChunkFailed records that the next chunk could not be opened: all its
// rows count as failed, and the import goes on.
func (p *Progress) ChunkFailed(at time.Time) {
	p.Failed += p.ChunkRows(p.ChunksDone)
	p.chunkDone(at)
}

func (p *Progress) chunkDone(at time.Time) {
	p.ChunksDone++
	p.UpdatedAt = at
	if p.ChunksDone >= p.Chunks {
		p.Status, p.FinishedAt = Done, at
	}
}

// Settled is how many valid rows have been dealt with: opened, found
// already open, or failed. It reaches Valid when the import is done.
func (p Progress) Settled() int { return p.Opened + p.AlreadyOpen + p.Failed }

// Row is one valid row of a list: its line in the file and the case it
// opens. Flagged is set when reading the file flagged it, so that opening
// counts each flagged row once.
type Row struct {
	Row     int                 `json:"row"`
	Open    household.OpenInput `json:"open"`
	Flagged bool                `json:"flagged,omitempty"`
}

// Kind tells a row error from a flag.
type Kind string

// Kinds of RowError. An error is stored and sent without a kind, as before
// flags existed; KindError is how reports name it.
const (
	// KindError: the row was rejected and nothing was opened for it.
	KindError Kind = "error"
	// KindFlag: the row is valid and its case was opened (or found open),
	// but someone should look at it.
	KindFlag Kind = "flag"
)

// RowError is one reason a row was rejected, or one flag on a valid row,
// naming the column as the file does. A flag's message never quotes a KK
// or NIK: it names the other line or case.
type RowError struct {
	ImportID string `json:"importId"`
	Row      int    `json:"row"`
	Field    string `json:"field"`
	Message  string `json:"message"`
	Kind     Kind   `json:"kind,omitempty"`
	// Key and Args say the message in a reader's language (see
	// household.Msg).
	Key  string          `json:"key,omitempty"`
	Args []household.Arg `json:"args,omitempty"`
}

func (e RowError) Error() string { return fmt.Sprintf("row %d %s: %s", e.Row, e.Field, e.Message) }

// IsFlag tells a flag from a row error.
func (e RowError) IsFlag() bool { return e.Kind == KindFlag }

// KindOf is e's kind as reports name it: KindError when it has none.
func (e RowError) KindOf() Kind {
	if e.Kind == "" {
		return KindError
	}
	return e.Kind
}

// RowErrors are the reasons one row was rejected, ordered by column. The
// Reader returns them as the error of a rejected row; reading goes on.
type RowErrors []RowError

func (e RowErrors) Error() string {
	if len(e) == 0 {
		return "valid"
	}
	s := e[0].Error()
	if len(e) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(e)-1)
	}
	return s
}
