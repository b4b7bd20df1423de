package tensor

// AddBias returns x + b broadcast over rows: x is [..., n], b is [n].
func (tp *Tape) AddBias(x, b *Tensor) *Tensor {
	if b.rank != 1 || x.rank < 1 || x.Dim(-1) != b.dims[0] {
		shapePanic("AddBias", "x %v, bias %v: need x [..., n] and bias [n]", x.Shape(), b.Shape())
	}
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Copy(out, x)
	n := b.dims[0]
	rows := x.Size() / max(n, 1)
	tp.dev.AddRowVector(out, b, rows, n)
	if tp.recording(x, b, nil) {
		nd := newNode(tp, &tp.ops.addBias)
		*nd = addBiasOp{x: x, b: b, rows: rows, cols: n}
		tp.record(out, nd, x, b, nil)
	}
	return out
}

// addBiasOp is a recorded AddBias: x is rows×cols, b cols.
type addBiasOp struct {
	x, b       *Tensor
	rows, cols int
}

func (op *addBiasOp) backward(tp *Tape, out *Tensor) {
	if req(op.b) {
		tp.dev.SumRows(tp.grad(op.b), out.Grad, op.rows, op.cols)
	}
	if req(op.x) {
		tp.passGrad(out, op.x)
	}
}
