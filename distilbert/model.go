// Package distilbert is DistilBertForMaskedLM, numerically the same as
// Hugging Face transformers' (modeling_distilbert.py), with its module and
// parameter names one to one, Hugging Face checkpoints in and out, and
// random initialisation as transformers' _init_weights.
package distilbert

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/nn"
	"github.com/distilgo/distilgo/tensor"
)

// layerNormEps is the eps of every LayerNorm in DistilBERT (transformers
// hard-codes 1e-12).
const layerNormEps = 1e-12

// Embeddings follows transformers' Embeddings: word + learned position
// embeddings, LayerNorm, dropout.
type Embeddings struct {
	WordEmbeddings     *nn.Embedding // [V, C], padding_idx = pad_token_id
	PositionEmbeddings *nn.Embedding // [maxPos, C]
	LayerNorm          *nn.LayerNorm
	Dropout            *nn.Dropout
}

// Forward maps ids [B*T] to embeddings [B*T, C]; positions are 0..T-1 in
// every sequence.
func (e *Embeddings) Forward(tp *tensor.Tape, ids []int32, B, T int) *tensor.Tensor {
	pos := tp.ScratchInt32(B * T)
	for i := range pos {
		pos[i] = int32(i % T)
	}
	x := tp.Add(e.WordEmbeddings.Forward(tp, ids), e.PositionEmbeddings.Forward(tp, pos)) // [B*T, C]
	return e.Dropout.Forward(tp, e.LayerNorm.Forward(tp, x))
}

// VisitParams visits the parameters under their transformers names.
func (e *Embeddings) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	e.WordEmbeddings.VisitParams(nn.Join(prefix, "word_embeddings"), visit)
	e.PositionEmbeddings.VisitParams(nn.Join(prefix, "position_embeddings"), visit)
	e.LayerNorm.VisitParams(nn.Join(prefix, "LayerNorm"), visit)
}

// Train sets dropout on or off.
func (e *Embeddings) Train(on bool) { e.Dropout.Train(on) }

// MultiHeadSelfAttention follows transformers' MultiHeadSelfAttention.
type MultiHeadSelfAttention struct {
	NHeads                   int
	QLin, KLin, VLin, OutLin *nn.Linear // [C, C] each
	Dropout                  *nn.Dropout
}

// Forward attends over x [B*T, C] with the additive key mask [B, T]
// (0 or kernels.MaskedOut) and returns [B*T, C].
//
// transformers splits heads ([B, T, NH, HS] -> [B, NH, T, HS]), scales q by
// 1/sqrt(HS), takes q·kᵀ, masked_fill's padded keys with finfo.min, applies
// softmax and dropout, multiplies by v and merges heads. tensor.Attention does
// the same reading the heads in place, scaling the scores inside the softmax
// (exact for HS = 64, whose 1/8 is a power of two).
func (a *MultiHeadSelfAttention) Forward(tp *tensor.Tape, x *tensor.Tensor, mask []float32, B, T int) *tensor.Tensor {
	HS := x.Dim(-1) / a.NHeads
	q := a.QLin.Forward(tp, x) // [B*T, C]
	k := a.KLin.Forward(tp, x)
	v := a.VLin.Forward(tp, x)
	p := float32(0)
	if a.Dropout.Training {
		p = a.Dropout.P
	}
	ctx := tp.Attention(q, k, v, B, T, a.NHeads, float32(1/math.Sqrt(float64(HS))), mask, p) // [B*T, C]
	return a.OutLin.Forward(tp, ctx)
}

// VisitParams visits q_lin, k_lin, v_lin, out_lin.
func (a *MultiHeadSelfAttention) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	a.QLin.VisitParams(nn.Join(prefix, "q_lin"), visit)
	a.KLin.VisitParams(nn.Join(prefix, "k_lin"), visit)
	a.VLin.VisitParams(nn.Join(prefix, "v_lin"), visit)
	a.OutLin.VisitParams(nn.Join(prefix, "out_lin"), visit)
}

// Train sets attention dropout on or off.
func (a *MultiHeadSelfAttention) Train(on bool) { a.Dropout.Train(on) }

