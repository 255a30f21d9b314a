package listimport_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tuntas-id/tuntas/internal/listimport"
)

// clock is a time that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBarWritesPlainLinesNowAndThenWhenNotATerminal(t *testing.T) {
	tests := []struct {
		name    string
		opened  []int // progress seen, one a second
		finish  bool
		wantOut []string
	}{
		{"one line at the start, every five seconds and at the end", []int{0, 10, 20, 30, 40, 50, 60, 70}, true, []string{
			"import imp-1: 0/70 cases (opened 0, already open 0, failed 0)",
			"import imp-1: 50/70 cases (opened 50, already open 0, failed 0)",
			"import imp-1: 70/70 cases (opened 70, already open 0, failed 0)",
		}},
		{"the end is not repeated", []int{0, 10, 20, 30, 40, 70}, true, []string{
			"import imp-1: 0/70 cases (opened 0, already open 0, failed 0)",
			"import imp-1: 70/70 cases (opened 70, already open 0, failed 0)",
		}},
		{"stopped early ends with the last progress seen", []int{0, 10, 20}, true, []string{
			"import imp-1: 0/70 cases (opened 0, already open 0, failed 0)",
			"import imp-1: 20/70 cases (opened 20, already open 0, failed 0)",
		}},
		{"nothing seen, nothing written", nil, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
			p := listimport.Progress{ID: "imp-1", Valid: 70}
			bar := listimport.NewBarFor(&out, p, false, clk.now)
			for _, n := range tt.opened {
				p.Opened = n
				bar.Update(p)
				clk.t = clk.t.Add(time.Second)
			}
			if tt.finish {
				bar.Finish()
			}
			var got []string
			if s := strings.TrimSuffix(out.String(), "\n"); s != "" {
				got = strings.Split(s, "\n")
			}
			if strings.Join(got, "\n") != strings.Join(tt.wantOut, "\n") || strings.Contains(out.String(), "\r") {
				t.Fatalf("wrote\n%q\nwant\n%q", got, tt.wantOut)
			}
		})
	}
}

func TestBarRedrawsInPlaceOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := listimport.Progress{ID: "imp-1", Valid: 4}
	bar := listimport.NewBarFor(&out, p, true, time.Now)
	for _, n := range []int{1, 2, 3, 4} {
		p.Opened = n
		bar.Update(p)
	}
	bar.Finish()
	s := out.String()
	if !strings.Contains(s, "\r") || !strings.Contains(s, "4/4") || !strings.Contains(s, "cases") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("drew %q, want a bar redrawn with \\r up to 4/4, ending its line", s)
	}
	if strings.Count(s, "\n") != 1 {
		t.Errorf("the finished bar ends its line %d times, want once: %q", strings.Count(s, "\n"), s)
	}
}

func TestBarStoppedEarlyOnATerminalEndsItsLine(t *testing.T) {
	var out bytes.Buffer
	p := listimport.Progress{ID: "imp-1", Valid: 4, Opened: 1}
	bar := listimport.NewBarFor(&out, p, true, time.Now)
	bar.Update(p)
	bar.Finish()
	if s := out.String(); !strings.HasSuffix(s, "\n") || strings.Contains(s, "4/4") {
		t.Fatalf("drew %q, want the bar left at 1/4 and its line ended", s)
	}
}

func TestBarOnATerminalWithNothingToOpenWritesOneLine(t *testing.T) {
	var out bytes.Buffer
	p := listimport.Progress{ID: "imp-1", Status: listimport.Done, RowsRead: 2, Rejected: 2}
	bar := listimport.NewBarFor(&out, p, true, time.Now)
	bar.Update(p)
	bar.Finish()
	if want := "import imp-1: 0/0 cases (opened 0, already open 0, failed 0)\n"; out.String() != want {
		t.Fatalf("wrote %q, want %q", out.String(), want)
	}
}
