package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tensor"
)

// Args are the training arguments, as the course's TrainingArguments.
type Args struct {
	// OutputDir receives the checkpoints, log.jsonl, loss.png and the final
	// model.
	OutputDir string
	// Epochs is the number of passes over the training chunks; MaxSteps > 0
	// instead fixes the number of optimizer steps (the schedule then spans
	// MaxSteps).
	Epochs, MaxSteps int
	// LR is the peak learning rate; WeightDecay, Beta1, Beta2 and Eps are
	// AdamW's.
	LR, WeightDecay, Beta1, Beta2, Eps float64
	// BatchSize is the number of chunks per micro-batch (B); GradAccum the
	// number of micro-batches per optimizer step.
	BatchSize, GradAccum int
	// WarmupSteps of linear warmup before the linear decay to 0.
	WarmupSteps int
	// MaxGradNorm clips the global gradient norm; <= 0 disables clipping.
	MaxGradNorm float64
	// Seed determines the data order, masks and dropout.
	Seed uint64
	// MLMProbability and WholeWord describe the collator; they are recorded
	// in checkpoints so that a resume with other masking is refused.
	MLMProbability float64
	WholeWord      bool
	// EvalEvery evaluates every so many steps; 0 evaluates at each epoch
	// end. The last step is always evaluated.
	EvalEvery int
	// SaveEvery checkpoints every so many steps besides each epoch end;
	// 0 only at epoch ends. KeepCheckpoints is how many to keep (0 = all).
	SaveEvery, KeepCheckpoints int
	// LogEvery writes a train record every so many steps (0: none, only
	// epoch records).
	LogEvery int
	// Resume continues from the newest valid checkpoint in OutputDir.
	Resume bool
}

// DefaultArgs returns the arguments of the Hugging Face course: 3 epochs,
// learning rate 2e-5, weight decay 0.01, batch size 64, seed 42, no warmup,
// gradient clipping at 1.0, evaluation each epoch.
func DefaultArgs() Args {
	return Args{
		OutputDir: "distilbert-finetuned-imdb",
		Epochs:    3, LR: 2e-5, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		BatchSize: 64, GradAccum: 1, MaxGradNorm: 1.0, Seed: 42, MLMProbability: 0.15,
		SaveEvery: 500, KeepCheckpoints: 2, LogEvery: 10,
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
	case a.WarmupSteps < 0, a.EvalEvery < 0, a.SaveEvery < 0, a.LogEvery < 0, a.KeepCheckpoints < 0, a.MaxSteps < 0:
		return errors.New("step counts (warmup, eval, save, log, keep, max steps) must be >= 0")
	}
	return nil
}

func (a Args) runArgs() RunArgs {
	return RunArgs{
		Seed: a.Seed, Epochs: a.Epochs, MaxSteps: a.MaxSteps, LR: a.LR, WeightDecay: a.WeightDecay,
		Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, BatchSize: a.BatchSize, GradAccum: a.GradAccum,
		WarmupSteps: a.WarmupSteps, MaxGradNorm: a.MaxGradNorm, MLMProbability: a.MLMProbability, WholeWord: a.WholeWord,
	}
}

// Trainer trains a model on chunks of tokens with masked language modelling.
type Trainer struct {
	Model *distilbert.ForMaskedLM
	// Train holds the training chunks; Collator masks them.
	Train    *dataset.Chunks
	Collator *dataset.Collator
	// EvalBatches are the fixed-masked evaluation batches
	// (dataset.FixedMasked).
	EvalBatches []dataset.Batch
	Args        Args
	// Progress receives the status line and messages; nil prints nothing.
	Progress *Progress
	// OnStep, if not nil, is called after each optimizer step with the
	// number of steps done and the step's training loss.
	OnStep func(step int, loss float64)
}

// Summary describes a finished run.
type Summary struct {
	// Steps is the number of optimizer steps of the whole run.
	Steps int
	// ResumedFrom is the checkpoint the run continued from, if any.
	ResumedFrom string
	// Epochs has one row per epoch (the course's table).
	Epochs []EpochRow
	// Final is the last evaluation.
	Final EvalResult
	// History is every log record of the run.
	History []Record
}

// EpochRow is one line of the course's table.
type EpochRow struct {
	Epoch int
	Step  int
	// TrainLoss is the epoch's mean training loss (NaN if no step of the
	// epoch had a masked token).
	TrainLoss float64
	// HasEval reports whether an evaluation ran at the epoch's last step.
	HasEval              bool
	EvalLoss, Perplexity float64
}