// ActivationFunc is an element-wise op of a tape: (*tensor.Tape).Gelu or
// (*tensor.Tape).Relu.
type ActivationFunc func(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor

// activations are the supported values of Config.Activation, as
// transformers' ACT2FN names them ("gelu" is the exact erf GELU).
// DistilBERT applies it in every FFN and in the MLM head.
var activations = map[string]ActivationFunc{
	"gelu": (*tensor.Tape).Gelu,
	"relu": (*tensor.Tape).Relu,
}

// activation returns the op of cfg.Activation, GELU when it is empty.
// Validate rejects other names; build panics on them.
func (c Config) activation() ActivationFunc {
	if c.Activation == "" {
		return (*tensor.Tape).Gelu
	}
	f := activations[c.Activation]
	if f == nil {
		panic(fmt.Sprintf("distilbert: activation %q is not supported (Validate rejects it)", c.Activation))
	}
	return f
}

// FFN follows transformers' FFN: lin1 -> activation -> lin2 -> dropout.
type FFN struct {
	Lin1    *nn.Linear // [hidden, C]
	Lin2    *nn.Linear // [C, hidden]
	Dropout *nn.Dropout
	// Act is the config's activation; nil means GELU.
	Act ActivationFunc
}

// Forward maps x [B*T, C] to [B*T, C].
func (f *FFN) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	act := f.Act
	if act == nil {
		act = (*tensor.Tape).Gelu
	}
	h := act(tp, f.Lin1.Forward(tp, x)) // [B*T, hidden]
	return f.Dropout.Forward(tp, f.Lin2.Forward(tp, h))
}

// VisitParams visits lin1 and lin2.
func (f *FFN) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	f.Lin1.VisitParams(nn.Join(prefix, "lin1"), visit)
	f.Lin2.VisitParams(nn.Join(prefix, "lin2"), visit)
}

// Train sets dropout on or off.
func (f *FFN) Train(on bool) { f.Dropout.Train(on) }

// TransformerBlock follows transformers' TransformerBlock (post-LN).
type TransformerBlock struct {
	Attention       *MultiHeadSelfAttention
	SaLayerNorm     *nn.LayerNorm
	FFN             *FFN
	OutputLayerNorm *nn.LayerNorm
}

// Forward maps x [B*T, C] to [B*T, C].
func (b *TransformerBlock) Forward(tp *tensor.Tape, x *tensor.Tensor, mask []float32, B, T int) *tensor.Tensor {
	sa := b.SaLayerNorm.Forward(tp, tp.Add(b.Attention.Forward(tp, x, mask, B, T), x))
	return b.OutputLayerNorm.Forward(tp, tp.Add(b.FFN.Forward(tp, sa), sa))
}

// VisitParams visits attention, sa_layer_norm, ffn, output_layer_norm.
func (b *TransformerBlock) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	b.Attention.VisitParams(nn.Join(prefix, "attention"), visit)
	b.SaLayerNorm.VisitParams(nn.Join(prefix, "sa_layer_norm"), visit)
	b.FFN.VisitParams(nn.Join(prefix, "ffn"), visit)
	b.OutputLayerNorm.VisitParams(nn.Join(prefix, "output_layer_norm"), visit)
}

// Train sets dropout on or off.
func (b *TransformerBlock) Train(on bool) {
	b.Attention.Train(on)
	b.FFN.Train(on)
}

// Model is transformers' DistilBertModel: embeddings and the transformer
// layers ("distilbert.transformer.layer.N").
type Model struct {
	Embeddings *Embeddings
	Layers     []*TransformerBlock
}

// Forward returns the last hidden states [B*T, C].
func (m *Model) Forward(tp *tensor.Tape, in Input) *tensor.Tensor {
	mask := tp.Scratch(in.B * in.T)
	for i := range mask {
		mask[i] = 0
		if in.AttentionMask != nil && in.AttentionMask[i] == 0 {
			mask[i] = kernels.MaskedOut
		}
	}
	x := m.Embeddings.Forward(tp, in.InputIDs, in.B, in.T)
	for _, l := range m.Layers {
		x = l.Forward(tp, x, mask, in.B, in.T)
	}
	return x
}

// VisitParams visits embeddings and transformer.layer.N.
func (m *Model) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	m.Embeddings.VisitParams(nn.Join(prefix, "embeddings"), visit)
	for i, l := range m.Layers {
		l.VisitParams(nn.Join(prefix, fmt.Sprintf("transformer.layer.%d", i)), visit)
	}
}

// Train sets dropout on or off.
func (m *Model) Train(on bool) {
	m.Embeddings.Train(on)
	for _, l := range m.Layers {
		l.Train(on)
	}
}

// ForMaskedLM is transformers' DistilBertForMaskedLM. Its parameters live
// in one contiguous ParamSet (Params).
type ForMaskedLM struct {
	Config         Config
	DistilBert     *Model
	VocabTransform *nn.Linear // [C, C]
	VocabLayerNorm *nn.LayerNorm
	VocabProjector *nn.Linear // weight tied to the word embeddings, own bias [V]
	Params         *nn.ParamSet
	// Precision of the matmuls: tensor.FP32 (default) or tensor.BF16
	// (autocast-style mixed precision; see tensor.Precision). Every forward
	// entry point (Hidden, Logits, LogitsAt, LossSum, Loss) switches the
	// tape's CPU device to match, so training, evaluation and inference
	// follow this one field.
	Precision tensor.Precision
}

