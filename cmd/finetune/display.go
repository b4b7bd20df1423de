package main

import (
	"path/filepath"

	"github.com/distilgo/distilgo/internal/lossplot"
	"github.com/distilgo/distilgo/internal/progress"
	"github.com/distilgo/distilgo/trainer"
)

// display is the trainer.Observer of a training run: the status line and
// messages on p, and the loss plot in the output directory out, redrawn
// with every checkpoint and at the end.
type display struct {
	p   *progress.Progress
	out string
}

func (d display) Printf(format string, args ...any) { d.p.Printf(format, args...) }

func (d display) Stepped(s trainer.Status) { d.p.Update(progress.Status(s), false) }

func (d display) Evaluating(n int) func(done, tokens int) { return d.p.EvalReporter(n) }

func (d display) Saved(_ string, history []trainer.Record) {
	if err := lossplot.Write(filepath.Join(d.out, lossplot.FileName), history); err != nil {
		d.p.Printf("warning: %v", err)
	}
}

func (d display) Done() { d.p.Done() }
