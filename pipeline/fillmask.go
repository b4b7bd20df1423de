// Package pipeline is transformers' pipeline("fill-mask") for embedders: load
// a DistilBERT masked-LM model with the tokenizer its directory names, then
// fill the [MASK] tokens of texts with the pipeline's semantics (top_k,
// targets, several masks per text, the same output fields).
//
//	fm, err := pipeline.Load(ctx, "distilbert-finetuned-imdb", pipeline.Config{})
//	res, err := fm.Predict(ctx, []string{"This is a great [MASK]."}, pipeline.Options{TopK: 5})
//	for _, p := range res[0].Masks[0] { fmt.Println(p.Sequence, p.Score) }
//
// A FillMask is safe for concurrent use. Predict batches the texts it is
// given into forward passes of at most Config.MaxBatchTokens padded tokens;
// Encode and Run split the same work so that a server can gather the texts of
// many requests into one forward pass (dynamic batching). Buffers are reused
// between calls: in steady state a call allocates only its results.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/distilgo/distilgo/distilbert"
	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
	"github.com/distilgo/distilgo/tokenizer"
)

// DefaultTopK is transformers' default top_k for fill-mask.
const DefaultTopK = 5

// DefaultMaxBatchTokens bounds the padded tokens (sequences × longest
// sequence) of one forward pass when Config leaves it 0. A no-grad forward
// keeps every activation until the pass ends, about 320 KB per token for
// distilbert-base-uncased, so 1,024 tokens hold about 330 MB; passes of
// that size already run the matrix products at full speed.
const DefaultMaxBatchTokens = 1024

// Precision is the arithmetic of the forward pass.
type Precision string

// The precisions a FillMask may be asked for.
const (
	FP32 Precision = "fp32" // float32 everywhere (the default)
	BF16 Precision = "bf16" // bfloat16 matrix operands, float32 accumulation (PyTorch's autocast)
)

// ParsePrecision checks a --precision flag value ("" means fp32).
func ParsePrecision(s string) (Precision, error) {
	switch Precision(s) {
	case "", FP32:
		return FP32, nil
	case BF16:
		return BF16, nil
	}
	return "", fmt.Errorf("precision %q: want fp32 or bf16", s)
}

// Config sets up a FillMask.
type Config struct {
	// MaxBatchTokens bounds the padded tokens of one forward pass
	// (0: DefaultMaxBatchTokens). A text longer than the budget runs alone.
	MaxBatchTokens int
	// Workers is the number of forward passes that may run at once (0: 1).
	// Each holds its own activation buffers; the kernels already use every
	// core for one pass, so more mainly costs memory.
	Workers int
	// Precision of the forward pass ("" or FP32; BF16 sets the model's
	// matmuls to bf16, see distilbert.ForMaskedLM.Precision).
	Precision Precision
	// Vocab is a vocab.txt to use when the model directory has no tokenizer
	// files (Load only).
	Vocab string
	// Device runs the forward passes; nil is the CPU. New copies the
	// model's parameters into its memory.
	Device Device
}

// Device is a device that runs forward passes away from the host (a GPU,
// *cuda.Device): a tensor.Device with its own memory (tensor.NewOn), where
// the parameters are copied once and from which the logits are copied
// back (tensor.Tensor.CopyTo).
type Device interface {
	tensor.Device
}

// FillMask fills [MASK] tokens with a masked-LM model. It is safe for
// concurrent use.
type FillMask struct {
	model    *distilbert.ForMaskedLM
	tok      *tokenizer.Tokenizer
	maxLen   int
	budget   int
	maxMasks int // most [MASK] positions through the MLM head at once
	workers  chan *worker
	all      []*worker // every worker, for ActivationBytes
	dev      Device    // nil: the CPU
}

// warmShortLen is the length of the short texts of Warm's first pass; the
// budget of them sets FillMask.maxMasks (a pass of several texts holds at
// most that many masks, so the MLM head's buffers never outgrow Warm's).
const warmShortLen = 16

