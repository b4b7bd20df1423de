package tensor

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
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.dropout)
		*nd = dropoutOp{x: x, p: p, seed: tp.seed, offset: tp.offset}
		tp.record(out, nd, x, nil, nil)
	}
	tp.offset += uint64(x.Size())
	return out
}

// dropoutOp is a recorded Dropout: the stream position of its mask.
type dropoutOp struct {
	x            *Tensor
	p            float32
	seed, offset uint64
}

func (op *dropoutOp) backward(tp *Tape, out *Tensor) {
	mask := tp.pooledDirty(op.x)
	tp.dev.DropoutMask(mask, op.p, op.seed, op.offset)
	tp.dev.MulAcc(tp.grad(op.x), out.Grad, mask)
	tp.release(mask)
}