// ErrInterrupted is returned (wrapped) when the context is cancelled; the
// trainer saves a checkpoint first.
var ErrInterrupted = errors.New("training interrupted")

// Run trains until the last step, evaluating, logging and checkpointing as
// Args says, then writes the final model (config.json, model.safetensors),
// log.jsonl and loss.png into OutputDir. A NaN or infinite loss or gradient
// norm stops the run with an error naming the step; the checkpoints already
// written stay as they are. Cancelling ctx stops after the current step
// with a checkpoint.
func (t *Trainer) Run(ctx context.Context) (*Summary, error) {
	a := t.Args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	p := t.Progress
	if p == nil {
		p = NewProgress(nil)
	}
	n := t.Train.Len()
	if n == 0 {
		return nil, errors.New("train: no training chunks")
	}
	if len(t.EvalBatches) == 0 {
		return nil, errors.New("train: no evaluation batches")
	}
	out := a.OutputDir
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := removeStale(out); err != nil {
		return nil, fmt.Errorf("train: clean %s: %w", out, err)
	}

	B, k := a.BatchSize, a.GradAccum
	nMicro := (n + B - 1) / B
	perEpoch := (nMicro + k - 1) / k
	total := a.Epochs * perEpoch
	if a.MaxSteps > 0 {
		total = a.MaxSteps
	}
	epochs := (total + perEpoch - 1) / perEpoch
	sched := LinearSchedule{Warmup: a.WarmupSteps, Total: total}
	opt := NewAdamW(t.Model.Params, AdamWConfig{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay})
	st := &State{Format: StateFormat, StepsPerEpoch: perEpoch, TotalSteps: total, Args: a.runArgs(), Data: identifyData(t.Train, t.EvalBatches)}

	sum := &Summary{}
	if a.Resume {
		dir, skipped, err := LatestCheckpoint(out)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		for _, e := range skipped {
			p.Printf("warning: ignoring invalid checkpoint: %v", e)
		}
		if dir == "" {
			return nil, fmt.Errorf("resume: no valid checkpoint in %s: nothing to resume; pass --overwrite instead of --resume to start the run again", out)
		}
		if st, err = t.restore(dir, opt, st); err != nil {
			return nil, fmt.Errorf("resume from %s: %w", dir, err)
		}
		sum.ResumedFrom = dir
		if st.GlobalStep >= total {
			p.Printf("Resuming from %s: the run is already finished (step %d of %d, epoch %d of %d); nothing to train", dir, st.GlobalStep, total, epochs, epochs)
		} else {
			p.Printf("Resuming from %s (step %d of %d, epoch %d)", dir, st.GlobalStep, total, st.Epoch+1)
		}
	}

	logf, err := openLog(filepath.Join(out, LogFileName), st.LogHistory)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer logf.close()
	record := func(r Record) error {
		st.LogHistory = append(st.LogHistory, r)
		return logf.append(r)
	}

	start := time.Now()
	baseElapsed := st.ElapsedSec
	elapsed := func() float64 { return baseElapsed + time.Since(start).Seconds() }
	fepoch := func() float64 { return float64(st.GlobalStep) / float64(perEpoch) }

	evaluate := func() (EvalResult, error) {
		r, err := Evaluate(t.Model, t.EvalBatches)
		if err != nil {
			return r, err
		}
		err = record(Record{Kind: KindEval, Step: st.GlobalStep, Epoch: fepoch(),
			EvalLoss: fptr(r.Loss), EvalTokenLoss: fptr(r.TokenLoss), Perplexity: fptr(r.Perplexity), EvalTokens: r.Tokens,
			ElapsedSec: elapsed()})
		return r, err
	}
	lastSaved := -1
	save := func() error {
		st.ElapsedSec = elapsed()
		dir, err := SaveCheckpoint(out, t.Model, opt, st)
		if err != nil {
			return err
		}
		lastSaved = st.GlobalStep
		if err := pruneCheckpoints(out, a.KeepCheckpoints, st.GlobalStep); err != nil {
			p.Printf("warning: %v", err)
		}
		if err := WritePlot(filepath.Join(out, PlotFileName), st.LogHistory); err != nil {
			p.Printf("warning: %v", err)
		}
		p.Printf("Saved %s", dir)
		return nil
	}
	if sum.ResumedFrom != "" {
		lastSaved = st.GlobalStep
	}

	if st.GlobalStep == 0 && len(st.LogHistory) == 0 {
		r, err := evaluate()
		if err != nil {
			return nil, fmt.Errorf("train: evaluation before training: %w", err)
		}
		sum.Final = r
		p.Printf("Before training: eval loss %.4f, perplexity %.2f (%d masked tokens)", r.Loss, r.Perplexity, r.Tokens)
	}

	tp := tensor.NewTape()
	batches := make([]dataset.Batch, k)
	var order []int
	orderEpoch := -1
	sessionSteps := 0
	sessionStart := time.Now()
	winStart, winTokens := time.Now(), 0
	lastEval := -1
	for _, r := range st.LogHistory {
		if r.Kind == KindEval {
			lastEval = r.Step
		}
	}

	for st.GlobalStep < total {
		if err := ctx.Err(); err != nil {
			if lastSaved != st.GlobalStep {
				if serr := save(); serr != nil {
					return nil, fmt.Errorf("%w at step %d: %v; saving failed: %v", ErrInterrupted, st.GlobalStep, err, serr)
				}
			}
			p.Done()
			return nil, fmt.Errorf("%w at step %d (%v); continue with --resume", ErrInterrupted, st.GlobalStep, err)
		}
		if orderEpoch != st.Epoch {
			order, orderEpoch = EpochOrder(a.Seed, st.Epoch, n), st.Epoch
		}
		m0 := st.EpochStep * k
		m1 := min(m0+k, nMicro)
		for j := m0; j < m1; j++ {
			t.Collator.Collate(&batches[j-m0], t.Train, order[j*B:min((j+1)*B, n)], a.Seed, st.Epoch, j)
		}
		t.Model.Train(true)
		step := st.GlobalStep
		lr := sched.LR(a.LR, step)
		res, err := TrainStep(t.Model, tp, opt, lr, a.MaxGradNorm, batches[:m1-m0], func(j int) uint64 { return DropoutSeed(a.Seed, step, j) })
		if err != nil {
			return nil, t.stepError(step+1, err, lastSaved)
		}
		stepLoss, gradNorm, tokens := res.Loss, res.GradNorm, res.Tokens
		st.GlobalStep++
		st.EpochStep++
		if res.Labels > 0 { // a step without masked tokens says nothing about the loss
			st.EpochLossSum += stepLoss
			st.EpochLossSteps++
			st.LogLossSum += stepLoss
			st.LogLossSteps++
		}
		st.TokensSeen += int64(tokens)
		sessionSteps++
		winTokens += tokens
		if t.OnStep != nil {
			t.OnStep(st.GlobalStep, stepLoss)
		}

		stepsPerSec := float64(sessionSteps) / time.Since(sessionStart).Seconds()
		eta := time.Duration(-1)
		if stepsPerSec > 0 {
			eta = time.Duration(float64(total-st.GlobalStep) / stepsPerSec * float64(time.Second))
		}
		tokPerSec := float64(winTokens) / time.Since(winStart).Seconds()
		p.Update(Status{Step: st.GlobalStep, Total: total, Epoch: fepoch(), Epochs: epochs, Loss: stepLoss, LR: lr, TokensPerSec: tokPerSec, ETA: eta}, false)

		if a.LogEvery > 0 && st.GlobalStep%a.LogEvery == 0 {
			r := Record{Kind: KindTrain, Step: st.GlobalStep, Epoch: fepoch(), Loss: meanOf(st.LogLossSum, st.LogLossSteps),
				LearningRate: fptr(lr), GradNorm: fptr(gradNorm), TokensPerSec: fptr(tokPerSec), ElapsedSec: elapsed()}
			if err := record(r); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			st.LogLossSum, st.LogLossSteps = 0, 0
			winStart, winTokens = time.Now(), 0
		}
		epochEnd := st.EpochStep == perEpoch || st.GlobalStep == total
		if epochEnd {
			if err := record(Record{Kind: KindEpoch, Step: st.GlobalStep, Epoch: fepoch(), Loss: meanOf(st.EpochLossSum, st.EpochLossSteps), ElapsedSec: elapsed()}); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
		}
		if (a.EvalEvery > 0 && st.GlobalStep%a.EvalEvery == 0) || (a.EvalEvery == 0 && epochEnd) || st.GlobalStep == total {
			r, err := evaluate()
			if err != nil {
				return nil, fmt.Errorf("train: evaluation at step %d: %w", st.GlobalStep, err)
			}
			sum.Final, lastEval = r, st.GlobalStep
			if !epochEnd {
				p.Printf("step %d/%d: eval loss %.4f, perplexity %.2f", st.GlobalStep, total, r.Loss, r.Perplexity)
			}
		}
		if epochEnd {
			line := fmt.Sprintf("epoch %d/%d (step %d/%d)", st.Epoch+1, epochs, st.GlobalStep, total)
			if st.EpochLossSteps > 0 {
				line += fmt.Sprintf(": training loss %.4f", st.EpochLossSum/float64(st.EpochLossSteps))
			}
			if lastEval == st.GlobalStep {
				line += fmt.Sprintf(", validation loss %.4f, perplexity %.2f", sum.Final.Loss, sum.Final.Perplexity)
			}
			p.Printf("%s", line)
			st.Epoch++
			st.EpochStep, st.EpochLossSum, st.EpochLossSteps = 0, 0, 0
		}
		if epochEnd || (a.SaveEvery > 0 && st.GlobalStep%a.SaveEvery == 0) {
			if err := save(); err != nil {
				return nil, fmt.Errorf("train: step %d: %w", st.GlobalStep, err)
			}
		}
	}
	p.Done()

	if sum.Final.Batches == 0 {
		// Resumed at the end of a finished run: report its last evaluation.
		for _, r := range st.LogHistory {
			if r.Kind == KindEval && r.EvalLoss != nil && r.EvalTokenLoss != nil && r.Perplexity != nil {
				sum.Final = EvalResult{Loss: float64(*r.EvalLoss), TokenLoss: float64(*r.EvalTokenLoss), Perplexity: float64(*r.Perplexity), Tokens: r.EvalTokens}
			}
		}
	}
	if err := t.Model.SaveDir(out); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := WritePlot(filepath.Join(out, PlotFileName), st.LogHistory); err != nil {
		p.Printf("warning: %v", err)
	}
	sum.Steps = st.GlobalStep
	sum.History = st.LogHistory
	sum.Epochs = EpochTable(st.LogHistory)
	return sum, nil
}

