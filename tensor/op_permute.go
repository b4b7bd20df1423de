package tensor

import "slices"

// Permute returns a copy of x with its axes reordered: axis i of the result
// is axis perm[i] of x (torch.permute(...).contiguous()).
func (tp *Tape) Permute(x *Tensor, perm ...int) *Tensor {
	if len(perm) != x.rank {
		shapePanic("Permute", "perm %v for shape %v", slices.Clone(perm), x.Shape())
	}
	var seen [MaxRank]bool
	var shape [MaxRank]int
	for i, p := range perm {
		if p < 0 || p >= x.rank || seen[p] {
			shapePanic("Permute", "perm %v is not a permutation of %d axes", slices.Clone(perm), x.rank)
		}
		seen[p] = true
		shape[i] = x.dims[p]
	}
	out := tp.alloc(false, shape[:x.rank]...)
	// The axes go to the device from tape memory: a slice of perm itself
	// or of a stack array would escape through the interface call and
	// allocate on every Permute.
	copy(tp.ops.perm[:], perm)
	tp.dev.Permute(out, x, x.Shape(), tp.ops.perm[:x.rank], false)
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.permute)
		*nd = permuteOp{x: x}
		copy(nd.perm[:], perm)
		tp.record(out, nd, x, nil, nil)
	}
	return out
}

// permuteOp is a recorded Permute: out's axis i is x's axis perm[i].
type permuteOp struct {
	x    *Tensor
	perm [MaxRank]int
}

func (op *permuteOp) backward(tp *Tape, out *Tensor) {
	r := op.x.rank
	inv := &tp.ops.perm // tape memory, as in Permute
	for i := 0; i < r; i++ {
		inv[op.perm[i]] = i
	}
	tp.dev.Permute(tp.grad(op.x), out.Grad, out.Shape(), inv[:r], true)
}