// worker holds the buffers of one forward pass, reused from call to call:
// the tape's arena hands the same activation buffers back when shapes
// repeat, and grows only to the largest pass seen, which Warm runs first.
type worker struct {
	tp        *tensor.Tape
	logits    []float32 // host copy of a device's logits
	ids, mask []int32
	pos       []int32
	seqs      []seqRef
	heaps     [][]cand       // a top-k heap per part of allPredictions
	preds     [][]Prediction // each mask's predictions, in pos order
	cuts      []int
	cost      []splitCost
	// arena is tp.ArenaBytes() after the last pass, readable while the
	// worker runs.
	arena atomic.Int64
}

// New wraps a loaded model and its tokenizer. The model is switched to
// evaluation mode (dropout off) and must not be trained while the FillMask
// is in use.
func New(m *distilbert.ForMaskedLM, tok *tokenizer.Tokenizer, cfg Config) (*FillMask, error) {
	p, err := ParsePrecision(string(cfg.Precision))
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if tok.VocabSize() != m.Config.VocabSize {
		return nil, fmt.Errorf("pipeline: tokenizer has %d tokens, the model's vocab_size is %d", tok.VocabSize(), m.Config.VocabSize)
	}
	if cfg.MaxBatchTokens < 0 || cfg.Workers < 0 {
		return nil, fmt.Errorf("pipeline: MaxBatchTokens %d and Workers %d must not be negative", cfg.MaxBatchTokens, cfg.Workers)
	}
	m.Train(false)
	// bf16: matmul operands rounded to bf16, float32 accumulation (the
	// avx512bf16 kernels, emulated on CPUs without them).
	m.Precision = tensor.FP32
	if p == BF16 {
		m.Precision = tensor.BF16
	}
	f := &FillMask{
		model:  m,
		tok:    tok,
		maxLen: min(m.Config.MaxPositionEmbeddings, tok.ModelMaxLength()),
		budget: orDefault(cfg.MaxBatchTokens, DefaultMaxBatchTokens),
	}
	if f.maxLen < 3 {
		return nil, fmt.Errorf("pipeline: maximum sequence length %d leaves no room for a [MASK] between [CLS] and [SEP]", f.maxLen)
	}
	f.maxMasks = ceilDiv(f.budget, min(warmShortLen, f.maxLen))
	if cfg.Device != nil {
		if _, err := tensor.WithPrecision(cfg.Device, m.Precision); err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		f.dev = cfg.Device
		data := tensor.NewOn(f.dev, m.Params.Len())
		data.CopyFrom(m.Params.Data)
		m.Params.Bind(data, nil)
	}
	n := orDefault(cfg.Workers, 1)
	f.workers = make(chan *worker, n)
	for range n {
		w := &worker{tp: tensor.NewNoGradTape()}
		// The model is not trained while in use (New's contract): bf16
		// products of a few tokens may read weights converted once.
		w.tp.SetWeightsFixed(true)
		f.all = append(f.all, w)
		if f.dev != nil {
			w.tp.SetDevice(f.dev)
		}
		f.workers <- w
	}
	return f, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// orDefault returns v, or def when v is 0.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// ActivationBytes returns the memory the workers hold for the activations
// of forward passes (their tapes' buffers, kept from pass to pass). After
// Warm it stays constant: a change means a pass outgrew what Warm reserved.
func (f *FillMask) ActivationBytes() int64 {
	var n int64
	for _, w := range f.all {
		n += w.arena.Load()
	}
	return n
}

// Model returns the model.
func (f *FillMask) Model() *distilbert.ForMaskedLM { return f.model }

// Tokenizer returns the tokenizer.
func (f *FillMask) Tokenizer() *tokenizer.Tokenizer { return f.tok }

// MaxLength is the longest sequence, [CLS] and [SEP] included, a text is
// truncated to: the smaller of the model's max_position_embeddings and the
// tokenizer's model_max_length.
func (f *FillMask) MaxLength() int { return f.maxLen }

// Options are the pipeline's call parameters.
type Options struct {
	// TopK is the number of predictions per [MASK] (0: DefaultTopK). With
	// targets it is capped at their number, as transformers does.
	TopK int
	// Targets restricts the candidates to these words. A target that is not
	// a vocabulary token is tokenized and its first piece used instead, with
	// a warning; one that gives no token is dropped with a warning; if none
	// is left, the call fails (transformers' get_target_ids).
	Targets []string
	// Warn receives the pipeline's warnings (target replaced, text
	// truncated). nil: slog.Default's Warn.
	Warn func(msg string)
}

// Prediction is one candidate for one [MASK], with the fields and JSON
// names of transformers' pipeline and the Hugging Face Inference API.
type Prediction struct {
	Score    float64 `json:"score"`     // probability (softmax over the whole vocabulary)
	Token    int32   `json:"token"`     // token id
	TokenStr string  `json:"token_str"` // the token, decoded
	Sequence string  `json:"sequence"`  // the text with this token in place of the [MASK]
}

// Result is the answer for one text.
type Result struct {
	// Masks holds, for each [MASK] of the text in order, its predictions,
	// best first.
	Masks [][]Prediction
	// Tokens is the encoded length of the text ([CLS] and [SEP] included),
	// before truncation.
	Tokens int
	// Truncated says the text was cut to MaxLength tokens.
	Truncated bool
}

// HF returns the result as transformers' pipeline returns it for one text:
// the list of predictions when the text has one [MASK], else one list per
// [MASK].
func (r Result) HF() any {
	if len(r.Masks) == 1 {
		return r.Masks[0]
	}
	return r.Masks
}

// HFOutput returns what transformers' pipeline (and the Hugging Face
// Inference API) answers for these results: HF() of the only result when
// the input was a single text (or a list of one), else the list of them.
func HFOutput(results []Result) any {
	if len(results) == 1 {
		return results[0].HF()
	}
	out := make([]any, len(results))
	for i, r := range results {
		out[i] = r.HF()
	}
	return out
}

// InputError is a problem with one input text or option, as opposed to a
// failure of the model: a server answers it with 400.
type InputError struct {
	Text int // index of the text, -1 for an option
	Msg  string
}

func (e *InputError) Error() string {
	if e.Text < 0 {
		return e.Msg
	}
	return fmt.Sprintf("text %d: %s", e.Text+1, e.Msg)
}

// Job is a call's texts encoded and checked, ready to run (alone or
// batched with other jobs by Run). Its Results are set by Run.
type Job struct {
	Results []Result
	ids     [][]int32
	masks   []int // [MASK] tokens of each text
	topK    int
	targets []int32 // sorted, distinct; nil: the whole vocabulary
	tokens  int
	done    bool
}

// Tokens is the number of tokens of the job's texts after truncation: its
// share of a batch's token budget.
func (j *Job) Tokens() int { return j.tokens }

// Predict fills the masks of texts with the pipeline's semantics: one
// Result per text. It is Encode followed by Run.
func (f *FillMask) Predict(ctx context.Context, texts []string, opts Options) ([]Result, error) {
	j, err := f.Encode(texts, opts)
	if err != nil {
		return nil, err
	}
	if err := f.Run(ctx, []*Job{j}); err != nil {
		return nil, err
	}
	return j.Results, nil
}

// Encode tokenizes and checks texts and options. Every text must hold at
// least one [MASK] after truncation to MaxLength tokens (a text longer than
// that is truncated with a warning, keeping [CLS] and [SEP]). Problems with
// the input are *InputError values.
func (f *FillMask) Encode(texts []string, opts Options) (*Job, error) {
	warn := opts.Warn
	if warn == nil {
		warn = func(msg string) { slog.Warn(msg) }
	}
	if len(texts) == 0 {
		return nil, &InputError{Text: -1, Msg: "no text given"}
	}
	if opts.TopK < 0 {
		return nil, &InputError{Text: -1, Msg: fmt.Sprintf("top_k %d: must be positive", opts.TopK)}
	}
	j := &Job{topK: orDefault(opts.TopK, DefaultTopK), ids: make([][]int32, len(texts)), masks: make([]int, len(texts)), Results: make([]Result, len(texts))}
	if opts.Targets != nil {
		ids, err := f.targetIDs(opts.Targets, warn)
		if err != nil {
			return nil, err
		}
		j.targets = ids
		j.topK = min(j.topK, len(ids))
	}
	mask := f.tok.MaskID()
	for i, text := range texts {
		ids := f.tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true}).IDs
		j.Results[i].Tokens = len(ids)
		if len(ids) > f.maxLen {
			ids = append(ids[:f.maxLen-1:f.maxLen-1], f.tok.SEPID())
			j.Results[i].Truncated = true
			warn(fmt.Sprintf("text %d has %d tokens, truncated to the model's maximum of %d", i+1, j.Results[i].Tokens, f.maxLen))
		}
		j.masks[i] = countOf(ids, mask)
		if j.masks[i] == 0 {
			msg := "no [MASK] token in the text"
			if j.Results[i].Truncated {
				msg = fmt.Sprintf("no [MASK] token in the first %d tokens (the text has %d and is truncated to the model's maximum)", f.maxLen, j.Results[i].Tokens)
			}
			return nil, &InputError{Text: i, Msg: msg}
		}
		j.ids[i] = ids
		j.tokens += len(ids)
	}
	return j, nil
}