// AccumulateGradients zeroes the model's gradients, then runs the forward
// and backward pass of every micro-batch, back-propagating each one's summed
// token loss divided by the number of labelled tokens of all of them, so
// that the gradients equal those of one batch holding them all. seed(j) is
// the dropout seed of micro-batch j; the caller sets training or evaluation
// mode. It returns the mean loss over the labelled tokens (0 without any),
// their number, and the number of input tokens (attention mask 1).
func AccumulateGradients(m *distilbert.ForMaskedLM, tp *tensor.Tape, batches []dataset.Batch, seed func(j int) uint64) (loss float64, labels, tokens int, err error) {
	for _, b := range batches {
		for i, l := range b.Labels {
			if l != tensor.IgnoreIndex {
				labels++
			}
			if b.AttentionMask == nil || b.AttentionMask[i] != 0 {
				tokens++
			}
		}
	}
	m.Params.ZeroGrad()
	sum := 0.0
	for j := range batches {
		b := &batches[j]
		tp.Reset()
		tp.Seed(seed(j))
		l, n, err := m.LossSum(tp, distilbert.Input{B: b.B, T: b.T, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask}, b.Labels)
		if err != nil {
			tp.Reset()
			return 0, 0, 0, fmt.Errorf("micro-batch %d: %w", j, err)
		}
		sum += float64(l.Item())
		if n > 0 {
			tp.Backward(tp.Scale(l, float32(1/float64(labels))))
		}
	}
	tp.Reset()
	if labels > 0 {
		loss = sum / float64(labels)
	}
	return loss, labels, tokens, nil
}

