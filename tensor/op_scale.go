package tensor

// Scale returns s * a.
func (tp *Tape) Scale(a *Tensor, s float32) *Tensor {
	out := tp.alloc(false, a.Shape()...)
	tp.dev.Copy(out, a)
	tp.dev.Scale(s, out)
	if tp.recording(a, nil, nil) {
		nd := newNode(tp, &tp.ops.scale)
		*nd = scaleOp{a: a, s: s}
		tp.record(out, nd, a, nil, nil)
	}
	return out
}

// scaleOp is a recorded Scale.
type scaleOp struct {
	a *Tensor
	s float32
}

func (op *scaleOp) backward(tp *Tape, out *Tensor) {
	tp.dev.Axpy(op.s, out.Grad, tp.grad(op.a))
}
