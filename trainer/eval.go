package trainer

import (
	"context"
	"fmt"
	"math"

	"github.com/distilgo/distilgo/dataset"
	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/tensor"
)

// EvalResult is the outcome of an evaluation over masked batches.
type EvalResult struct {
	// Loss is transformers' Trainer eval_loss: each batch's mean loss over
	// its masked tokens, averaged with weights equal to the batch's number
	// of examples. A batch without masked tokens counts with loss 0.
	Loss float64
	// TokenLoss is the mean loss over all masked tokens of all batches.
	TokenLoss float64
	// Perplexity is exp(Loss) (+Inf when it overflows), as the course
	// computes it.
	Perplexity float64
	// Tokens, Examples and Batches count what was evaluated (Tokens: the
	// masked tokens, those with a label).
	Tokens, Examples, Batches int
}

// evalAccumulator aggregates per-batch losses into an EvalResult, so that an
// evaluation never holds more than one batch's logits.
type evalAccumulator struct {
	weighted, weights float64 // Σ B_i·mean_i, Σ B_i
	sum               float64 // Σ over tokens
	tokens, examples  int
	batches           int
}

// Add records one batch of examples with the summed loss lossSum over its
// tokens masked tokens.
func (a *evalAccumulator) Add(lossSum float64, tokens, examples int) {
	mean := 0.0
	if tokens > 0 {
		mean = lossSum / float64(tokens)
	}
	a.weighted += float64(examples) * mean
	a.weights += float64(examples)
	a.sum += lossSum
	a.tokens += tokens
	a.examples += examples
	a.batches++
}

// Result returns the aggregate. With nothing added, or no token masked, the
// losses are 0.
func (a *evalAccumulator) Result() EvalResult {
	r := EvalResult{Tokens: a.tokens, Examples: a.examples, Batches: a.batches}
	if a.weights > 0 {
		r.Loss = a.weighted / a.weights
	}
	if a.tokens > 0 {
		r.TokenLoss = a.sum / float64(a.tokens)
	}
	r.Perplexity = perplexity(r.Loss)
	return r
}

// perplexity returns exp(loss): +Inf when the exponential overflows float64
// (loss above about 709.78), never a panic; NaN stays NaN.
func perplexity(loss float64) float64 { return math.Exp(loss) }

// evalRows is the most sequences one evaluation forward pass takes.
const evalRows = 16

// Evaluate computes the masked-LM loss of m over batches with dropout off
// and no gradient recording, one batch at a time (only the masked positions
// go through the MLM head). It leaves m in evaluation mode.
func Evaluate(m *distilbert.ForMaskedLM, batches []dataset.Batch) (EvalResult, error) {
	return EvaluateProgress(context.Background(), m, batches, nil)
}

// EvaluateProgress is Evaluate calling onBatch, if not nil, after each
// batch with the number of batches done and of input tokens (attention
// mask 1) evaluated so far. It stops between batches when ctx is
// cancelled, returning ctx's error.
func EvaluateProgress(ctx context.Context, m *distilbert.ForMaskedLM, batches []dataset.Batch, onBatch func(done, tokens int)) (EvalResult, error) {
	return evaluateOn(ctx, tensor.NewNoGradTape(), m, batches, onBatch)
}

// evaluateOn is EvaluateProgress on the no-grad tape tp (which sets the
// device).
func evaluateOn(ctx context.Context, tp *tensor.Tape, m *distilbert.ForMaskedLM, batches []dataset.Batch, onBatch func(done, tokens int)) (EvalResult, error) {
	m.Train(false)
	tokens := 0
	var acc evalAccumulator
	for i := range batches {
		if err := ctx.Err(); err != nil {
			tp.Reset()
			return EvalResult{}, fmt.Errorf("evaluation stopped after %d of %d batches: %w", i, len(batches), err)
		}
		b := &batches[i]
		// A no-grad tape keeps every activation until Reset, so a batch runs
		// in slices of at most evalRows sequences; their summed losses and
		// counts give the batch's mean exactly as one forward would (up to
		// summation order), at a quarter of the memory for batch 64.
		var sum float64
		n := 0
		for r0 := 0; r0 < b.B; r0 += evalRows {
			r1 := min(b.B, r0+evalRows)
			lo, hi := r0*b.T, r1*b.T
			in := distilbert.Input{B: r1 - r0, T: b.T, InputIDs: b.InputIDs[lo:hi]}
			if b.AttentionMask != nil {
				in.AttentionMask = b.AttentionMask[lo:hi]
			}
			tp.Reset()
			s, k, err := m.LossSum(tp, in, b.Labels[lo:hi])
			if err != nil {
				return EvalResult{}, fmt.Errorf("evaluate batch %d: %w", i, err)
			}
			sum += float64(s.Item())
			n += k
		}
		acc.Add(sum, n, b.B)
		if onBatch != nil {
			tokens += inputTokens(b)
			onBatch(i+1, tokens)
		}
	}
	tp.Reset()
	return acc.Result(), nil
}

// inputTokens counts the tokens of b that attend (all when there is no
// attention mask).
func inputTokens(b *dataset.Batch) int {
	if b.AttentionMask == nil {
		return b.B * b.T
	}
	n := 0
	for _, v := range b.AttentionMask {
		if v != 0 {
			n++
		}
	}
	return n
}
