package tensor

import (
	"fmt"
	"math"
)

// IgnoreIndex is the label value that cross-entropy skips, as PyTorch's
// ignore_index default and Hugging Face's MLM labels use it.
const IgnoreIndex = -100

type opKind uint8

const (
	opMatMul opKind = iota + 1
	opLinear
	opAdd
	opSub
	opMul
	opScale
	opAddBias
	opPermute
	opSoftmax
	opLayerNorm
	opGelu
	opDropout
	opGather
	opCrossEntropy
	opSum
	opAttention
)

// node is one recorded op: its output, inputs, and what backward needs.
type node struct {
	op         opKind
	out        *Tensor
	a, b, c    *Tensor   // inputs
	s1, s2     *Tensor   // saved buffers (mean/rstd, dropout mask, dlogits)
	idx        []int32   // gather indices
	mask       []float32 // softmax additive mask
	i          [5]int    // sizes
	f, f2      float32
	tA, tB     bool
	perm, dims [MaxRank]int
	seed       uint64 // dropout stream
}

// record appends n if any input requires gradients and marks n.out.
func (tp *Tape) record(n node) {
	if tp.noGrad {
		return
	}
	if !(req(n.a) || req(n.b) || req(n.c)) {
		return
	}
	n.out.requiresGrad = true
	tp.nodes = append(tp.nodes, n)
}

func req(t *Tensor) bool { return t != nil && t.requiresGrad }

// recording reports whether an op with these inputs will be recorded.
func (tp *Tape) recording(ts ...*Tensor) bool {
	if tp.noGrad {
		return false
	}
	for _, t := range ts {
		if req(t) {
			return true
		}
	}
	return false
}

// MatMul returns op(a)·op(b) over the last two axes, where op transposes when
// the flag is set. a and b have the same rank (2 to 4) and the same leading
// (batch) dims: a is [..., M, K] ([..., K, M] with transA), b is [..., K, N]
// ([..., N, K] with transB); the result is [..., M, N].
func (tp *Tape) MatMul(a, b *Tensor, transA, transB bool) *Tensor {
	if a.rank < 2 || a.rank != b.rank {
		shapePanic("MatMul", "ranks %v and %v: need equal ranks >= 2", a.Shape(), b.Shape())
	}
	batch := 1
	for i := 0; i < a.rank-2; i++ {
		if a.dims[i] != b.dims[i] {
			shapePanic("MatMul", "batch dims differ: %v vs %v", a.Shape(), b.Shape())
		}
		batch *= a.dims[i]
	}
	m, k := a.Dim(-2), a.Dim(-1)
	if transA {
		m, k = k, m
	}
	kb, n := b.Dim(-2), b.Dim(-1)
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		shapePanic("MatMul", "inner dims differ: %v (transA=%v) x %v (transB=%v)", a.Shape(), transA, b.Shape(), transB)
	}
	var shape [MaxRank]int
	copy(shape[:], a.Shape())
	shape[a.rank-2], shape[a.rank-1] = m, n
	out := tp.alloc(k == 0, shape[:a.rank]...)
	tp.dev.Gemm(transA, transB, batch, m, n, k, 1, a, b, 0, out)
	tp.record(node{op: opMatMul, out: out, a: a, b: b, i: [5]int{batch, m, n, k}, tA: transA, tB: transB})
	return out
}

func (tp *Tape) matMulBackward(nd *node) {
	batch, m, n, k := nd.i[0], nd.i[1], nd.i[2], nd.i[3]
	dc := nd.out.Grad
	if req(nd.a) {
		da, beta := tp.gradBeta(nd.a)
		if !nd.tA { // dA (M×K) += dC · op(B)ᵀ
			tp.dev.Gemm(false, !nd.tB, batch, m, k, n, 1, dc, nd.b, beta, da)
		} else { // dA (K×M) += op(B) · dCᵀ
			tp.dev.Gemm(nd.tB, true, batch, k, m, n, 1, nd.b, dc, beta, da)
		}
	}
	if req(nd.b) {
		db, beta := tp.gradBeta(nd.b)
		if !nd.tB { // dB (K×N) += op(A)ᵀ · dC
			tp.dev.Gemm(!nd.tA, false, batch, k, n, m, 1, nd.a, dc, beta, db)
		} else { // dB (N×K) += dCᵀ · op(A)
			tp.dev.Gemm(true, nd.tA, batch, n, k, m, 1, dc, nd.a, beta, db)
		}
	}
}

