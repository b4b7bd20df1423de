package tensor

// Sum returns the sum of all elements as a scalar.
func (tp *Tape) Sum(x *Tensor) *Tensor {
	out := tp.alloc(false)
	tp.dev.Sum(out, x, 1)
	tp.recordSum(out, x, 1)
	return out
}

// Mean returns the mean of all elements as a scalar (0 for an empty tensor).
func (tp *Tape) Mean(x *Tensor) *Tensor {
	out := tp.alloc(false)
	f := float32(0)
	if x.Size() > 0 {
		f = 1 / float32(x.Size())
	}
	tp.dev.Sum(out, x, f)
	tp.recordSum(out, x, f)
	return out
}

func (tp *Tape) recordSum(out, x *Tensor, f float32) {
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.sum)
		*nd = sumOp{x: x, f: f}
		tp.record(out, nd, x, nil, nil)
	}
}

// sumOp is a recorded Sum (f = 1) or Mean (f = 1/n).
type sumOp struct {
	x *Tensor
	f float32
}

func (op *sumOp) backward(tp *Tape, out *Tensor) {
	// d(sum)/dx = f times the upstream scalar (read on the device).
	tp.dev.AddScalar(tp.grad(op.x), out.Grad, op.f)
}
