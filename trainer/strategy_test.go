package trainer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Which steps of a 3-epoch run of 4 steps per epoch evaluate and
// checkpoint, per strategy.
func TestStrategies(t *testing.T) {
	const perEpoch, total = 4, 12
	steps := func(f func(step int, epochEnd bool) bool) []int {
		var s []int
		for step := 1; step <= total; step++ {
			if f(step, step%perEpoch == 0) {
				s = append(s, step)
			}
		}
		return s
	}
	tests := []struct {
		name       string
		a          Args
		eval, save []int
	}{
		{"defaults (epoch)", DefaultArgs(), []int{4, 8, 12}, []int{4, 8, 12}},
		{"legacy eval every 3", Args{EvalEvery: 3, SaveEvery: 5}, []int{3, 6, 9, 12}, []int{4, 5, 8, 10, 12}},
		{"steps", Args{EvalStrategy: StrategySteps, EvalEvery: 5, SaveStrategy: StrategySteps, SaveEvery: 5}, []int{5, 10, 12}, []int{5, 10}},
		{"epoch ignores eval every", Args{EvalStrategy: StrategyEpoch, EvalEvery: 5, SaveStrategy: StrategyEpoch}, []int{4, 8, 12}, []int{4, 8, 12}},
		{"no", Args{EvalStrategy: StrategyNo, SaveStrategy: StrategyNo, SaveEvery: 2}, []int{12}, nil},
	}
	for _, tc := range tests {
		eval := steps(func(s int, e bool) bool { return tc.a.evalAt(s, total, e) })
		save := steps(tc.a.saveAt)
		if d := cmp.Diff(tc.eval, eval); d != "" {
			t.Errorf("%s: evaluations (-want +got):\n%s", tc.name, d)
		}
		if d := cmp.Diff(tc.save, save); d != "" {
			t.Errorf("%s: checkpoints (-want +got):\n%s", tc.name, d)
		}
	}
}

func TestArgsValidateStrategies(t *testing.T) {
	tests := []struct {
		edit func(*Args)
		want string
	}{
		{func(a *Args) { a.EvalStrategy = "sometimes" }, `evaluation strategy "sometimes"`},
		{func(a *Args) { a.SaveStrategy = "best" }, `save strategy "best"`},
		{func(a *Args) { a.EvalStrategy = StrategySteps }, "evaluation strategy steps needs"},
		{func(a *Args) { a.SaveStrategy, a.SaveEvery = StrategySteps, 0 }, "save strategy steps needs"},
		{func(a *Args) { a.LRScheduler = "polynomial" }, `scheduler "polynomial"`},
		{func(a *Args) { a.WarmupRatio = 1.5 }, "warmup ratio"},
	}
	for _, tc := range tests {
		a := DefaultArgs()
		tc.edit(&a)
		if err := a.validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("validate: %v, want %q", err, tc.want)
		}
	}
}

// SkipInitialEval leaves out the evaluation at step 0; CheckpointFiles land
// in every checkpoint; the evaluation shows a progress line; ResumeFrom
// picks a given checkpoint rather than the newest.
func TestRunOptions(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0)
	tr.Args.SkipInitialEval = true
	tr.Args.SaveEvery = 3
	// A vocab.txt of the tiny model's size: loading a checkpoint checks it
	// against config.json's vocab_size.
	var vocab strings.Builder
	for i := range tr.Model.Config.VocabSize {
		fmt.Fprintf(&vocab, "[unused%d]\n", i)
	}
	tr.CheckpointFiles = map[string][]byte{"vocab.txt": []byte(vocab.String())}
	obs := &recorder{}
	tr.Observer = obs
	sum, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := sum.History[0]; r.Kind == KindEval && r.Step == 0 {
		t.Errorf("first record %+v: an evaluation before training", r)
	}
	out := strings.Join(obs.lines, "\n")
	if !strings.Contains(out, "eval batch 1/3") || !strings.Contains(out, "eval batch 3/3") {
		t.Errorf("no evaluation progress in:\n%s", out)
	}
	ckpts, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*"))
	if len(ckpts) == 0 {
		t.Fatal("no checkpoint")
	}
	for _, c := range ckpts {
		if data, err := os.ReadFile(filepath.Join(c, "vocab.txt")); err != nil || string(data) != vocab.String() {
			t.Errorf("%s: vocab.txt %q, %v", c, data, err)
		}
		if _, err := validateCheckpoint(c); err != nil {
			t.Errorf("%s with an extra file: %v", c, err)
		}
	}

	// Resume from the step-3 checkpoint (not the newest, step 20) into a
	// new directory: the run continues from step 3.
	slices.Sort(ckpts)
	from := checkpointDir(dir, 3)
	if !slices.Contains(ckpts, from) {
		t.Fatalf("checkpoints %v lack %s", ckpts, from)
	}
	again := newTinyTrainer(t, t.TempDir(), 0)
	again.Args.SkipInitialEval, again.Args.SaveEvery = true, 3
	again.Args.Resume, again.Args.ResumeFrom = true, from
	sum2, err := again.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum2.ResumedFrom != from || sum2.Final.Loss != sum.Final.Loss {
		t.Errorf("resumed from %s with final loss %v; want %s and %v", sum2.ResumedFrom, sum2.Final.Loss, from, sum.Final.Loss)
	}
	again.Args.ResumeFrom = filepath.Join(dir, "checkpoint-999")
	if _, err := again.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "checkpoint-999") {
		t.Errorf("resume from a missing checkpoint: %v", err)
	}
}

// An interrupt during the evaluation before training stops it between
// batches (it can take minutes) and the run at step 0, resumable.
func TestInterruptInitialEvaluation(t *testing.T) {
	dir := t.TempDir()
	tr := newTinyTrainer(t, dir, 0)
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	tr.OnStep = func(int, float64) { t.Error("a step ran after the interrupt") }
	// Cancel once the first evaluation batch is done.
	r, err := EvaluateProgress(ctx, tr.Model, tr.EvalBatches, func(done, _ int) {
		batches = done
		cancel()
	})
	if err == nil || batches != 1 || r.Batches != 0 {
		t.Errorf("EvaluateProgress after cancel: %d batches, result %+v, err %v", batches, r, err)
	}
	_, err = tr.Run(ctx)
	if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "at step 0") {
		t.Fatalf("Run with an interrupt: %v", err)
	}
	hist, _ := ReadLog(filepath.Join(dir, LogFileName))
	if len(hist) != 0 {
		t.Errorf("log after an interrupted first evaluation: %+v", hist)
	}
	again := newTinyTrainer(t, dir, 0)
	again.Args.Resume = true
	sum, err := again.Run(context.Background())
	if err != nil || sum.History[0].Kind != KindEval || sum.History[0].Step != 0 {
		t.Errorf("resume: %v; first record %+v, want the evaluation before training", err, sum.History[0])
	}
}
