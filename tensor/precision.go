package tensor

import (
	"fmt"

	"github.com/distilgo/distilgo/kernels"
)

// Precision selects the arithmetic of matrix products, as PyTorch's autocast
// does: FP32 computes everything in float32; BF16 rounds the operands of
// every matmul (forward and backward, attention included) to bfloat16 and
// accumulates in float32, while everything else (parameters, gradients,
// optimizer state, softmax, layer norm, GELU, losses, reductions) stays
// float32.
type Precision uint8

const (
	FP32 Precision = iota
	BF16
)

// String returns the flag spelling: "fp32" or "bf16".
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision parses "fp32" or "bf16".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32":
		return FP32, nil
	case "bf16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// cpuBF16 is the CPU device with BF16 matmuls (kernels.SgemmBF16), what
// WithPrecision(CPU, BF16) returns: on CPUs
// with bf16 dot products (kernels level avx512bf16) they run on VDPBF16PS,
// elsewhere on an emulation with the same rounding (see
// kernels.BF16Hardware). Every other op is CPU's.
var cpuBF16 Device = cpuBF16Device{}

type cpuBF16Device struct{ cpuDevice }

func (cpuBF16Device) Name() string { return "cpu-bf16" }

func (cpuBF16Device) Gemm(transA, transB bool, batch, m, n, k int, alpha float32, a, b *Tensor, beta float32, c *Tensor) {
	lda, ldb := packedLD(transA, transB, m, n, k)
	if batch == 1 {
		kernels.SgemmBF16(transA, transB, m, n, k, alpha, a.data, lda, b.data, ldb, beta, c.data, n)
		return
	}
	kernels.SgemmBF16Batched(transA, transB, m, n, k, alpha, a.data, lda, m*k, b.data, ldb, k*n, beta, c.data, n, m*n, batch)
}

func (cpuBF16Device) GemmStrided(transA, transB bool, batch, m, n, k int, alpha float32,
	a *Tensor, offA, lda, strideA int, b *Tensor, offB, ldb, strideB int,
	beta float32, c *Tensor, offC, ldc, strideC int) {
	kernels.SgemmBF16Batched(transA, transB, m, n, k, alpha, a.data[offA:], lda, strideA, b.data[offB:], ldb, strideB, beta, c.data[offC:], ldc, strideC, batch)
}

// WithPrecision returns the device that runs d's ops with matmuls at
// precision p: CPU, or for BF16 the CPU device with bf16 matmuls
// (kernels.SgemmBF16; on CPUs with bf16 dot products, level avx512bf16,
// they run on VDPBF16PS, elsewhere on an emulation with the same rounding).
// It fails for other devices (a GPU backend has
// no bf16 path yet).
func WithPrecision(d Device, p Precision) (Device, error) {
	switch {
	case d == CPU || d == cpuBF16:
		if p == BF16 {
			return cpuBF16, nil
		}
		return CPU, nil
	case p == FP32:
		return d, nil
	}
	return nil, fmt.Errorf("precision %s is not supported on device %s", p, d.Name())
}

// Packed weights. Every product that reads a weight reads it as B (forward
// x·Wᵀ, backward dY·W), and SgemmBF16 converts B to bf16 and packs it in
// each product, once per thread that does not split B's columns. On the
// avx512bf16 level cpuBF16 instead converts and packs each weight once per
// pass of a tape (kernels.PackBF16B) and runs its products from the packed
// copy (kernels.SgemmBF16PackedB), which gives the same bits.
//
// Staleness: the packed copies belong to the tape and are dropped by Reset
// and at the end of Backward, so they live within one pass, during which
// the weights cannot change (the backward pass reads them too; an optimizer
// step runs after Backward). A no-grad tape keeps them until Reset: write
// a weight only between Resets, as training and evaluation loops do. A tape
// with fixed weights (SetWeightsFixed, inference only) keeps them for good.

// weightGemmer is a Device whose products can read a weight from a packed
// copy kept in a tape's packedWeights.
type weightGemmer interface {
	// gemmWeight runs c = x·op(w) + beta*c (x m×k, op(w) k×n, op(w) =
	// wᵀ when transW) on the device, through ws.
	gemmWeight(ws *packedWeights, transW bool, m, n, k int, x, w *Tensor, beta float32, c *Tensor)
}

// packedWeights holds a tape's packed weights, one layout per weight at a
// time (the forward NT and backward NN products want different panels), so
// their memory is at most about half of the float32 weights it has read.
// Entries stay allocated when dropped and are repacked in place next pass.
type packedWeights struct {
	byWeight map[*Tensor]*packedWeight
	// fixed (Tape.SetWeightsFixed): the weights do not change while set,
	// so bf16 rows converted for small products are kept across passes.
	fixed  bool
	byRows map[*Tensor]*kernels.BF16Rows
}

type packedWeight struct {
	pb    *kernels.BF16PackedB
	valid bool
}