// Input is a batch of B sequences of T tokens, row-major.
type Input struct {
	B, T          int
	InputIDs      []int32 // [B*T]
	AttentionMask []int32 // [B*T], 1 = attend, 0 = padding; nil = all ones
}

func (in Input) check(cfg Config) error {
	if in.B < 1 || in.T < 1 {
		return fmt.Errorf("distilbert: batch %dx%d is empty", in.B, in.T)
	}
	if in.T > cfg.MaxPositionEmbeddings {
		return fmt.Errorf("distilbert: sequence length %d exceeds max_position_embeddings %d", in.T, cfg.MaxPositionEmbeddings)
	}
	if len(in.InputIDs) != in.B*in.T {
		return fmt.Errorf("distilbert: %d input ids for a %dx%d batch", len(in.InputIDs), in.B, in.T)
	}
	if in.AttentionMask != nil && len(in.AttentionMask) != in.B*in.T {
		return fmt.Errorf("distilbert: attention mask of %d for a %dx%d batch", len(in.AttentionMask), in.B, in.T)
	}
	for i, id := range in.InputIDs {
		if id < 0 || int(id) >= cfg.VocabSize {
			return fmt.Errorf("distilbert: input id %d at position %d outside vocabulary of %d", id, i, cfg.VocabSize)
		}
	}
	return nil
}

// New builds a model for cfg with the random initialisation of transformers'
// DistilBertPreTrainedModel._init_weights (Linear and Embedding weights
// N(0, initializer_range²), biases 0, LayerNorm 1/0, the padding row of the
// word embeddings 0), drawn from a PCG stream seeded with seed.
func New(cfg Config, seed uint64) (*ForMaskedLM, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := build(cfg)
	r := rand.New(rand.NewPCG(seed, 0x64697374696c6762)) // "distilgb"
	std := float64(cfg.InitializerRange)
	for i, name := range m.Params.Names {
		p := m.Params.Params[i]
		switch {
		case nn.IsLayerNormParam(name) && strings.HasSuffix(name, ".weight"):
			fill(p.Host(), 1)
		case strings.HasSuffix(name, ".bias"):
			fill(p.Host(), 0)
		default:
			nn.InitNormal(p, std, r)
		}
	}
	if pad := cfg.PadTokenID; pad >= 0 && pad < cfg.VocabSize {
		w := m.DistilBert.Embeddings.WordEmbeddings.Weight
		clear(w.Host()[pad*cfg.Dim : (pad+1)*cfg.Dim])
	}
	return m, nil
}

// build allocates the modules (zero parameters) and packs them.
func build(cfg Config) *ForMaskedLM {
	C, H := cfg.Dim, cfg.HiddenDim
	drop := float32(cfg.Dropout)
	act := cfg.activation()
	emb := &Embeddings{
		WordEmbeddings:     nn.NewEmbedding(cfg.VocabSize, C, cfg.PadTokenID),
		PositionEmbeddings: nn.NewEmbedding(cfg.MaxPositionEmbeddings, C, -1),
		LayerNorm:          nn.NewLayerNorm(C, layerNormEps),
		Dropout:            nn.NewDropout(drop),
	}
	model := &Model{Embeddings: emb}
	for i := 0; i < cfg.NLayers; i++ {
		model.Layers = append(model.Layers, &TransformerBlock{
			Attention: &MultiHeadSelfAttention{
				NHeads: cfg.NHeads,
				QLin:   nn.NewLinear(C, C, true), KLin: nn.NewLinear(C, C, true),
				VLin: nn.NewLinear(C, C, true), OutLin: nn.NewLinear(C, C, true),
				Dropout: nn.NewDropout(float32(cfg.AttentionDropout)),
			},
			SaLayerNorm:     nn.NewLayerNorm(C, layerNormEps),
			FFN:             &FFN{Lin1: nn.NewLinear(C, H, true), Lin2: nn.NewLinear(H, C, true), Dropout: nn.NewDropout(drop), Act: act},
			OutputLayerNorm: nn.NewLayerNorm(C, layerNormEps),
		})
	}
	m := &ForMaskedLM{
		Config:         cfg,
		DistilBert:     model,
		VocabTransform: nn.NewLinear(C, C, true),
		VocabLayerNorm: nn.NewLayerNorm(C, layerNormEps),
		VocabProjector: &nn.Linear{Weight: emb.WordEmbeddings.Weight, Bias: tensor.New(cfg.VocabSize).SetRequiresGrad(true)},
	}
	m.Params = nn.Pack(m)
	return m
}

