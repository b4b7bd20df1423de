package trainer

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/distilgo/distilgo/tensor"
)

// Args are the training arguments, as the course's TrainingArguments.
type Args struct {
	// OutputDir receives the checkpoints, log.jsonl and the final model.
	OutputDir string
	// Trajectory holds the arguments that determine the run's numbers;
	// checkpoints record them and a resume with any of them changed is
	// refused.
	Trajectory
	// EvalStrategy is when to evaluate: StrategyEpoch (each epoch end),
	// StrategySteps (every EvalEvery steps) or StrategyNo; "" evaluates
	// every EvalEvery steps if EvalEvery > 0, else at epoch ends. The last
	// step is always evaluated.
	EvalStrategy string
	EvalEvery    int
	// SkipInitialEval skips the evaluation before the first step.
	SkipInitialEval bool
	// SaveStrategy is when to checkpoint: StrategyEpoch or "" (each epoch
	// end, plus every SaveEvery steps if SaveEvery > 0), StrategySteps
	// (every SaveEvery steps) or StrategyNo. An interrupted run always
	// checkpoints. KeepCheckpoints is how many to keep (0 = all).
	SaveStrategy               string
	SaveEvery, KeepCheckpoints int
	// LogEvery writes a train record every so many steps (0: none, only
	// epoch records).
	LogEvery int
	// Resume continues from ResumeFrom, a checkpoint directory, or when
	// that is "" from the newest valid checkpoint in OutputDir.
	Resume     bool
	ResumeFrom string
}

// Trajectory are the arguments that determine a run's trajectory (not
// where it writes, how often it logs or how many threads it uses). A
// checkpoint records them as the "args" of trainer_state.json, in this
// field order; adding a field here is all it takes for resume to compare
// it (give it omitempty so that older checkpoints, which lack it, still
// match at its zero value).
type Trajectory struct {
	// Seed determines the data order, masks and dropout.
	Seed uint64 `json:"seed"`
	// Epochs is the number of passes over the training chunks; MaxSteps > 0
	// instead fixes the number of optimizer steps (the schedule then spans
	// MaxSteps).
	Epochs   int `json:"epochs"`
	MaxSteps int `json:"max_steps"`
	// LR is the peak learning rate; WeightDecay, Beta1, Beta2 and Eps are
	// AdamW's.
	LR          float64 `json:"learning_rate"`
	WeightDecay float64 `json:"weight_decay"`
	Beta1       float64 `json:"adam_beta1"`
	Beta2       float64 `json:"adam_beta2"`
	Eps         float64 `json:"adam_epsilon"`
	// BatchSize is the number of chunks per micro-batch (B); GradAccum the
	// number of micro-batches per optimizer step (a checkpoint records it
	// times the number of data-parallel ranks).
	BatchSize int `json:"batch_size"`
	GradAccum int `json:"grad_accum"`
	// WarmupSteps of linear warmup before the decay; when 0, WarmupRatio of
	// the total steps (rounded up), as transformers' warmup_ratio.
	WarmupSteps int `json:"warmup_steps"`
	// MaxGradNorm clips the global gradient norm; <= 0 disables clipping.
	MaxGradNorm float64 `json:"max_grad_norm"`
	// MLMProbability and WholeWord describe the collator (the trainer does
	// not read them: they are recorded so that a resume with other masking
	// is refused).
	MLMProbability float64 `json:"mlm_probability"`
	WholeWord      bool    `json:"whole_word_masking"`
	WarmupRatio    float64 `json:"warmup_ratio,omitempty"`
	// LRScheduler is the learning-rate schedule, a transformers
	// lr_scheduler_type (Schedulers); "" is linear (and recorded as "").
	LRScheduler string `json:"lr_scheduler_type,omitempty"`
	// Precision is the arithmetic of the model's matrix products, "fp32"
	// or "bf16" (tensor.ParsePrecision); "" keeps the model's own
	// Precision. Run sets the model to it and records the precision used.
	// A checkpoint written before precision was recorded has "" and
	// matches either.
	Precision string `json:"precision,omitempty"`
}

