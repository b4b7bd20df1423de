// Package nn provides layers with PyTorch-style named parameters (Linear,
// Embedding, LayerNorm, Dropout, GELU), the Module interface that lists them
// by dotted name, and ParamSet, which packs every parameter and gradient of a
// model into two contiguous buffers (the optimizer keeps its moments in
// buffers of the same layout: trainer.AdamW).
package nn

import (
	"math/rand/v2"

	"github.com/distilgo/distilgo/tensor"
)

// Module is a layer or a model made of layers.
type Module interface {
	// VisitParams calls visit for each parameter with its dotted name under
	// prefix ("layer.0.attention.q_lin.weight"), in a fixed order. A tied
	// parameter is visited once per name it has.
	VisitParams(prefix string, visit func(name string, p *tensor.Tensor))
	// Train switches dropout on (training) or off (evaluation) in the module
	// and all its children, as torch.nn.Module.train(on).
	Train(on bool)
}

// Join returns prefix.name, or name when prefix is empty.
func Join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Linear is torch.nn.Linear: y = x·Wᵀ + b with W stored [out, in].
type Linear struct {
	Weight *tensor.Tensor // [out, in]
	Bias   *tensor.Tensor // [out], nil without bias
}

// NewLinear returns a Linear layer with zero parameters that require gradients.
func NewLinear(in, out int, bias bool) *Linear {
	l := &Linear{Weight: tensor.New(out, in).SetRequiresGrad(true)}
	if bias {
		l.Bias = tensor.New(out).SetRequiresGrad(true)
	}
	return l
}

// Forward maps x [..., in] to [..., out].
func (l *Linear) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tp.Linear(x, l.Weight, l.Bias)
}

// VisitParams visits weight and bias.
func (l *Linear) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	visit(Join(prefix, "weight"), l.Weight)
	if l.Bias != nil {
		visit(Join(prefix, "bias"), l.Bias)
	}
}

// Train is a no-op: Linear has no dropout.
func (l *Linear) Train(bool) {}

// Embedding is torch.nn.Embedding: a lookup table of rows.
type Embedding struct {
	Weight     *tensor.Tensor // [num, dim]
	PaddingIdx int            // row kept at zero by initialisation; -1 for none
}

// NewEmbedding returns a zero table of num rows of dim values.
func NewEmbedding(num, dim, paddingIdx int) *Embedding {
	return &Embedding{Weight: tensor.New(num, dim).SetRequiresGrad(true), PaddingIdx: paddingIdx}
}

// Forward returns the rows ids as a [len(ids), dim] tensor. As with
// PyTorch's padding_idx, the padding row receives no gradient from lookups.
func (e *Embedding) Forward(tp *tensor.Tape, ids []int32) *tensor.Tensor {
	return tp.Gather(e.Weight, ids, e.PaddingIdx)
}

// VisitParams visits weight.
func (e *Embedding) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	visit(Join(prefix, "weight"), e.Weight)
}

// Train is a no-op.
func (e *Embedding) Train(bool) {}

// LayerNorm is torch.nn.LayerNorm over the last axis with affine parameters.
type LayerNorm struct {
	Weight, Bias *tensor.Tensor // [dim]
	Eps          float32
}

// NewLayerNorm returns a LayerNorm with weight 1 and bias 0.
func NewLayerNorm(dim int, eps float32) *LayerNorm {
	ln := &LayerNorm{Weight: tensor.New(dim).SetRequiresGrad(true), Bias: tensor.New(dim).SetRequiresGrad(true), Eps: eps}
	ln.Reset()
	return ln
}

// Reset sets weight to 1 and bias to 0.
func (ln *LayerNorm) Reset() {
	for i := range ln.Weight.Host() {
		ln.Weight.Host()[i] = 1
	}
	clear(ln.Bias.Host())
}

// Forward normalizes x [..., dim].
func (ln *LayerNorm) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return tp.LayerNorm(x, ln.Weight, ln.Bias, ln.Eps)
}

// VisitParams visits weight and bias.
func (ln *LayerNorm) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	visit(Join(prefix, "weight"), ln.Weight)
	visit(Join(prefix, "bias"), ln.Bias)
}

// Train is a no-op.
func (ln *LayerNorm) Train(bool) {}

// Dropout is torch.nn.Dropout: active only in training mode.
type Dropout struct {
	P        float32
	Training bool
}

// NewDropout returns a Dropout in training mode.
func NewDropout(p float32) *Dropout { return &Dropout{P: p, Training: true} }

// Forward applies dropout in training mode and returns x unchanged otherwise.
func (d *Dropout) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	if !d.Training || d.P == 0 {
		return x
	}
	return tp.Dropout(x, d.P)
}

// VisitParams visits nothing.
func (d *Dropout) VisitParams(string, func(string, *tensor.Tensor)) {}

// Train sets the mode.
func (d *Dropout) Train(on bool) { d.Training = on }

// GELU is torch.nn.GELU() (the exact erf form).
type GELU struct{}

// Forward returns gelu(x).
func (GELU) Forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor { return tp.Gelu(x) }

// InitNormal fills t with samples of N(0, std²) from r.
func InitNormal(t *tensor.Tensor, std float64, r *rand.Rand) {
	for i := range t.Host() {
		t.Host()[i] = float32(r.NormFloat64() * std)
	}
}
