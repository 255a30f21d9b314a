package listimport

import (
	"io"
	"time"
)

// NewBarFor returns a bar that takes w for a terminal or not as told and
// reads the time from now.
func NewBarFor(w io.Writer, p Progress, terminal bool, now func() time.Time) *Bar {
	return newBar(w, p, terminal, now)
}