// has reports whether this pass has packed op(w) (k×n) already.
func (ws *packedWeights) has(w *Tensor, transW bool, k, n int) bool {
	e := ws.byWeight[w]
	if e == nil || !e.valid {
		return false
	}
	t, pk, pn := e.pb.Shape()
	return t == transW && pk == k && pn == n
}

// get returns w's packed op(w) (k×n), packing it if this pass has not yet,
// or has packed the other layout.
func (ws *packedWeights) get(w *Tensor, transW bool, k, n int) *kernels.BF16PackedB {
	if ws.has(w, transW, k, n) {
		return ws.byWeight[w].pb
	}
	e := ws.byWeight[w]
	if e == nil {
		if ws.byWeight == nil {
			ws.byWeight = map[*Tensor]*packedWeight{}
		}
		e = &packedWeight{}
		ws.byWeight[w] = e
	}
	ldb := n
	if transW {
		ldb = k
	}
	e.pb = kernels.PackBF16B(e.pb, transW, k, n, w.data, ldb)
	e.valid = true
	return e.pb
}

// invalidate drops every packed weight (keeping the memory).
func (ws *packedWeights) invalidate() {
	if ws.fixed {
		return // the weights do not change (Tape.SetWeightsFixed)
	}
	for _, e := range ws.byWeight {
		e.valid = false
	}
}

// rows returns w's bf16 rows (w n×k), converting them the first time.
func (ws *packedWeights) rows(w *Tensor, n, k int) *kernels.BF16Rows {
	r := ws.byRows[w]
	if r != nil {
		if rn, rk := r.Shape(); rn == n && rk == k {
			return r
		}
	}
	if ws.byRows == nil {
		ws.byRows = map[*Tensor]*kernels.BF16Rows{}
	}
	r = kernels.ConvertBF16Rows(r, n, k, w.data, k)
	ws.byRows[w] = r
	return r
}

// Bytes returns the memory of the packed weights.
func (ws *packedWeights) bytes() int {
	n := 0
	for _, e := range ws.byWeight {
		n += e.pb.Bytes()
	}
	for _, r := range ws.byRows {
		n += r.Bytes()
	}
	return n
}

// gemmWeight reads w's packed copy when this pass has one in this layout,
// or when packing it once saves work in this very product (its threads
// would each pack all of w); elsewhere SgemmBF16 packs w in the product,
// per block, with no copy of the whole weight (which, written out and read
// back, costs more memory traffic than it saves when read once).
//
// With fixed weights (Tape.SetWeightsFixed: inference), every weight is
// converted once and kept across passes: a small product x·Wᵀ (a few
// tokens) reads W from bf16 rows, half the bytes of the float32 rows it
// streams otherwise; the others read W's packed copy, which no pass then
// converts and packs again (28% of the CPU time of bf16 serving at 32
// clients, BENCHMARKS.md). The same bits either way.
func (cpuBF16Device) gemmWeight(ws *packedWeights, transW bool, m, n, k int, x, w *Tensor, beta float32, c *Tensor) {
	if ws.fixed && transW && kernels.BF16RowsRead(m, k) {
		kernels.SgemmBF16Rows(m, n, k, 1, x.data, k, ws.rows(w, n, k), beta, c.data, n)
		return
	}
	if ws.fixed || ws.has(w, transW, k, n) || kernels.BF16PackedBSaves(false, transW, m, n, k) {
		kernels.SgemmBF16PackedB(false, m, n, k, 1, x.data, k, ws.get(w, transW, k, n), beta, c.data, n)
		return
	}
	cpuBF16.Gemm(false, transW, 1, m, n, k, 1, x, w, beta, c)
}

// gemmWeight runs c = x·op(w) + beta*c for a weight w on the tape's device,
// through the tape's packed weights where the device keeps them.
func (tp *Tape) gemmWeight(transW bool, m, n, k int, x, w *Tensor, beta float32, c *Tensor) {
	if g, ok := tp.dev.(weightGemmer); ok {
		g.gemmWeight(&tp.weights, transW, m, n, k, x, w, beta, c)
		return
	}
	tp.dev.Gemm(false, transW, 1, m, n, k, 1, x, w, beta, c)
}

// SetWeightsFixed declares that the weights the tape's products read do
// not change while fixed is true (inference: pipeline.FillMask's tapes).
// On the bf16 device, small products (a few tokens against a weight) then
// read each weight from bf16 rows converted on first use and kept across
// Reset, for half the memory traffic; the results are the same bits.
// Larger products read a packed copy of each weight (kernels.BF16PackedB),
// likewise kept across Reset instead of made again each pass. Setting it
// false drops the copies. Changing a weight while it is set leaves
// products reading the old values.
func (tp *Tape) SetWeightsFixed(fixed bool) {
	tp.weights.fixed = fixed
	if !fixed {
		tp.weights.byRows = nil
		tp.weights.invalidate()
	}
}

// packedWeightBytes returns the memory the tape holds in packed bf16 weights
// (0 unless it has run bf16 products on the avx512bf16 level).
func (tp *Tape) packedWeightBytes() int { return tp.weights.bytes() }