// Linear returns x·wᵀ + b as torch.nn.functional.linear: x is [..., in],
// w is [out, in], b is [out] or nil; the result is [..., out].
func (tp *Tape) Linear(x, w, b *Tensor) *Tensor {
	if w.rank != 2 || x.rank < 1 || x.Dim(-1) != w.dims[1] {
		shapePanic("Linear", "x %v, weight %v: need x [..., in] and weight [out, in]", x.Shape(), w.Shape())
	}
	if b != nil && (b.rank != 1 || b.dims[0] != w.dims[0]) {
		shapePanic("Linear", "bias %v for weight %v: need [out]", b.Shape(), w.Shape())
	}
	in, o := w.dims[1], w.dims[0]
	rows := x.Size() / max(in, 1)
	var shape [MaxRank]int
	copy(shape[:], x.Shape())
	shape[x.rank-1] = o
	out := tp.alloc(false, shape[:x.rank]...)
	tp.gemmWeight(true, rows, o, in, x, w, 0, out)
	if b != nil {
		tp.dev.AddRowVector(out, b, rows, o)
	}
	tp.record(node{op: opLinear, out: out, a: x, b: w, c: b, i: [5]int{rows, o, in}})
	return out
}

func (tp *Tape) linearBackward(nd *node) {
	rows, o, in := nd.i[0], nd.i[1], nd.i[2]
	dy := nd.out.Grad
	if req(nd.a) { // dx (rows×in) += dy (rows×out) · w (out×in)
		dx, beta := tp.gradBeta(nd.a)
		tp.gemmWeight(false, rows, in, o, dy, nd.b, beta, dx)
	}
	if req(nd.b) { // dw (out×in) += dyᵀ · x
		dw, beta := tp.gradBeta(nd.b)
		tp.dev.Gemm(true, false, 1, o, in, rows, 1, dy, nd.a, beta, dw)
	}
	if req(nd.c) {
		tp.dev.SumRows(tp.grad(nd.c), dy, rows, o)
	}
}

func (tp *Tape) elementwise(op string, kind opKind, a, b *Tensor) *Tensor {
	if !sameShape(a, b) {
		shapePanic(op, "shapes differ: %v and %v", a.Shape(), b.Shape())
	}
	out := tp.alloc(false, a.Shape()...)
	switch kind {
	case opAdd:
		tp.dev.Add(out, a, b)
	case opSub:
		tp.dev.Copy(out, a)
		tp.dev.Axpy(-1, b, out)
	case opMul:
		tp.dev.Mul(out, a, b)
	}
	tp.record(node{op: kind, out: out, a: a, b: b})
	return out
}

// Add returns a + b (same shapes).
func (tp *Tape) Add(a, b *Tensor) *Tensor { return tp.elementwise("Add", opAdd, a, b) }

// Sub returns a - b (same shapes).
func (tp *Tape) Sub(a, b *Tensor) *Tensor { return tp.elementwise("Sub", opSub, a, b) }

// Mul returns a * b elementwise (same shapes).
func (tp *Tape) Mul(a, b *Tensor) *Tensor { return tp.elementwise("Mul", opMul, a, b) }

// Scale returns s * a.
func (tp *Tape) Scale(a *Tensor, s float32) *Tensor {
	out := tp.alloc(false, a.Shape()...)
	tp.dev.Copy(out, a)
	tp.dev.Scale(s, out)
	tp.record(node{op: opScale, out: out, a: a, f: s})
	return out
}

// AddBias returns x + b broadcast over rows: x is [..., n], b is [n].
func (tp *Tape) AddBias(x, b *Tensor) *Tensor {
	if b.rank != 1 || x.rank < 1 || x.Dim(-1) != b.dims[0] {
		shapePanic("AddBias", "x %v, bias %v: need x [..., n] and bias [n]", x.Shape(), b.Shape())
	}
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Copy(out, x)
	n := b.dims[0]
	tp.dev.AddRowVector(out, b, x.Size()/max(n, 1), n)
	tp.record(node{op: opAddBias, out: out, a: x, b: b, i: [5]int{x.Size() / max(n, 1), n}})
	return out
}