// DefaultArgs returns the arguments of the Hugging Face course: 3 epochs,
// learning rate 2e-5, weight decay 0.01, batch size 64, seed 42, no warmup,
// gradient clipping at 1.0, evaluation and a checkpoint each epoch.
func DefaultArgs() Args {
	return Args{
		OutputDir: "distilbert-finetuned-imdb",
		Trajectory: Trajectory{
			Epochs: 3, LR: 2e-5, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
			BatchSize: 64, GradAccum: 1, MaxGradNorm: 1.0, Seed: 42, MLMProbability: 0.15,
		},
		SaveStrategy: StrategyEpoch, KeepCheckpoints: 2, LogEvery: 10,
	}
}

func (a Args) validate() error {
	switch {
	case a.OutputDir == "":
		return errors.New("output directory not set")
	case a.Epochs < 1 && a.MaxSteps < 1:
		return fmt.Errorf("epochs %d and max steps %d: one must be positive", a.Epochs, a.MaxSteps)
	case a.BatchSize < 1:
		return fmt.Errorf("batch size %d must be positive", a.BatchSize)
	case a.GradAccum < 1:
		return fmt.Errorf("gradient accumulation %d must be positive", a.GradAccum)
	case !(a.LR >= 0) || math.IsInf(a.LR, 0):
		return fmt.Errorf("learning rate %v must be finite and >= 0", a.LR)
	case !(a.WeightDecay >= 0):
		return fmt.Errorf("weight decay %v must be >= 0", a.WeightDecay)
	case !(a.WarmupRatio >= 0 && a.WarmupRatio <= 1):
		return fmt.Errorf("warmup ratio %v must be in [0, 1]", a.WarmupRatio)
	case a.WarmupSteps < 0, a.EvalEvery < 0, a.SaveEvery < 0, a.LogEvery < 0, a.KeepCheckpoints < 0, a.MaxSteps < 0:
		return errors.New("step counts (warmup, eval, save, log, keep, max steps) must be >= 0")
	}
	if err := checkStrategy("evaluation", a.EvalStrategy); err != nil {
		return err
	}
	if err := checkStrategy("save", a.SaveStrategy); err != nil {
		return err
	}
	if a.EvalStrategy == StrategySteps && a.EvalEvery < 1 {
		return errors.New("evaluation strategy steps needs a positive number of steps between evaluations")
	}
	if a.SaveStrategy == StrategySteps && a.SaveEvery < 1 {
		return errors.New("save strategy steps needs a positive number of steps between checkpoints")
	}
	if a.Precision != "" {
		if _, err := tensor.ParsePrecision(a.Precision); err != nil {
			return fmt.Errorf("precision: %w", err)
		}
	}
	if _, err := NewSchedule(a.LRScheduler, 0, 1); err != nil {
		return err
	}
	return nil
}

// recorded returns the trajectory as a checkpoint records it: gradient
// accumulation counted over ranks micro-batches of every rank, the linear
// schedule as "", and the precision the model runs at.
func (a Trajectory) recorded(ranks int, p tensor.Precision) Trajectory {
	a.GradAccum *= ranks
	a.LRScheduler = canonicalScheduler(a.LRScheduler)
	a.Precision = p.String()
	return a
}

// diff returns a message naming every field in which the checkpoint's
// trajectory ckpt and now differ, or "". A precision the checkpoint did not
// record matches any.
func (ckpt Trajectory) diff(now Trajectory) string {
	if ckpt.Precision == "" {
		ckpt.Precision = now.Precision
	}
	va, vb := reflect.ValueOf(ckpt), reflect.ValueOf(now)
	t := va.Type()
	var msgs []string
	for i := range t.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if !reflect.DeepEqual(x, y) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			msgs = append(msgs, fmt.Sprintf("%s: checkpoint %v, now %v", name, x, y))
		}
	}
	return strings.Join(msgs, ", ")
}
