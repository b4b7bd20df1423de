package tensor

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
	if tp.recording(x, w, b) {
		nd := newNode(tp, &tp.ops.linear)
		*nd = linearOp{x: x, w: w, b: b, rows: rows, out: o, in: in}
		tp.record(out, nd, x, w, b)
	}
	return out
}

// linearOp is a recorded Linear: x is rows×in, w out×in, b out or nil.
type linearOp struct {
	x, w, b       *Tensor
	rows, out, in int
}

func (op *linearOp) backward(tp *Tape, out *Tensor) {
	rows, o, in := op.rows, op.out, op.in
	dy := out.Grad
	if req(op.x) { // dx (rows×in) += dy (rows×out) · w (out×in)
		dx, beta := tp.gradBeta(op.x)
		tp.gemmWeight(false, rows, in, o, dy, op.w, beta, dx)
	}
	if req(op.w) { // dw (out×in) += dyᵀ · x
		dw, beta := tp.gradBeta(op.w)
		tp.dev.Gemm(true, false, 1, o, in, rows, 1, dy, op.x, beta, dw)
	}
	if req(op.b) {
		tp.dev.SumRows(tp.grad(op.b), dy, rows, o)
	}
}