// targetIDs follows transformers' FillMaskPipeline.get_target_ids.
func (f *FillMask) targetIDs(targets []string, warn func(string)) ([]int32, error) {
	var ids []int32
	for _, t := range targets {
		id, ok := f.tok.TokenToID(t)
		if !ok {
			enc := f.tok.Encode(t, tokenizer.EncodeOptions{}).IDs
			if len(enc) == 0 {
				warn(fmt.Sprintf("the specified target token %q does not exist in the model vocabulary; we cannot replace it with anything meaningful, ignoring it", t))
				continue
			}
			id = enc[0]
			warn(fmt.Sprintf("the specified target token %q does not exist in the model vocabulary; replacing with %q", t, f.tok.IDToToken(id)))
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, &InputError{Text: -1, Msg: "targets: at least one target must be provided when passed"}
	}
	return ids, nil
}

// seqRef is one text of one job.
type seqRef struct {
	job  *Job
	text int
}

func (s seqRef) ids() []int32 { return s.job.ids[s.text] }

func (s seqRef) masks() int { return s.job.masks[s.text] }

// Run runs the jobs' texts through the model, batched together: sorted by
// length and cut into forward passes of at most the token budget and a
// sixteenth of it in [MASK] tokens (where a cut saves more padding than a
// pass costs), and sets
// each job's Results. It waits for a free worker and checks ctx between
// forward passes; a job whose Run fails has no results.
func (f *FillMask) Run(ctx context.Context, jobs []*Job) error {
	var w *worker
	select {
	case w = <-f.workers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { f.workers <- w }()
	w.seqs = w.seqs[:0]
	for _, j := range jobs {
		if j.done {
			panic("pipeline.Run: job already run")
		}
		for i := range j.ids {
			w.seqs = append(w.seqs, seqRef{j, i})
			j.Results[i].Masks = make([][]Prediction, 0, 1)
		}
	}
	sort.SliceStable(w.seqs, func(a, b int) bool { return len(w.seqs[a].ids()) < len(w.seqs[b].ids()) })
	defer clear(w.seqs) // drop the jobs for the garbage collector
	w.cuts = splitBatches(w.seqs, f.budget, f.maxMasks, w.cuts, &w.cost)
	lo := 0
	for _, hi := range w.cuts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.forward(w, w.seqs[lo:hi]); err != nil {
			return err
		}
		lo = hi
	}
	for _, j := range jobs {
		j.done = true
	}
	return nil
}

// forward runs one padded batch and appends each mask's predictions to its
// text's result. The MLM head takes at most maxMasks positions a pass: a
// lone text with more masks than that (splitBatches keeps passes of
// several texts under it) runs the encoder again for each further chunk,
// which costs time on such rare texts instead of activation memory beyond
// what Warm reserved.
func (f *FillMask) forward(w *worker, seqs []seqRef) error {
	B, T := len(seqs), len(seqs[len(seqs)-1].ids())
	w.ids = grow(w.ids, B*T)
	w.mask = grow(w.mask, B*T)
	w.pos = w.pos[:0]
	pad, maskID := f.tok.PadID(), f.tok.MaskID()
	for b, s := range seqs {
		ids := s.ids()
		for t := range T {
			id, att := pad, int32(0)
			if t < len(ids) {
				id, att = ids[t], 1
				if id == maskID {
					w.pos = append(w.pos, int32(b*T+t))
				}
			}
			w.ids[b*T+t], w.mask[b*T+t] = id, att
		}
	}
	in := distilbert.Input{B: B, T: T, InputIDs: w.ids, AttentionMask: w.mask}
	defer func() {
		w.tp.Reset()
		w.arena.Store(int64(w.tp.ArenaBytes()))
	}()
	V := f.model.Config.VocabSize
	for lo := 0; lo < len(w.pos); lo += f.maxMasks {
		pos := w.pos[lo:min(lo+f.maxMasks, len(w.pos))]
		w.tp.Reset()
		logits, err := f.model.LogitsAt(w.tp, in, pos) // [len(pos), V]
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		var host []float32
		if logits.OnHost() {
			host = logits.Host()[:len(pos)*V]
		} else {
			w.logits = grow(w.logits, logits.Size())
			logits.CopyTo(w.logits)
			host = w.logits[:len(pos)*V]
		}
		f.allPredictions(w, host, seqs, pos, T)
		for i, p := range pos {
			s := seqs[int(p)/T]
			r := &s.job.Results[s.text]
			r.Masks = append(r.Masks, w.preds[i])
		}
		clear(w.preds)
	}
	return nil
}

// allPredictions sets w.preds[i] to the predictions of the mask at pos[i]
// (logits row i of host, [len(pos), V]). The masks are independent and each
// costs a float64 softmax and a top-k scan over the vocabulary (about
// 0.3 ms at 30,522 tokens), so they are split over the kernels' threads:
// run one after another they were 4.5% of the server's CPU time at 32
// clients, with the other core idle meanwhile (BENCHMARKS.md, serve).
func (f *FillMask) allPredictions(w *worker, host []float32, seqs []seqRef, pos []int32, T int) {
	V := f.model.Config.VocabSize
	w.preds = grow(w.preds, len(pos))
	parts := min(len(pos), kernels.Threads())
	for len(w.heaps) < parts {
		w.heaps = append(w.heaps, nil)
	}
	kernels.ParallelFor(parts, 1, func(lo, hi int) {
		for part := lo; part < hi; part++ {
			for i := part * len(pos) / parts; i < (part+1)*len(pos)/parts; i++ {
				p := int(pos[i])
				w.preds[i] = f.predictions(&w.heaps[part], host[i*V:(i+1)*V], seqs[p/T], p%T)
			}
		}
	})
}

// passOverhead is the fixed cost of a forward pass counted in padded
// tokens: on distilbert-base-uncased one 8-token sentence takes 28.6 ms,
// as long as 40 tokens take at the evaluation's 1,403 tokens/s
// (BENCHMARKS.md), so about 32 tokens' worth is per-pass overhead.
const passOverhead = 32

// splitCost is the best split of a prefix of the sorted sequences.
type splitCost struct {
	cost, prev int
}

// splitBatches cuts seqs (sorted by length, ascending) into consecutive
// forward passes of at most budget padded tokens and maxMasks [MASK]
// tokens each (a sequence over either bound runs alone), minimising the
// padded tokens plus passOverhead per pass: padding to the longest text of
// a pass is wasted work, and one pass per length costs an overhead each. It
// returns the end index of each pass, reusing cuts and dp.
func splitBatches(seqs []seqRef, budget, maxMasks int, cuts []int, dp *[]splitCost) []int {
	n := len(seqs)
	d := (*dp)[:0]
	d = append(d, splitCost{})
	for hi := 1; hi <= n; hi++ {
		T := len(seqs[hi-1].ids()) // the longest of seqs[lo:hi]
		best := splitCost{cost: -1}
		masks := 0 // of seqs[lo:hi]
		for lo := hi - 1; lo >= 0; lo-- {
			masks += seqs[lo].masks()
			if lo < hi-1 && ((hi-lo)*T > budget || masks > maxMasks) {
				break
			}
			c := d[lo].cost + (hi-lo)*T + passOverhead
			if best.cost < 0 || c < best.cost {
				best = splitCost{cost: c, prev: lo}
			}
		}
		d = append(d, best)
	}
	*dp = d
	cuts = cuts[:0]
	for hi := n; hi > 0; hi = d[hi].prev {
		cuts = append(cuts, hi)
	}
	slices.Reverse(cuts)
	return cuts
}

func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

// cand is a candidate token and its logit.
type cand struct {
	id    int32
	logit float32
}

// better orders candidates best first: higher logit, then lower id (the
// order a stable sort of the probabilities gives).
func better(a, b cand) bool {
	return a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
}

// predictions returns the top-k candidates of one mask's logits row [V] as
// transformers' postprocess does: probabilities are the softmax over the
// whole vocabulary (in float64), restricted to the targets when given.
func (f *FillMask) predictions(heap *[]cand, row []float32, s seqRef, pos int) []Prediction {
	j := s.job
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - mx)
	}
	// A k-sized heap whose root is the worst kept candidate.
	h := (*heap)[:0]
	consider := func(id int32) {
		c := cand{id, row[id]}
		if len(h) < j.topK {
			h = append(h, c)
			for i := len(h) - 1; i > 0; { // sift up
				p := (i - 1) / 2
				if !better(h[p], h[i]) {
					break
				}
				h[p], h[i] = h[i], h[p]
				i = p
			}
			return
		}
		if !better(c, h[0]) {
			return
		}
		h[0] = c
		for i := 0; ; { // sift down
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && better(h[m], h[l]) {
				m = l
			}
			if r < len(h) && better(h[m], h[r]) {
				m = r
			}
			if m == i {
				break
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	if j.targets != nil {
		for _, id := range j.targets {
			consider(id)
		}
	} else {
		for id := range row {
			consider(int32(id))
		}
	}
	slices.SortFunc(h, func(a, b cand) int {
		if better(a, b) {
			return -1
		}
		return 1
	})
	*heap = h
	ids := s.ids()
	single := countOf(ids, f.tok.MaskID()) == 1
	seq := make([]int32, 0, len(ids))
	out := make([]Prediction, len(h))
	for k, c := range h {
		// The pipeline drops padding, keeps the other masks (and special
		// tokens) when there are several, and skips special tokens otherwise.
		seq = seq[:0]
		for t, id := range ids {
			if t == pos {
				id = c.id
			}
			if id != f.tok.PadID() {
				seq = append(seq, id)
			}
		}
		out[k] = Prediction{
			Score:    math.Exp(float64(c.logit)-mx) / sum,
			Token:    c.id,
			TokenStr: f.tok.Decode([]int32{c.id}, false),
			Sequence: f.tok.Decode(seq, single),
		}
	}
	return out
}

func countOf(ids []int32, id int32) int {
	n := 0
	for _, v := range ids {
		if v == id {
			n++
		}
	}
	return n
}

// Warm runs, on every worker, forward passes that need at least the memory
// of any pass Run can give it, so that the workers' buffers reach their
// final size now instead of growing while serving: a server's memory is
// then flat from the start. It waits for the workers to be free.
//
// Every activation buffer of a pass grows with its padded tokens B×T (at
// most the budget), with B×T×T (the attention scores: at most the budget
// times MaxLength) or with its [MASK] count (the MLM head: at most
// maxMasks). The first pass holds the budget, rounded up, in short texts
// with one [MASK] each (maxMasks of them); the second the budget, rounded
// up, in texts of MaxLength tokens. A last pass of one 4-token text makes
// the bf16 device convert the weights that products of a few tokens read
// in bf16 (Tape.SetWeightsFixed), once and for good.
func (f *FillMask) Warm(ctx context.Context) error {
	n := cap(f.workers)
	ws := make([]*worker, 0, n)
	defer func() {
		for _, w := range ws {
			f.workers <- w
		}
	}()
	for range n {
		select {
		case w := <-f.workers:
			ws = append(ws, w)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	short := min(warmShortLen, f.maxLen)
	for _, p := range []struct{ B, T int }{
		{ceilDiv(f.budget, short), short}, {ceilDiv(f.budget, f.maxLen), f.maxLen}, {1, min(4, f.maxLen)},
	} {
		B, T := p.B, p.T
		j := &Job{topK: 1, ids: make([][]int32, B), masks: make([]int, B), Results: make([]Result, B)}
		seqs := make([]seqRef, B)
		for b := range B {
			ids := make([]int32, T)
			for t := range ids {
				ids[t] = f.tok.UnkID()
			}
			ids[0], ids[1], ids[T-1] = f.tok.CLSID(), f.tok.MaskID(), f.tok.SEPID()
			j.ids[b], j.masks[b], seqs[b] = ids, 1, seqRef{j, b}
		}
		for _, w := range ws {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := f.forward(w, seqs); err != nil {
				return err
			}
		}
	}
	return nil
}
