// Package listimport owns importing a household list (a P3KE or DTSEN
// export as CSV): reading and validating it row by row with the domain's
// rules for opening a case, cutting the valid rows into chunks, the
// progress and row errors an import reports, and the client `tuntas
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

// MaxRowErrors is how many row errors an import keeps and reports; the
// rejected count goes on past it. A thousand reasons are enough to fix a
// list, and the cap keeps a file of garbage from filling the database.
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
	Chunks      int       `json:"chunks"`
	ChunksDone  int       `json:"chunksDone"`
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
// already open.
func (p *Progress) ChunkOpened(opened, alreadyOpen int, at time.Time) {
	p.Opened += opened
	p.AlreadyOpen += alreadyOpen
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
// opens.
type Row struct {
	Row  int                 `json:"row"`
	Open household.OpenInput `json:"open"`
}

// RowError is one reason a row was rejected, naming the column as the
// file does.
type RowError struct {
	ImportID string `json:"importId"`
	Row      int    `json:"row"`
	Field    string `json:"field"`
	Message  string `json:"message"`
}

func (e RowError) Error() string { return fmt.Sprintf("row %d %s: %s", e.Row, e.Field, e.Message) }

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