// Reshape returns a view of x with a new shape of the same size; one
// dimension may be -1 and is then inferred. The view shares x's data and,
// when x requires gradients, its gradient.
func (tp *Tape) Reshape(x *Tensor, shape ...int) *Tensor {
	var s [MaxRank]int
	if len(shape) > MaxRank {
		shapePanic("Reshape", "rank %d > %d", len(shape), MaxRank)
	}
	copy(s[:], shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			shapePanic("Reshape", "bad shape %v", shape)
		default:
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		s[infer] = x.Size() / known
	}
	out := tp.arena.tensor()
	out.setShape("Reshape", s[:len(shape)])
	if out.Size() != x.Size() {
		shapePanic("Reshape", "cannot view %v as %v", x.Shape(), shape)
	}
	out.Data = x.Data
	out.Grad = nil
	out.requiresGrad = false
	if tp.recording(x) {
		g := tp.grad(x)
		gv := tp.arena.tensor()
		*gv = Tensor{Data: g.Data, dims: out.dims, rank: out.rank}
		out.Grad = gv
		out.requiresGrad = true
	}
	return out
}

// Permute returns a copy of x with its axes reordered: axis i of the result
// is axis perm[i] of x (torch.permute(...).contiguous()).
func (tp *Tape) Permute(x *Tensor, perm ...int) *Tensor {
	if len(perm) != x.rank {
		shapePanic("Permute", "perm %v for shape %v", perm, x.Shape())
	}
	var seen [MaxRank]bool
	var shape [MaxRank]int
	for i, p := range perm {
		if p < 0 || p >= x.rank || seen[p] {
			shapePanic("Permute", "perm %v is not a permutation of %d axes", perm, x.rank)
		}
		seen[p] = true
		shape[i] = x.dims[p]
	}
	out := tp.alloc(false, shape[:x.rank]...)
	tp.dev.Permute(out, x, x.Shape(), perm, false)
	nd := node{op: opPermute, out: out, a: x}
	copy(nd.perm[:], perm)
	copy(nd.dims[:], x.Shape())
	tp.record(nd)
	return out
}

func (tp *Tape) permuteBackward(nd *node) {
	r := nd.a.rank
	var inv [MaxRank]int
	for i := 0; i < r; i++ {
		inv[nd.perm[i]] = i
	}
	tp.dev.Permute(tp.grad(nd.a), nd.out.Grad, nd.out.Shape(), inv[:r], true)
}

// Softmax returns softmax over the last axis of scale*x + mask, where mask
// (may be nil) is an additive mask with one row of the last axis's length per
// rowsPerMask rows of x; a value of kernels.MaskedOut masks a position out
// as PyTorch's masked_fill(finfo.min) does (see kernels.SoftmaxRows). The
// mask is data, not a differentiable input.
func (tp *Tape) Softmax(x *Tensor, scale float32, mask []float32, rowsPerMask int) *Tensor {
	if x.rank < 1 {
		shapePanic("Softmax", "scalar input")
	}
	cols := x.Dim(-1)
	rows := x.Size() / max(cols, 1)
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Softmax(out, x, rows, cols, scale, mask, rowsPerMask)
	tp.record(node{op: opSoftmax, out: out, a: x, mask: mask, i: [5]int{rows, cols, rowsPerMask}, f: scale})
	return out
}

// LayerNorm normalizes over the last axis with affine weight w and bias b
// ([n] each), as torch.nn.LayerNorm(n, eps).
func (tp *Tape) LayerNorm(x, w, b *Tensor, eps float32) *Tensor {
	if x.rank < 1 || w.rank != 1 || b.rank != 1 || x.Dim(-1) != w.dims[0] || w.dims[0] != b.dims[0] {
		shapePanic("LayerNorm", "x %v, weight %v, bias %v: need x [..., n], weight and bias [n]", x.Shape(), w.Shape(), b.Shape())
	}
	cols := x.Dim(-1)
	rows := x.Size() / max(cols, 1)
	out := tp.alloc(false, x.Shape()...)
	mean := tp.alloc(false, rows)
	rstd := tp.alloc(false, rows)
	tp.dev.LayerNorm(out, mean, rstd, x, w, b, rows, cols, eps)
	tp.record(node{op: opLayerNorm, out: out, a: x, b: w, c: b, s1: mean, s2: rstd, i: [5]int{rows, cols}})
	return out
}

func (tp *Tape) layerNormBackward(nd *node) {
	var dw, db *Tensor
	if req(nd.b) {
		dw = tp.grad(nd.b)
	}
	if req(nd.c) {
		db = tp.grad(nd.c)
	}
	// The kernel always produces dx; when x needs no gradient it goes to a
	// scratch buffer.
	var dx *Tensor
	if req(nd.a) {
		dx = tp.grad(nd.a)
	} else {
		dx = tp.alloc(true, nd.a.Shape()...)
	}
	tp.dev.LayerNormBackward(dx, dw, db, nd.out.Grad, nd.a, nd.b, nd.s1, nd.s2, nd.i[0], nd.i[1])
}

