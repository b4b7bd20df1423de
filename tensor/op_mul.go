package tensor

// Mul returns a * b elementwise (same shapes).
func (tp *Tape) Mul(a, b *Tensor) *Tensor {
	if !sameShape(a, b) {
		shapePanic("Mul", "shapes differ: %v and %v", a.Shape(), b.Shape())
	}
	out := tp.alloc(false, a.Shape()...)
	tp.dev.Mul(out, a, b)
	if tp.recording(a, b, nil) {
		nd := newNode(tp, &tp.ops.mul)
		*nd = mulOp{a: a, b: b}
		tp.record(out, nd, a, b, nil)
	}
	return out
}

// mulOp is a recorded Mul.
type mulOp struct{ a, b *Tensor }

func (op *mulOp) backward(tp *Tape, out *Tensor) {
	if req(op.a) {
		tp.dev.MulAcc(tp.grad(op.a), out.Grad, op.b)
	}
	if req(op.b) {
		tp.dev.MulAcc(tp.grad(op.b), out.Grad, op.a)
	}
}