// meanOf returns sum/n, or nil (no value) when n is 0.
func meanOf(sum float64, n int) *Float {
	if n == 0 {
		return nil
	}
	return fptr(sum / float64(n))
}

// stepError reports a failed step (1-based number step); for a
// divergence it names the last good checkpoint.
func (t *Trainer) stepError(step int, err error, lastSaved int) error {
	if !errors.Is(err, ErrNonFinite) {
		return fmt.Errorf("train: step %d: %w", step, err)
	}
	keep := "no checkpoint was written yet"
	if lastSaved >= 0 {
		keep = fmt.Sprintf("the last good checkpoint is %s", CheckpointDir(t.Args.OutputDir, lastSaved))
	}
	return fmt.Errorf("train: step %d: %w; stopping (%s)", step, err, keep)
}

// ErrNonFinite is wrapped by the error of a step whose loss or gradient
// norm is NaN or infinite.
var ErrNonFinite = errors.New("not finite")

// StepResult describes one optimizer step.
type StepResult struct {
	// Loss is the mean loss over the step's labelled tokens.
	Loss float64
	// Labels and Tokens count the labelled and the input tokens.
	Labels, Tokens int
	// GradNorm is the global gradient norm before clipping.
	GradNorm float64
}

// TrainStep runs one optimizer step as Trainer does: AccumulateGradients
// over the micro-batches, global gradient-norm clipping at maxGradNorm
// (<= 0: none), then AdamW with learning rate lr. A NaN or infinite loss or
// gradient norm returns an error wrapping ErrNonFinite before the
// parameters change. The caller sets training or evaluation mode.
func TrainStep(m *distilbert.ForMaskedLM, tp *tensor.Tape, opt *AdamW, lr, maxGradNorm float64, batches []dataset.Batch, seed func(j int) uint64) (StepResult, error) {
	loss, labels, tokens, err := AccumulateGradients(m, tp, batches, seed)
	if err != nil {
		return StepResult{}, err
	}
	r := StepResult{Loss: loss, Labels: labels, Tokens: tokens}
	if !finite(loss) {
		return r, fmt.Errorf("training loss is %v: %w", loss, ErrNonFinite)
	}
	r.GradNorm = ClipGradNorm(m.Params.Grad, maxGradNorm)
	if !finite(r.GradNorm) {
		return r, fmt.Errorf("gradient norm is %v: %w", r.GradNorm, ErrNonFinite)
	}
	opt.Step(lr)
	return r, nil
}

