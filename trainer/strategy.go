package trainer

import (
	"fmt"
	"os"
	"path/filepath"
)

// Interval strategies for evaluation and checkpoints, as transformers'
// IntervalStrategy / SaveStrategy spell them.
const (
	StrategyNo    = "no"
	StrategySteps = "steps"
	StrategyEpoch = "epoch"
)

func checkStrategy(what, s string) error {
	switch s {
	case "", StrategyNo, StrategySteps, StrategyEpoch:
		return nil
	}
	return fmt.Errorf("%s strategy %q: want no, steps or epoch", what, s)
}

// evalAt reports whether the run evaluates after optimizer step step (1-based
// count of steps done). The last step is always evaluated: the run reports
// its final perplexity.
func (a Args) evalAt(step, total int, epochEnd bool) bool {
	if step == total {
		return true
	}
	switch a.EvalStrategy {
	case StrategyNo:
		return false
	case StrategySteps:
		return a.EvalEvery > 0 && step%a.EvalEvery == 0
	case StrategyEpoch:
		return epochEnd
	}
	// "": EvalEvery > 0 evaluates every so many steps, else at epoch ends.
	return (a.EvalEvery > 0 && step%a.EvalEvery == 0) || (a.EvalEvery == 0 && epochEnd)
}

// saveAt reports whether the run writes a checkpoint after step. With
// "epoch" (or ""), SaveEvery > 0 adds checkpoints every so many steps, so
// that a long epoch can still be resumed from its middle.
func (a Args) saveAt(step int, epochEnd bool) bool {
	every := a.SaveEvery > 0 && step%a.SaveEvery == 0
	switch a.SaveStrategy {
	case StrategyNo:
		return false
	case StrategySteps:
		return every
	}
	return epochEnd || every
}

// schedule returns the learning-rate schedule of a run of total steps.
func (a Args) schedule(total int) (Schedule, error) {
	return NewSchedule(a.LRScheduler, warmupSteps(a.WarmupSteps, a.WarmupRatio, total), total)
}

// resumeCheckpoint returns the checkpoint a resumed run starts from:
// Args.ResumeFrom when set, else the newest valid one in out. skipped lists
// the invalid checkpoints passed over.
func (a Args) resumeCheckpoint(out string) (dir string, skipped []error, err error) {
	if a.ResumeFrom == "" {
		return LatestCheckpoint(out)
	}
	if _, err := os.Stat(a.ResumeFrom); err != nil {
		return "", nil, fmt.Errorf("checkpoint %s: %w", a.ResumeFrom, err)
	}
	if _, err := validateCheckpoint(filepath.Clean(a.ResumeFrom)); err != nil {
		return "", nil, err
	}
	return filepath.Clean(a.ResumeFrom), nil, nil
}

// writeCheckpointFiles copies Trainer.CheckpointFiles into the checkpoint
// directory dir (after the checkpoint is complete: they are not part of its
// manifest), so that a checkpoint loads as a model with its tokenizer.
func (t *Trainer) writeCheckpointFiles(dir string) error {
	for name, data := range t.CheckpointFiles {
		if filepath.Base(name) != name {
			panic(fmt.Sprintf("trainer: CheckpointFiles name %q is not a plain file name", name))
		}
		if err := writeFileAtomic(filepath.Join(dir, name), data); err != nil {
			return fmt.Errorf("checkpoint %s: %w", dir, err)
		}
	}
	return nil
}

// canonicalScheduler records the linear schedule as "" in a checkpoint.
func canonicalScheduler(name string) string {
	if name == SchedulerLinear {
		return ""
	}
	return name
}
