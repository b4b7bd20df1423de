package tensor

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
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.softmax)
		*nd = softmaxOp{x: x, mask: mask, rows: rows, cols: cols, rowsPerMask: rowsPerMask, scale: scale}
		tp.record(out, nd, x, nil, nil)
	}
	return out
}

// softmaxOp is a recorded Softmax; its backward reads the output.
type softmaxOp struct {
	x                       *Tensor
	mask                    []float32
	rows, cols, rowsPerMask int
	scale                   float32
}

func (op *softmaxOp) backward(tp *Tape, out *Tensor) {
	tp.dev.SoftmaxBackward(tp.grad(op.x), out, out.Grad, op.rows, op.cols, op.scale, op.mask, op.rowsPerMask)
}