// VisitParams visits every parameter under its transformers state-dict name;
// vocab_projector.weight is the word-embedding tensor (tied).
func (m *ForMaskedLM) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	m.DistilBert.VisitParams(nn.Join(prefix, "distilbert"), visit)
	m.VocabTransform.VisitParams(nn.Join(prefix, "vocab_transform"), visit)
	m.VocabLayerNorm.VisitParams(nn.Join(prefix, "vocab_layer_norm"), visit)
	m.VocabProjector.VisitParams(nn.Join(prefix, "vocab_projector"), visit)
}

// Train sets dropout on (training) or off (evaluation).
func (m *ForMaskedLM) Train(on bool) { m.DistilBert.Train(on) }

// Hidden returns the encoder output [B*T, C].
func (m *ForMaskedLM) Hidden(tp *tensor.Tape, in Input) (*tensor.Tensor, error) {
	if err := in.check(m.Config); err != nil {
		return nil, err
	}
	dev, err := tensor.WithPrecision(tp.Device(), m.Precision)
	if err != nil {
		return nil, fmt.Errorf("distilbert: %w", err)
	}
	tp.SetDevice(dev)
	return m.DistilBert.Forward(tp, in), nil
}

// head applies the MLM head to hidden states [N, C] and returns logits [N, V].
func (m *ForMaskedLM) head(tp *tensor.Tape, h *tensor.Tensor) *tensor.Tensor {
	x := m.Config.activation()(tp, m.VocabTransform.Forward(tp, h))
	x = m.VocabLayerNorm.Forward(tp, x)
	return m.VocabProjector.Forward(tp, x)
}

// Logits returns the full MLM logits [B*T, V] (inference).
func (m *ForMaskedLM) Logits(tp *tensor.Tape, in Input) (*tensor.Tensor, error) {
	h, err := m.Hidden(tp, in)
	if err != nil {
		return nil, err
	}
	return m.head(tp, h), nil
}

// LogitsAt returns the MLM logits [len(pos), V] at the flat positions pos
// (indices into the B*T tokens) only: what fill-mask needs.
func (m *ForMaskedLM) LogitsAt(tp *tensor.Tape, in Input, pos []int32) (*tensor.Tensor, error) {
	for _, p := range pos {
		if p < 0 || int(p) >= in.B*in.T {
			return nil, fmt.Errorf("distilbert: position %d outside the %dx%d batch", p, in.B, in.T)
		}
	}
	h, err := m.Hidden(tp, in)
	if err != nil {
		return nil, err
	}
	return m.head(tp, tp.Gather(h, pos, -1)), nil
}

// LossSum returns the summed MLM cross-entropy over the positions whose
// label is not -100, and their count. Only those positions go through the
// MLM head (the others cannot change the loss), which saves most of the
// head's work; loss and gradients equal those of the full computation.
func (m *ForMaskedLM) LossSum(tp *tensor.Tape, in Input, labels []int32) (*tensor.Tensor, int, error) {
	if len(labels) != in.B*in.T {
		return nil, 0, fmt.Errorf("distilbert: %d labels for a %dx%d batch", len(labels), in.B, in.T)
	}
	for i, l := range labels {
		if l != tensor.IgnoreIndex && (l < 0 || int(l) >= m.Config.VocabSize) {
			return nil, 0, fmt.Errorf("distilbert: label %d at position %d outside vocabulary of %d", l, i, m.Config.VocabSize)
		}
	}
	h, err := m.Hidden(tp, in)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for _, l := range labels {
		if l != tensor.IgnoreIndex {
			n++
		}
	}
	pos, lab := tp.ScratchInt32(n), tp.ScratchInt32(n)
	n = 0
	for i, l := range labels {
		if l != tensor.IgnoreIndex {
			pos[n], lab[n] = int32(i), l
			n++
		}
	}
	if n == 0 { // no label: loss 0 that depends on nothing, so no gradient
		return tensor.Scalar(0), 0, nil
	}
	logits := m.head(tp, tp.Gather(h, pos, -1)) // [n, V]
	loss, count := tp.CrossEntropySum(logits, lab)
	return loss, count, nil
}

// Loss returns the mean MLM cross-entropy over labelled positions (0 when
// there are none), as transformers' DistilBertForMaskedLM computes it.
func (m *ForMaskedLM) Loss(tp *tensor.Tape, in Input, labels []int32) (*tensor.Tensor, int, error) {
	sum, n, err := m.LossSum(tp, in, labels)
	if err != nil || n == 0 {
		return sum, n, err
	}
	return tp.Scale(sum, 1/float32(n)), n, nil
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}