// Gelu returns x·Φ(x), the exact (erf) GELU of torch.nn.GELU().
func (tp *Tape) Gelu(x *Tensor) *Tensor {
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Gelu(out, x)
	tp.record(node{op: opGelu, out: out, a: x})
	return out
}

// Dropout zeroes each element with probability p and scales the rest by
// 1/(1-p), as torch.nn.Dropout in training mode; it returns x itself when
// p == 0. The mask comes from the tape's counter-based stream (Tape.Seed).
func (tp *Tape) Dropout(x *Tensor, p float32) *Tensor {
	if p < 0 || p >= 1 {
		shapePanic("Dropout", "p=%v outside [0,1)", p)
	}
	if p == 0 {
		return x
	}
	// The mask is generated into a gradient-pool buffer, used, and given
	// back; backward regenerates it from the same stream position instead
	// of keeping it.
	mask := tp.pooledDirty(x)
	tp.dev.DropoutMask(mask, p, tp.seed, tp.offset)
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Mul(out, x, mask)
	tp.release(mask)
	tp.record(node{op: opDropout, out: out, a: x, f: p, i: [5]int{int(tp.offset)}, seed: tp.seed})
	tp.offset += uint64(x.Size())
	return out
}

// Gather returns rows idx of table ([rows, C]) as a [len(idx), C] tensor:
// an embedding lookup. Its backward scatter-adds into table's gradient,
// except into row paddingIdx (≥ 0), whose gradient is left untouched as
// torch.nn.Embedding(padding_idx=...) does; pass -1 for no padding row.
// An index outside the table panics.
func (tp *Tape) Gather(table *Tensor, idx []int32, paddingIdx int) *Tensor {
	if table.rank != 2 {
		shapePanic("Gather", "table %v: need [rows, C]", table.Shape())
	}
	if paddingIdx >= table.dims[0] {
		shapePanic("Gather", "paddingIdx %d outside table %v", paddingIdx, table.Shape())
	}
	c := table.dims[1]
	out := tp.alloc(false, len(idx), c)
	tp.dev.Gather(out, table, idx, c)
	tp.record(node{op: opGather, out: out, a: table, idx: idx, i: [5]int{c, paddingIdx}})
	return out
}

func (tp *Tape) gatherBackward(nd *node) {
	c, pad := nd.i[0], nd.i[1]
	g := tp.grad(nd.a)
	if pad < 0 {
		tp.dev.ScatterAdd(g, nd.out.Grad, nd.idx, c)
		return
	}
	// Keep the padding row's gradient as it was: save, scatter, restore
	// (exact, and cheaper than filtering the indices).
	row := tp.alloc(false, c)
	padRow := FromData(g.Data[pad*c:pad*c+c], c)
	tp.dev.Copy(row, padRow)
	tp.dev.ScatterAdd(g, nd.out.Grad, nd.idx, c)
	tp.dev.Copy(padRow, row)
}

// CrossEntropy returns the mean softmax cross-entropy of logits [N, V]
// against labels [N], skipping labels equal to IgnoreIndex, as
// torch.nn.functional.cross_entropy(ignore_index=-100). With no label
// counted the loss is 0 and all gradients are zero (PyTorch gives NaN).
func (tp *Tape) CrossEntropy(logits *Tensor, labels []int32) *Tensor {
	n := countLabels(labels)
	scale := float32(0)
	if n > 0 {
		scale = 1 / float32(n)
	}
	return tp.crossEntropy("CrossEntropy", logits, labels, scale)
}

// CrossEntropySum returns the summed cross-entropy over the counted labels
// and their number. Gradient accumulation divides the sums of several
// micro-batches by their total count, so k micro-batches equal one batch.
func (tp *Tape) CrossEntropySum(logits *Tensor, labels []int32) (*Tensor, int) {
	return tp.crossEntropy("CrossEntropySum", logits, labels, 1), countLabels(labels)
}

func countLabels(labels []int32) int {
	n := 0
	for _, l := range labels {
		if l != IgnoreIndex {
			n++
		}
	}
	return n
}

