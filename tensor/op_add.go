package tensor

// Add returns a + b (same shapes).
func (tp *Tape) Add(a, b *Tensor) *Tensor { return tp.addSub("Add", a, b, 1) }

// Sub returns a - b (same shapes).
func (tp *Tape) Sub(a, b *Tensor) *Tensor { return tp.addSub("Sub", a, b, -1) }

// addSub returns a + sign*b for sign ±1.
func (tp *Tape) addSub(name string, a, b *Tensor, sign float32) *Tensor {
	if !sameShape(a, b) {
		shapePanic(name, "shapes differ: %v and %v", a.Shape(), b.Shape())
	}
	out := tp.alloc(false, a.Shape()...)
	if sign == 1 {
		tp.dev.Add(out, a, b)
	} else {
		tp.dev.Copy(out, a)
		tp.dev.Axpy(-1, b, out)
	}
	if tp.recording(a, b, nil) {
		nd := newNode(tp, &tp.ops.add)
		*nd = addOp{a: a, b: b, sign: sign}
		tp.record(out, nd, a, b, nil)
	}
	return out
}

// addOp is a recorded Add (sign 1) or Sub (sign -1).
type addOp struct {
	a, b *Tensor
	sign float32
}

func (op *addOp) backward(tp *Tape, out *Tensor) {
	dy := out.Grad // passGrad may hand it to a; it still holds dy
	if req(op.a) {
		tp.passGrad(out, op.a)
	}
	if req(op.b) {
		tp.dev.Axpy(op.sign, dy, tp.grad(op.b))
	}
}