// restore loads the checkpoint in dir into the trainer's model and opt,
// after checking that it belongs to the run described by now, and returns
// its State.
func (t *Trainer) restore(dir string, opt *AdamW, now *State) (*State, error) {
	c, err := LoadCheckpoint(dir)
	if err != nil {
		return nil, err
	}
	if err := sameArchitecture(c.Model.Config, t.Model.Config); err != nil {
		return nil, err
	}
	if len(c.Model.Params.Data) != len(t.Model.Params.Data) {
		return nil, fmt.Errorf("checkpoint has %d parameters, the model %d", len(c.Model.Params.Data), len(t.Model.Params.Data))
	}
	if d := c.State.Args.diff(now.Args); d != "" {
		return nil, fmt.Errorf("training arguments differ from the checkpoint's (%s)", d)
	}
	if c.State.Data != now.Data {
		return nil, fmt.Errorf("training or evaluation data differ from the checkpoint's (checkpoint %+v, now %+v)", c.State.Data, now.Data)
	}
	if c.State.StepsPerEpoch != now.StepsPerEpoch || c.State.TotalSteps != now.TotalSteps {
		return nil, fmt.Errorf("schedule differs from the checkpoint's (%d steps of %d per epoch, now %d of %d)", c.State.TotalSteps, c.State.StepsPerEpoch, now.TotalSteps, now.StepsPerEpoch)
	}
	if c.State.Epoch*c.State.StepsPerEpoch+c.State.EpochStep != c.State.GlobalStep {
		return nil, fmt.Errorf("inconsistent data position: epoch %d step %d at global step %d", c.State.Epoch, c.State.EpochStep, c.State.GlobalStep)
	}
	if err := opt.Restore(c.M, c.V, c.State.GlobalStep); err != nil {
		return nil, err
	}
	copy(t.Model.Params.Data, c.Model.Params.Data)
	return &c.State, nil
}

// EpochTable builds the course's per-epoch table from log records.
func EpochTable(history []Record) []EpochRow {
	var rows []EpochRow
	for _, r := range history {
		if r.Kind != KindEpoch {
			continue
		}
		row := EpochRow{Epoch: len(rows) + 1, Step: r.Step, TrainLoss: math.NaN()}
		if r.Loss != nil {
			row.TrainLoss = float64(*r.Loss)
		}
		for _, e := range history {
			if e.Kind == KindEval && e.Step == r.Step && e.EvalLoss != nil && e.Perplexity != nil {
				row.HasEval, row.EvalLoss, row.Perplexity = true, float64(*e.EvalLoss), float64(*e.Perplexity)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// FormatEpochTable renders rows as the course's table:
// Epoch | Training Loss | Validation Loss | Perplexity.
func FormatEpochTable(rows []EpochRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s | %-13s | %-15s | %s\n", "Epoch", "Training Loss", "Validation Loss", "Perplexity")
	for _, r := range rows {
		ev, ppl := "-", "-"
		if r.HasEval {
			ev, ppl = fmt.Sprintf("%.6f", r.EvalLoss), fmt.Sprintf("%.2f", r.Perplexity)
		}
		fmt.Fprintf(&b, "%-5d | %-13.6f | %-15s | %s\n", r.Epoch, r.TrainLoss, ev, ppl)
	}
	return b.String()
}
