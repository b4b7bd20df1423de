// Package tensor provides dense row-major float32 tensors with define-by-run
// reverse-mode automatic differentiation.
//
// Ops are methods of a Tape. While a Tape records, each op stores what its
// backward pass needs; Tape.Backward runs the recorded ops in reverse order
// and accumulates gradients into each tensor's Grad. A Tape in no-grad mode
// records nothing (evaluation). The Tape owns an arena: tensors and buffers
// an op creates are recycled by Tape.Reset, so a training step that repeats
// the same shapes allocates nothing after its first run.
//
// The math runs on a Device (device.go): the CPU device calls package
// kernels. The seam exists so that a second backend can hold storage
// elsewhere and run the same ops without changes to models or the trainer.
package tensor

import (
	"fmt"
	"slices"
	"strings"
)

// MaxRank is the highest rank a tensor may have ([B, NH, T, HS] for attention).
const MaxRank = 4

// Tensor is a dense row-major float32 array with an optional gradient.
type Tensor struct {
	// Grad is the gradient of the loss with respect to this tensor, same
	// shape; nil until a backward pass reaches it (parameters have it
	// allocated up front).
	Grad *Tensor

	// data holds the values, row-major, len(data) == Size(). It is reached
	// from outside the package only through Host, CopyTo, CopyFrom and Item,
	// so that storage can later live on another device; the CPU device and
	// the ops read it directly (no call in inner loops).
	data []float32

	dims         [MaxRank]int
	rank         int
	requiresGrad bool
}

// New returns a zero tensor of the given shape.
func New(shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape("New", shape)
	t.data = make([]float32, t.Size())
	return t
}

// FromData wraps data (not copied) as a tensor of the given shape.
func FromData(data []float32, shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape("FromData", shape)
	if len(data) != t.Size() {
		panic(fmt.Sprintf("tensor.FromData: len(data)=%d does not match shape %v (size %d)", len(data), shape, t.Size()))
	}
	t.data = data
	return t
}

// Scalar returns a tensor of shape [] holding v.
func Scalar(v float32) *Tensor { return FromData([]float32{v}) }

func (t *Tensor) setShape(op string, shape []int) {
	// The messages format a copy of shape, so that shape does not escape
	// and callers can pass slices of stack arrays without allocating.
	if len(shape) > MaxRank {
		panic(fmt.Sprintf("tensor.%s: rank %d > %d (shape %v)", op, len(shape), MaxRank, slices.Clone(shape)))
	}
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor.%s: negative dimension in shape %v", op, slices.Clone(shape)))
		}
	}
	t.dims = [MaxRank]int{}
	t.rank = copy(t.dims[:], shape)
}

// Shape returns the dimensions. The slice must not be modified.
func (t *Tensor) Shape() []int { return t.dims[:t.rank] }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return t.rank }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += t.rank
	}
	if i < 0 || i >= t.rank {
		panic(fmt.Sprintf("tensor.Dim: index %d out of range for shape %v", i, t.Shape()))
	}
	return t.dims[i]
}

// Size returns the number of elements.
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.dims[:t.rank] {
		n *= d
	}
	return n
}

// RequiresGrad reports whether gradients flow to t.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad }

// SetRequiresGrad marks t as a leaf that receives gradients (a parameter).
// It allocates a zero Grad when t has none.
func (t *Tensor) SetRequiresGrad(on bool) *Tensor {
	t.requiresGrad = on
	if on && t.Grad == nil {
		t.Grad = New(t.Shape()...)
	}
	return t
}

// ZeroGrad clears t's gradient, if any.
func (t *Tensor) ZeroGrad() {
	if t.Grad != nil {
		clear(t.Grad.data)
	}
}

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Size() != 1 {
		panic(fmt.Sprintf("tensor.Item: shape %v has %d elements, want 1", t.Shape(), t.Size()))
	}
	return t.data[0]
}

// Host returns the tensor's values in host memory, row-major, len Size():
// the storage itself, not a copy, so writes through it change t. It is for
// CPU-resident tensors (those made by New, FromData or a tape on the CPU
// device); use CopyTo and CopyFrom to move values without assuming where
// they live.
func (t *Tensor) Host() []float32 { return t.data }

// CopyTo copies t's values into dst, which must hold exactly Size() values.
func (t *Tensor) CopyTo(dst []float32) {
	if len(dst) != len(t.data) {
		panic(fmt.Sprintf("tensor.CopyTo: len(dst)=%d, tensor %v has %d elements", len(dst), t.Shape(), len(t.data)))
	}
	copy(dst, t.data)
}

// CopyFrom sets t's values from src, which must hold exactly Size() values.
func (t *Tensor) CopyFrom(src []float32) {
	if len(src) != len(t.data) {
		panic(fmt.Sprintf("tensor.CopyFrom: len(src)=%d, tensor %v has %d elements", len(src), t.Shape(), len(t.data)))
	}
	copy(t.data, src)
}

// SetHost makes data (not copied) t's storage, as FromData does for a new
// tensor; len(data) must equal Size(). nn.Pack uses it to turn parameters
// into views of one contiguous buffer.
func (t *Tensor) SetHost(data []float32) {
	if len(data) != t.Size() {
		panic(fmt.Sprintf("tensor.SetHost: len(data)=%d does not match shape %v (size %d)", len(data), t.Shape(), t.Size()))
	}
	t.data = data
}

// String describes the tensor's shape and first values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.Shape())
	for i, v := range t.data {
		if i == 6 {
			b.WriteString(" ...")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.6g", v)
	}
	b.WriteByte(']')
	return b.String()
}

func sameShape(a, b *Tensor) bool {
	return a.rank == b.rank && a.dims == b.dims
}

func shapePanic(op string, format string, args ...any) {
	panic("tensor." + op + ": " + fmt.Sprintf(format, args...))
}
