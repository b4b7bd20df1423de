package tensor

// A Pointwise is an element-wise function y = f(x) with its derivative, as
// activations are. Each is declared once, in its op's file (op_gelu.go),
// and runs on every device through Device.Pointwise: on the CPU with its
// Forward and Backward kernels, on a GPU with the kernels its Name selects.
// A new activation therefore needs no Device method.
type Pointwise struct {
	// Name identifies the function ("gelu"); the CUDA device runs the
	// kernels k_<Name> and k_<Name>_bwd of cuda/kernels.cu.
	Name string
	// Forward sets y = f(x); Backward accumulates dx += dy·f'(x). Both are
	// the CPU kernels (package kernels); slices have equal lengths.
	Forward  func(y, x []float32)
	Backward func(dx, x, dy []float32)
}

// pointwise returns f(x) element-wise, recorded with f's derivative.
func (tp *Tape) pointwise(f *Pointwise, x *Tensor) *Tensor {
	out := tp.alloc(false, x.Shape()...)
	tp.dev.Pointwise(f, out, x)
	if tp.recording(x, nil, nil) {
		nd := newNode(tp, &tp.ops.pointwise)
		*nd = pointwiseOp{f: f, x: x}
		tp.record(out, nd, x, nil, nil)
	}
	return out
}

// pointwiseOp is a recorded element-wise function; its backward reads the
// input.
type pointwiseOp struct {
	f *Pointwise
	x *Tensor
}

func (op *pointwiseOp) backward(tp *Tape, out *Tensor) {
	tp.dev.PointwiseBackward(op.f, tp.grad(op.x), op.x, out.Grad)
}
