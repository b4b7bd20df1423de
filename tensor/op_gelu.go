package tensor

// Gelu returns x·Φ(x), the exact (erf) GELU of torch.nn.GELU().
func (tp *Tape) Gelu(x *Tensor) *Tensor {
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Gelu(out, x)
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.pointwise)
		*nd = pointwiseOp{x: x}
		tp.record(out, nd, x, nil, nil)
	}
	return out
}

// pointwiseOp is a recorded Gelu; its backward reads the input.
type pointwiseOp struct{ x *Tensor }

func (op *pointwiseOp) backward(tp *Tape, out *Tensor) {
	tp.dev.GeluBackward(tp.grad(op.x), op.x, out.Grad)
}