func (tp *Tape) crossEntropy(op string, logits *Tensor, labels []int32, scale float32) *Tensor {
	if logits.rank != 2 || logits.dims[0] != len(labels) {
		shapePanic(op, "logits %v with %d labels: need [N, V] and N labels", logits.Shape(), len(labels))
	}
	rows, cols := logits.dims[0], logits.dims[1]
	var dl *Tensor
	if tp.recording(logits) {
		dl = tp.alloc(false, rows, cols)
	}
	sum, _ := tp.dev.CrossEntropy(dl, logits, labels, rows, cols, IgnoreIndex, scale)
	out := tp.alloc(false)
	out.Data[0] = float32(sum * float64(scale))
	tp.record(node{op: opCrossEntropy, out: out, a: logits, s1: dl})
	return out
}

// Sum returns the sum of all elements as a scalar.
func (tp *Tape) Sum(x *Tensor) *Tensor {
	out := tp.alloc(false)
	out.Data[0] = float32(tp.dev.Sum(x))
	tp.record(node{op: opSum, out: out, a: x, f: 1})
	return out
}

// Mean returns the mean of all elements as a scalar (0 for an empty tensor).
func (tp *Tape) Mean(x *Tensor) *Tensor {
	out := tp.alloc(false)
	f := float32(0)
	if x.Size() > 0 {
		f = 1 / float32(x.Size())
	}
	out.Data[0] = float32(tp.dev.Sum(x) * float64(f))
	tp.record(node{op: opSum, out: out, a: x, f: f})
	return out
}

// backward runs one recorded op's backward pass.
func (tp *Tape) backward(nd *node) {
	dy := nd.out.Grad
	switch nd.op {
	case opMatMul:
		tp.matMulBackward(nd)
	case opLinear:
		tp.linearBackward(nd)
	case opAdd, opSub:
		if req(nd.a) {
			tp.passGrad(nd, nd.a)
		}
		if req(nd.b) {
			s := float32(1)
			if nd.op == opSub {
				s = -1
			}
			tp.dev.Axpy(s, dy, tp.grad(nd.b))
		}
	case opMul:
		if req(nd.a) {
			tp.dev.MulAcc(tp.grad(nd.a), dy, nd.b)
		}
		if req(nd.b) {
			tp.dev.MulAcc(tp.grad(nd.b), dy, nd.a)
		}
	case opScale:
		tp.dev.Axpy(nd.f, dy, tp.grad(nd.a))
	case opAddBias:
		if req(nd.b) {
			tp.dev.SumRows(tp.grad(nd.b), dy, nd.i[0], nd.i[1])
		}
		if req(nd.a) {
			tp.passGrad(nd, nd.a)
		}
	case opPermute:
		tp.permuteBackward(nd)
	case opSoftmax:
		tp.dev.SoftmaxBackward(tp.grad(nd.a), nd.out, dy, nd.i[0], nd.i[1], nd.f, nd.mask, nd.i[2])
	case opLayerNorm:
		tp.layerNormBackward(nd)
	case opGelu:
		tp.dev.GeluBackward(tp.grad(nd.a), nd.a, dy)
	case opDropout:
		mask := tp.pooledDirty(nd.a)
		tp.dev.DropoutMask(mask, nd.f, nd.seed, uint64(nd.i[0]))
		tp.dev.MulAcc(tp.grad(nd.a), dy, mask)
		tp.release(mask)
	case opGather:
		tp.gatherBackward(nd)
	case opCrossEntropy:
		g := dy.Data[0]
		if !isFinite(g) {
			panic(fmt.Sprintf("tensor.Backward: non-finite upstream gradient %v into CrossEntropy", g))
		}
		tp.dev.Axpy(g, nd.s1, tp.grad(nd.a))
	case opAttention:
		tp.attentionBackward(nd)
	case opSum:
		// d(sum)/dx = f (1 for Sum, 1/n for Mean) times the upstream scalar.
		g := tp.alloc(false, nd.a.Shape()...)
		tp.dev.Fill(g, dy.Data[0]*nd.f)
		tp.dev.Axpy(1, g, tp.grad(nd.a))
	default:
		panic(fmt.Sprintf("tensor.Backward: unknown op %d", nd.op))
	}
}

// passGrad adds the node's output gradient to x's gradient (an identity
// edge). When x has no gradient yet, the output gradient's buffer is handed
// over instead of copied: it is dead after this node anyway. Callers use it
// last among the node's reads of the output gradient.
func (tp *Tape) passGrad(nd *node, x *Tensor) {
	dy := nd.out.Grad
	if x.Grad == nil {
		g := tp.arena.tensor()
		*g = Tensor{Data: dy.Data, dims: x.dims, rank: x.rank}
		x.Grad = g
		nd.out.Grad = nil // not released by Backward: x owns it now
		return
	}
	tp.dev.Axpy(1, dy, x.Grad)
}

func isFinite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }
