package trainer

import (
	"context"
	"errors"
	"fmt"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/distributed"
	"github.com/distilgo/distilgo/tensor"
)

// Data-parallel training (Trainer.Comm with more than one process).
//
// N ranks at BatchSize B and GradAccum k train exactly the run of one
// process at BatchSize B and GradAccum N·k: every optimizer step takes the
// next N·k micro-batches of B chunks of the epoch's order (a global batch of
// N·k·B chunks), and rank r runs micro-batches r, r+N, r+2N, ... of them,
// each collated and dropped out with the seeds one process would use for it
// (they depend on the micro-batch's index, not on who runs it). The labelled
// tokens are counted over all ranks before the backward passes, so each rank
// scales its losses by the global count; the gradients are summed over the
// ranks in buckets of BucketBytes, each all-reduced as soon as the last
// micro-batch's backward pass has completed it (overlapping the backward
// of the earlier layers, as DistributedDataParallel does), and every rank
// clips and steps AdamW on identical gradients, so the parameters stay
// identical. The result differs from one process's only by the order in
// which the micro-batches' gradients are summed.
//
// Rank 0 writes everything (log.jsonl, checkpoints, loss.png, the final
// model); every rank evaluates a share of the evaluation batches and the
// sums are reduced. trainer_state.json records the global batch
// (grad_accum = N·k), so a checkpoint resumes on any number of ranks that
// gives the same global batch (2 ranks at k=1 ⇄ 1 process at k=2).

// comm returns the trainer's communicator (Single when none is set).
func (t *Trainer) comm() distributed.Comm {
	if t.Comm == nil {
		return distributed.Single{}
	}
	return t.Comm
}

// shardMicro returns the micro-batches of [m0, m1) that rank runs among
// size ranks: m0+rank, m0+rank+size, ... (round robin, so a short last step
// spreads over the ranks).
func shardMicro(m0, m1, rank, size int) []int {
	var idx []int
	for j := m0 + rank; j < m1; j += size {
		idx = append(idx, j)
	}
	return idx
}

// DataParallelStep is TrainStep for one rank of a data-parallel job: batches
// are this rank's micro-batches of the step (possibly none) and seed(j) the
// dropout seed of its j-th. The labelled-token count, the gradients and the
// loss are summed over c's ranks, so the step, and the returned result, are
// those of one process running every rank's micro-batches (Labels and
// Tokens count all ranks'). Every rank must call it for every step.
func DataParallelStep(c distributed.Comm, m *distilbert.ForMaskedLM, tp *tensor.Tape, opt *AdamW, lr, maxGradNorm float64, batches []dataset.Batch, seed func(j int) uint64) (StepResult, error) {
	labels, tokens := countTokens(batches)
	counts := []float64{float64(labels), float64(tokens)}
	if err := c.AllReduceSumFloat64(counts); err != nil {
		return StepResult{}, fmt.Errorf("all-reduce of the token counts: %w", err)
	}
	r := StepResult{Labels: int(counts[0]), Tokens: int(counts[1])}
	// The gradients are all-reduced in buckets during the last
	// micro-batch's backward pass (see gradReducer).
	red := newGradReducer(c, m.Params, BucketBytes)
	red.start()
	sum, err := backwardSum(CPU, opt.flat.g, m, tp, batches, seed, r.Labels, func() { tp.SetGradReadyHook(red.ready) })
	tp.SetGradReadyHook(nil)
	if rerr := red.finish(); rerr != nil {
		return StepResult{}, fmt.Errorf("all-reduce of the gradients: %w", rerr)
	}
	if err != nil {
		return StepResult{}, err
	}
	loss := []float64{sum}
	if err := c.AllReduceSumFloat64(loss); err != nil {
		return StepResult{}, fmt.Errorf("all-reduce of the loss: %w", err)
	}
	if r.Labels > 0 {
		r.Loss = loss[0] / float64(r.Labels)
	}
	if !finite(r.Loss) {
		return r, fmt.Errorf("training loss is %v: %w", r.Loss, ErrNonFinite)
	}
	r.GradNorm = ClipGradNorm(m.Params.Grad, maxGradNorm)
	if !finite(r.GradNorm) {
		return r, fmt.Errorf("gradient norm is %v: %w", r.GradNorm, ErrNonFinite)
	}
	opt.Step(lr)
	return r, nil
}

// errPeerStopped is the stop reason of a rank that was not interrupted
// itself but stops with the others.
var errPeerStopped = errors.New("another rank was interrupted")

// stopRequested returns the reason to stop before the next step: ctx's
// error, or, in a job of several ranks, errPeerStopped when any other rank's
// context is done, so that all ranks stop after the same step.
func stopRequested(ctx context.Context, c distributed.Comm) error {
	err := ctx.Err()
	if c.Size() == 1 {
		return err
	}
	flag := []float64{0}
	if err != nil {
		flag[0] = 1
	}
	if rerr := c.AllReduceSumFloat64(flag); rerr != nil {
		return fmt.Errorf("all-reduce of the stop flag: %w", rerr)
	}
	if err == nil && flag[0] > 0 {
		return errPeerStopped
	}
	return err
}

// evaluateShared evaluates on every rank a share of the batches (rank r
// takes batches r, r+N, ...) and sums the shares' statistics over the
// ranks: the result is one process's Evaluate up to the order of float64
// sums.
func evaluateShared(c distributed.Comm, m *distilbert.ForMaskedLM, batches []dataset.Batch) (EvalResult, error) {
	if c.Size() == 1 {
		return Evaluate(m, batches)
	}
	var mine []dataset.Batch
	for i := c.Rank(); i < len(batches); i += c.Size() {
		mine = append(mine, batches[i])
	}
	r, err := Evaluate(m, mine)
	if err != nil {
		return r, err
	}
	// The accumulator's sums, recovered from the share's result.
	s := []float64{r.Loss * float64(r.Examples), float64(r.Examples), r.TokenLoss * float64(r.Tokens), float64(r.Tokens), float64(r.Batches)}
	if err := c.AllReduceSumFloat64(s); err != nil {
		return EvalResult{}, fmt.Errorf("evaluate: all-reduce: %w", err)
	}
	acc := evalAccumulator{weighted: s[0], weights: s[1], sum: s[2], tokens: int(s[3]), examples: int(s[1]), batches: int(s[4])}
	return acc.Result(), nil
}

// syncStart makes every rank start from rank 0's parameters and optimizer
// moments (as DistributedDataParallel broadcasts the module at start) and
// checks that all ranks are at the same step of the same run, which a resume
// from a checkpoint directory the ranks do not share would break.
func syncStart(c distributed.Comm, m *distilbert.ForMaskedLM, opt *AdamW, st *State) error {
	if c.Size() == 1 {
		return nil
	}
	for _, b := range []struct {
		name string
		buf  []float32
	}{{"parameters", m.Params.Data}, {"first moments", opt.M}, {"second moments", opt.V}} {
		if err := c.Broadcast(b.buf, 0); err != nil {
			return fmt.Errorf("broadcast of the %s: %w", b.name, err)
		}
	}
	// All-gather of each rank's step and optimizer step count.
	n, r := c.Size(), c.Rank()
	pos := make([]float64, 2*n)
	pos[2*r], pos[2*r+1] = float64(st.GlobalStep), float64(opt.Steps)
	if err := c.AllReduceSumFloat64(pos); err != nil {
		return fmt.Errorf("all-gather of the start steps: %w", err)
	}
	for i := 1; i < n; i++ {
		if pos[2*i] != pos[0] || pos[2*i+1] != pos[1] {
			return fmt.Errorf("rank %d starts at step %v, rank 0 at step %v: every rank must resume from the same checkpoint (is the output directory on a file system all ranks share?)", i, pos[2*i], pos[0])
		}
	}
	return nil
}
