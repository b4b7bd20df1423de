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
	"github.com/distilgo/distilgo/distributed"
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
	// WarmupSteps of linear warmup before the linear decay to 0; when 0,
	// WarmupRatio of the total steps (rounded up), as transformers'
	// warmup_ratio.
	WarmupSteps int
	WarmupRatio float64
	// LRScheduler is the learning-rate schedule, a transformers
	// lr_scheduler_type (Schedulers); "" is linear.
	LRScheduler string
	// MaxGradNorm clips the global gradient norm; <= 0 disables clipping.
	MaxGradNorm float64
	// Seed determines the data order, masks and dropout.
	Seed uint64
	// MLMProbability and WholeWord describe the collator; they are recorded
	// in checkpoints so that a resume with other masking is refused.
	MLMProbability float64
	WholeWord      bool
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

// DefaultArgs returns the arguments of the Hugging Face course: 3 epochs,
// learning rate 2e-5, weight decay 0.01, batch size 64, seed 42, no warmup,
// gradient clipping at 1.0, evaluation and a checkpoint each epoch.
func DefaultArgs() Args {
	return Args{
		OutputDir: "distilbert-finetuned-imdb",
		Epochs:    3, LR: 2e-5, WeightDecay: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8,
		BatchSize: 64, GradAccum: 1, MaxGradNorm: 1.0, Seed: 42, MLMProbability: 0.15,
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
	if _, err := NewSchedule(a.LRScheduler, 0, 1); err != nil {
		return err
	}
	return nil
}

func (a Args) runArgs() RunArgs {
	return RunArgs{
		Seed: a.Seed, Epochs: a.Epochs, MaxSteps: a.MaxSteps, LR: a.LR, WeightDecay: a.WeightDecay,
		Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, BatchSize: a.BatchSize, GradAccum: a.GradAccum,
		WarmupSteps: a.WarmupSteps, MaxGradNorm: a.MaxGradNorm, MLMProbability: a.MLMProbability, WholeWord: a.WholeWord,
		WarmupRatio: a.WarmupRatio, LRScheduler: canonicalScheduler(a.LRScheduler),
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
	// CheckpointFiles are written into every checkpoint directory besides
	// the model (the tokenizer files, so that a checkpoint loads alone).
	CheckpointFiles map[string][]byte
	// OnSave, if not nil, is called after each checkpoint is saved (and
	// older ones pruned) with the checkpoint's directory, the step and the
	// log history so far (valid only during the call). It runs on the
	// training goroutine and must return quickly: cmd/finetune hands its
	// push to the Hub to a background goroutine. Only rank 0 saves.
	OnSave func(checkpoint string, step int, history []Record)
	// Comm, if not nil, makes the run one rank of a data-parallel job
	// (see ddp.go): every rank runs Run with the same arguments and data.
	Comm distributed.Comm
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
	comm := t.comm()
	rank0 := comm.Rank() == 0
	if rank0 {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := removeStale(out); err != nil {
			return nil, fmt.Errorf("train: clean %s: %w", out, err)
		}
	}
	if err := comm.Barrier(); err != nil { // the others read out after rank 0 cleaned it
		return nil, fmt.Errorf("train: %w", err)
	}

	// k counts the micro-batches of a step over all ranks (see ddp.go).
	B, k := a.BatchSize, a.GradAccum*comm.Size()
	nMicro := (n + B - 1) / B
	perEpoch := (nMicro + k - 1) / k
	total := a.Epochs * perEpoch
	if a.MaxSteps > 0 {
		total = a.MaxSteps
	}
	epochs := (total + perEpoch - 1) / perEpoch
	sched, err := a.schedule(total)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt := NewAdamW(t.Model.Params, AdamWConfig{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay})
	st := &State{Format: StateFormat, StepsPerEpoch: perEpoch, TotalSteps: total, Args: a.runArgs(), Data: identifyData(t.Train, t.EvalBatches)}
	st.Args.GradAccum = k

	sum := &Summary{}
	if a.Resume {
		dir, skipped, err := a.resumeCheckpoint(out)
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
	if err := syncStart(comm, t.Model, opt, st); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	var logf *logFile
	if rank0 {
		var err error
		if logf, err = openLog(filepath.Join(out, LogFileName), st.LogHistory); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		defer logf.close()
	}
	record := func(r Record) error {
		st.LogHistory = append(st.LogHistory, r)
		if logf == nil {
			return nil
		}
		return logf.append(r)
	}

	start := time.Now()
	baseElapsed := st.ElapsedSec
	elapsed := func() float64 { return baseElapsed + time.Since(start).Seconds() }
	fepoch := func() float64 { return float64(st.GlobalStep) / float64(perEpoch) }

	// evaluate runs an evaluation that stops early (with ctx's error) when
	// ctx is cancelled (one process only: ranks evaluate in step).
	evaluate := func(ctx context.Context) (EvalResult, error) {
		r, err := t.evaluateShowing(ctx, comm, p)
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
		if !rank0 {
			lastSaved = st.GlobalStep
			return nil
		}
		st.ElapsedSec = elapsed()
		dir, err := SaveCheckpoint(out, t.Model, opt, st)
		if err != nil {
			return err
		}
		lastSaved = st.GlobalStep
		if err := t.writeCheckpointFiles(dir); err != nil {
			return err
		}
		if err := pruneCheckpoints(out, a.KeepCheckpoints, st.GlobalStep); err != nil {
			p.Printf("warning: %v", err)
		}
		if err := WritePlot(filepath.Join(out, PlotFileName), st.LogHistory); err != nil {
			p.Printf("warning: %v", err)
		}
		p.Printf("Saved %s", dir)
		if t.OnSave != nil {
			t.OnSave(dir, st.GlobalStep, st.LogHistory)
		}
		return nil
	}
	if sum.ResumedFrom != "" {
		lastSaved = st.GlobalStep
	}

	if st.GlobalStep == 0 && len(st.LogHistory) == 0 && !a.SkipInitialEval {
		p.Printf("Evaluating before training (%d batches)", len(t.EvalBatches))
		r, err := evaluate(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			// Interrupted: the loop below stops at once, before a step.
		case err != nil:
			return nil, fmt.Errorf("train: evaluation before training: %w", err)
		default:
			sum.Final = r
			p.Printf("Before training: eval loss %.4f, perplexity %.2f (%d masked tokens)", r.Loss, r.Perplexity, r.Tokens)
		}
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
		if err := stopRequested(ctx, comm); err != nil {
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
		mine := shardMicro(m0, m1, comm.Rank(), comm.Size())
		for i, j := range mine {
			t.Collator.Collate(&batches[i], t.Train, order[j*B:min((j+1)*B, n)], a.Seed, st.Epoch, j)
		}
		t.Model.Train(true)
		step := st.GlobalStep
		lr := a.LR * sched.Factor(step)
		seed := func(i int) uint64 { return DropoutSeed(a.Seed, step, mine[i]-m0) }
		var (
			res StepResult
			err error
		)
		if comm.Size() == 1 {
			res, err = TrainStep(t.Model, tp, opt, lr, a.MaxGradNorm, batches[:len(mine)], seed)
		} else {
			res, err = DataParallelStep(comm, t.Model, tp, opt, lr, a.MaxGradNorm, batches[:len(mine)], seed)
		}
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
		if a.evalAt(st.GlobalStep, total, epochEnd) {
			// Not interruptible: the step's bookkeeping follows, and the
			// interrupt is taken at the next step.
			r, err := evaluate(context.Background())
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
		if a.saveAt(st.GlobalStep, epochEnd) {
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
	if rank0 {
		if err := t.Model.SaveDir(out); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := WritePlot(filepath.Join(out, PlotFileName), st.LogHistory); err != nil {
			p.Printf("warning: %v", err)
		}
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
	labels, tokens = countTokens(batches)
	sum, err := backwardSum(m, tp, batches, seed, labels, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	if labels > 0 {
		loss = sum / float64(labels)
	}
	return loss, labels, tokens, nil
}

// countTokens returns the number of labelled tokens of batches and the
// number of input tokens (attention mask 1).
func countTokens(batches []dataset.Batch) (labels, tokens int) {
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
	return labels, tokens
}

// backwardSum zeroes the gradients, then runs the forward and backward pass
// of every micro-batch, back-propagating its summed token loss divided by
// labels (the labelled tokens of the whole step, which a data-parallel step
// counts over all ranks). It returns the sum of the micro-batches' summed
// losses. beforeLast, if not nil, is called before the last micro-batch
// (whose backward pass completes the gradients).
func backwardSum(m *distilbert.ForMaskedLM, tp *tensor.Tape, batches []dataset.Batch, seed func(j int) uint64, labels int, beforeLast func()) (float64, error) {
	m.Params.ZeroGrad()
	sum := 0.0
	for j := range batches {
		b := &batches[j]
		if j == len(batches)-1 && beforeLast != nil {
			beforeLast()
		}
		tp.Reset()
		tp.Seed(seed(j))
		l, n, err := m.LossSum(tp, distilbert.Input{B: b.B, T: b.T, InputIDs: b.InputIDs, AttentionMask: b.AttentionMask}, b.Labels)
		if err != nil {
			tp.Reset()
			return 0, fmt.Errorf("micro-batch %d: %w", j, err)
		}
		sum += float64(l.Item())
		if n > 0 {
			tp.Backward(tp.Scale(l, float32(1/float64(labels))))
		}
	}
	tp.Reset()
	return sum, nil
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
