package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/tensor"
)

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
	// Device runs the training and evaluation passes and the optimizer;
	// nil is CPU. Run uploads the model and optimizer state to it and
	// downloads them for every checkpoint and at the end.
	Device Device
	// Observer is shown the run's progress and messages; nil shows nothing.
	Observer Observer
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

// Observer shows a run to its user (cmd/finetune draws a status line and
// writes loss.png with one). Its methods run on the training goroutine and
// must return quickly.
type Observer interface {
	// Printf reports a message line.
	Printf(format string, args ...any)
	// Stepped reports the progress after each optimizer step.
	Stepped(Status)
	// Evaluating is called as an evaluation of n batches starts; it returns
	// the callback EvaluateProgress calls after each batch, or nil.
	Evaluating(n int) func(done, tokens int)
	// Saved is called on rank 0 after each checkpoint is saved into dir,
	// and after the final model is saved into Args.OutputDir, with the log
	// history so far (valid only during the call).
	Saved(dir string, history []Record)
	// Done is called when the loop stops, before the final messages.
	Done()
}

// Status is the state of a run after an optimizer step.
type Status struct {
	Step, Total  int
	Epoch        float64 // fractional epoch
	Epochs       int
	Loss         float64 // of the last step
	LR           float64
	TokensPerSec float64
	ETA          time.Duration // < 0 when unknown
}

// silent is the Observer of a Trainer without one.
type silent struct{}

func (silent) Printf(string, ...any)                 {}
func (silent) Stepped(Status)                        {}
func (silent) Evaluating(int) func(done, tokens int) { return nil }
func (silent) Saved(string, []Record)                {}
func (silent) Done()                                 {}

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
// Args says, then writes the final model (config.json, model.safetensors)
// and log.jsonl into OutputDir. A NaN or infinite loss or gradient norm
// stops the run with an error naming the step; the checkpoints already
// written stay as they are. Cancelling ctx stops after the current step
// with a checkpoint.
func (t *Trainer) Run(ctx context.Context) (*Summary, error) {
	r, err := t.start()
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.evaluateFirst(ctx); err != nil {
		return nil, err
	}
	for r.st.GlobalStep < r.total {
		if err := r.stopIfAsked(ctx); err != nil {
			return nil, err
		}
		res, err := r.step()
		if err != nil {
			return nil, err
		}
		if err := r.account(res); err != nil {
			return nil, err
		}
	}
	return r.finish()
}

// accumulateGradients zeroes the model's gradients on dev, then runs the forward
// and backward pass of every micro-batch, back-propagating each one's summed
// token loss divided by the number of labelled tokens of all of them, so
// that the gradients equal those of one batch holding them all. seed(j) is
// the dropout seed of micro-batch j; the caller sets training or evaluation
// mode. It returns the mean loss over the labelled tokens (0 without any),
// their number, and the number of input tokens (attention mask 1).
func accumulateGradients(dev Device, m *distilbert.ForMaskedLM, tp *tensor.Tape, batches []dataset.Batch, seed func(j int) uint64) (loss float64, labels, tokens int, err error) {
	return accumulate(dev, tensor.FromData(m.Params.Grad, len(m.Params.Grad)), m, tp, batches, seed)
}

// accumulate is accumulateGradients with the model's gradients the flat
// tensor grad on dev.
func accumulate(dev Device, grad *tensor.Tensor, m *distilbert.ForMaskedLM, tp *tensor.Tape, batches []dataset.Batch, seed func(j int) uint64) (loss float64, labels, tokens int, err error) {
	labels, tokens = countTokens(batches)
	sum, err := backwardSum(dev, grad, m, tp, batches, seed, labels, nil)
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
func backwardSum(dev Device, grad *tensor.Tensor, m *distilbert.ForMaskedLM, tp *tensor.Tape, batches []dataset.Batch, seed func(j int) uint64, labels int, beforeLast func()) (float64, error) {
	dev.Zero(grad)
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
		keep = fmt.Sprintf("the last good checkpoint is %s", checkpointDir(t.Args.OutputDir, lastSaved))
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

// TrainStep runs one optimizer step as Trainer does: accumulating
// over the micro-batches, global gradient-norm clipping at maxGradNorm
// (<= 0: none), then AdamW with learning rate lr. A NaN or infinite loss or
// gradient norm returns an error wrapping ErrNonFinite before the
// parameters change. The caller sets training or evaluation mode.
func TrainStep(m *distilbert.ForMaskedLM, tp *tensor.Tape, opt *AdamW, lr, maxGradNorm float64, batches []dataset.Batch, seed func(j int) uint64) (StepResult, error) {
	dev := opt.device()
	loss, labels, tokens, err := accumulate(dev, opt.flat.g, m, tp, batches, seed)
	if err != nil {
		return StepResult{}, err
	}
	r := StepResult{Loss: loss, Labels: labels, Tokens: tokens}
	if !finite(loss) {
		return r, fmt.Errorf("training loss is %v: %w", loss, ErrNonFinite)
	}
	r.GradNorm = clipGradNorm(dev, opt.flat.g, maxGradNorm)
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
