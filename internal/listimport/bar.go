package listimport

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar shows an import's progress as its cases are opened. On a terminal
// it is a bar redrawn in place, with the count, the rate and the time
// left; anywhere else (a file, a pipe, a CI log) it is a plain line every
// few seconds and one at the end, so a redirected log holds lines, not
// frames.
type Bar struct {
	w     io.Writer
	bar   *progressbar.ProgressBar // nil when w is not a terminal
	every time.Duration
	now   func() time.Time
	// last is the progress Update was last given; seen, whether it was.
	last Progress
	seen bool
	// printed is when the last plain line was written, and what it said.
	printed  time.Time
	lastLine string
}

// plainEvery is how often a Bar writes a plain line.
const plainEvery = 5 * time.Second

// NewBar returns a bar drawn on w for the import p, as Upload returned it:
// the bar counts up to its valid rows.
func NewBar(w io.Writer, p Progress) *Bar {
	return newBar(w, p, isTerminal(w), time.Now)
}

func newBar(w io.Writer, p Progress, terminal bool, now func() time.Time) *Bar {
	b := &Bar{w: w, every: plainEvery, now: now}
	// A bar needs something to count; an import with no valid row has
	// only its final line.
	if terminal && p.Valid > 0 {
		b.bar = progressbar.NewOptions(p.Valid,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("opening cases"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("cases"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return b
}

// isTerminal reports whether w is a terminal (a character device that
// answers terminal requests), not a file or pipe it was redirected to.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update shows p: the bar moves to the cases settled so far, or a plain
// line is written if the last one is a few seconds old.
func (b *Bar) Update(p Progress) {
	b.last, b.seen = p, true
	if b.bar != nil {
		_ = b.bar.Set(p.Settled()) // a bar that cannot draw is no reason to stop an import
		return
	}
	if now := b.now(); b.printed.IsZero() || now.Sub(b.printed) >= b.every {
		b.line(now)
	}
}

// Finish shows the last progress Update was given and ends the bar's line,
// whether the import is done or following it stopped early.
func (b *Bar) Finish() {
	if b.bar != nil {
		if !b.bar.IsFinished() {
			_ = b.bar.Exit() // ends the line where the bar stopped
		}
		return
	}
	if b.seen {
		b.line(b.now())
	}
}

// line writes the last progress as a plain line, unless it says what the
// line before said.
func (b *Bar) line(now time.Time) {
	p := b.last
	s := fmt.Sprintf("import %s: %d/%d cases (opened %d, already open %d, failed %d)\n",
		p.ID, p.Settled(), p.Valid, p.Opened, p.AlreadyOpen, p.Failed)
	if s == b.lastLine {
		return
	}
	_, _ = io.WriteString(b.w, s)
	b.printed, b.lastLine = now, s
}
