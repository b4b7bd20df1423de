package tensor

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
	if tp.recording(x, w, b) {
		nd := newNode(tp, &tp.ops.layerNorm)
		*nd = layerNormOp{x: x, w: w, b: b, mean: mean, rstd: rstd, rows: rows, cols: cols}
		tp.record(out, nd, x, w, b)
	}
	return out
}

// layerNormOp is a recorded LayerNorm with the per-row mean and reciprocal
// standard deviation of its forward pass.
type layerNormOp struct {
	x, w, b    *Tensor
	mean, rstd *Tensor
	rows, cols int
}

func (op *layerNormOp) backward(tp *Tape, out *Tensor) {
	var dw, db *Tensor
	if req(op.w) {
		dw = tp.grad(op.w)
	}
	if req(op.b) {
		db = tp.grad(op.b)
	}
	// The kernel always produces dx; when x needs no gradient it goes to a
	// scratch buffer.
	var dx *Tensor
	if req(op.x) {
		dx = tp.grad(op.x)
	} else {
		dx = tp.alloc(true, op.x.Shape()...)
	}
	tp.dev.LayerNormBackward(dx, dw, db, out.Grad, op.x, op.w, op.mean, op.rstd, op.rows, op.cols)
}
