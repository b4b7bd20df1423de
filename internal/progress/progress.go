// Package progress shows a long job's progress: on a terminal a live status
// line rewritten in place, elsewhere plain lines at a limited rate, with
// message lines between them. cmd/finetune shows training and evaluation
// with it.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Progress prints a job's progress: on a terminal a live status line
// rewritten in place (at most a few times a second), elsewhere (a file, a
// pipe, CI) a plain status line at most every Interval. Messages printed
// with Printf appear as ordinary lines in both cases.
type Progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	last     time.Time
	live     bool // a live line is on screen
	now      func() time.Time
}

// New returns a Progress writing to w, live when w is a terminal.
// A nil w discards everything.
func New(w io.Writer) *Progress {
	if w == nil {
		w = io.Discard
	}
	p := &Progress{w: w, interval: 30 * time.Second, now: time.Now}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		p.tty, p.interval = true, 200*time.Millisecond
	}
	return p
}

// SetInterval sets the least time between two plain status lines (not on a
// terminal); 0 prints one per update.
func (p *Progress) SetInterval(d time.Duration) {
	if !p.tty {
		p.interval = d
	}
}

// Status is what the status line shows.
type Status struct {
	Step, Total  int
	Epoch        float64 // fractional epoch
	Epochs       int
	Loss         float64 // of the last step
	LR           float64
	TokensPerSec float64
	ETA          time.Duration // < 0 when unknown
}

// String formats the status line.
func (s Status) String() string {
	pct := 0.0
	if s.Total > 0 {
		pct = 100 * float64(s.Step) / float64(s.Total)
	}
	eta := "?"
	if s.ETA >= 0 {
		eta = formatDuration(s.ETA)
	}
	return fmt.Sprintf("step %d/%d (%.0f%%) | epoch %.2f/%d | loss %.4f | lr %.3g | %.0f tok/s | ETA %s",
		s.Step, s.Total, pct, s.Epoch, s.Epochs, s.Loss, s.LR, s.TokensPerSec, eta)
}

// Update shows s, subject to the rate limit unless force.
func (p *Progress) Update(s Status, force bool) { p.Show(s, force) }

// Show shows any status line s (training's Status, an evaluation's
// EvalStatus), subject to the rate limit unless force.
func (p *Progress) Show(s fmt.Stringer, force bool) {
	now := p.now()
	if !force && !p.last.IsZero() && now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", s)
		p.live = true
		return
	}
	fmt.Fprintln(p.w, s)
}

// Printf prints a message line (a newline is added if missing), clearing the
// live line first.
func (p *Progress) Printf(format string, args ...any) {
	p.clear()
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	io.WriteString(p.w, msg)
}

// Done removes the live line.
func (p *Progress) Done() { p.clear() }

func (p *Progress) clear() {
	if p.live {
		io.WriteString(p.w, "\r\033[K")
		p.live = false
	}
}

// formatDuration prints d as 1h02m, 3m05s or 12s.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
