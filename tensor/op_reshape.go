package tensor

import "slices"

// Reshape returns a view of x with a new shape of the same size; one
// dimension may be -1 and is then inferred. The view shares x's data and,
// when x requires gradients, its gradient, so it records nothing: its
// backward is the sharing itself.
//
// The panics format copies of shape so that the variadic slice does not
// escape (a Reshape allocates nothing).
func (tp *Tape) Reshape(x *Tensor, shape ...int) *Tensor {
	var s [MaxRank]int
	if len(shape) > MaxRank {
		shapePanic("Reshape", "rank %d > %d", len(shape), MaxRank)
	}
	copy(s[:], shape)
	infer, known := -1, 1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			shapePanic("Reshape", "bad shape %v", slices.Clone(shape))
		default:
			known *= d
		}
	}
	if infer >= 0 && known > 0 {
		s[infer] = x.Size() / known
	}
	out := tp.arena.tensor()
	out.setShape("Reshape", s[:len(shape)])
	if out.Size() != x.Size() {
		shapePanic("Reshape", "cannot view %v as %v", x.Shape(), slices.Clone(shape))
	}
	out.data, out.st, out.off = x.data, x.st, x.off
	out.Grad = nil
	out.requiresGrad = false
	if tp.recording(x, nil, nil) {
		g := tp.grad(x)
		gv := tp.arena.tensor()
		*gv = Tensor{data: g.data, st: g.st, off: g.off, dims: out.dims, rank: out.rank}
		out.Grad = gv
		out.requiresGrad = true
	}
	return out
}
