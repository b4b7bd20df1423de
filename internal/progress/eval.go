package progress

import (
	"fmt"
	"time"
)

// EvalStatus is the status line of an evaluation in progress.
type EvalStatus struct {
	Batch, Batches int
	TokensPerSec   float64
	ETA            time.Duration // < 0 when unknown
}

// String formats the status line like training's.
func (s EvalStatus) String() string {
	pct := 0.0
	if s.Batches > 0 {
		pct = 100 * float64(s.Batch) / float64(s.Batches)
	}
	eta := "?"
	if s.ETA >= 0 {
		eta = formatDuration(s.ETA)
	}
	return fmt.Sprintf("eval batch %d/%d (%.0f%%) | %.0f tok/s | ETA %s", s.Batch, s.Batches, pct, s.TokensPerSec, eta)
}

// EvalReporter returns a callback for trainer.EvaluateProgress that shows an
// EvalStatus on p after each batch of an evaluation of n batches. The
// first batch's line is always shown (it is the first sign of life of a
// long evaluation), the others subject to p's rate limit.
func (p *Progress) EvalReporter(n int) func(done, tokens int) {
	start := time.Now()
	return func(done, tokens int) {
		el := time.Since(start)
		s := EvalStatus{Batch: done, Batches: n, ETA: -1}
		if sec := el.Seconds(); sec > 0 {
			s.TokensPerSec = float64(tokens) / sec
			s.ETA = time.Duration(float64(el) / float64(done) * float64(n-done))
		}
		p.Show(s, done == 1)
	}
}
