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

	// data holds the values of a host tensor, row-major, len(data) ==
	// Size(); nil for a tensor on device storage. It is reached from
	// outside the package only through Host, CopyTo, CopyFrom and Item; the
	// CPU device and the ops read it directly (no call in inner loops).
	data []float32
	// st holds the values of a tensor on a device (nil on the host), from
	// element off on.
	st  Storage
	off int

	dims         [MaxRank]int
	rank         int
	requiresGrad bool
}

// Storage is memory a device owns away from the host (a GPU buffer of
// float32s), made by Device.Alloc. A tensor on it holds it with an offset,
// so views (a Reshape, a parameter inside one flat buffer) stay views; its
// values are reached from the host only through Read and Write (Tensor's
// CopyTo, CopyFrom and Item). A device frees the memory once no tensor
// holds the Storage any more.
type Storage interface {
	// Len returns the number of float32s it holds.
	Len() int
	// Read copies the len(dst) values from element off on into dst,
	// waiting for the device's queued work.
	Read(dst []float32, off int)
	// Write copies src to the values from element off on.
	Write(off int, src []float32)
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

// NewOn returns a zero tensor of the given shape in d's memory: on the
// host (as New) for a device whose Alloc returns nil, else on storage d
// allocates.
func NewOn(d Device, shape ...int) *Tensor {
	t := &Tensor{}
	t.setShape("NewOn", shape)
	n := t.Size()
	if st := d.Alloc(n); st != nil {
		t.st = st
		d.Fill(t, 0)
		return t
	}
	t.data = make([]float32, n)
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
	if t.Grad == nil {
		return
	}
	if g := t.Grad; g.st != nil {
		g.st.Write(g.off, make([]float32, g.Size()))
		return
	}
	clear(t.Grad.data)
}

// Item returns the single value of a one-element tensor (from the device,
// waiting for it, when t lives there).
func (t *Tensor) Item() float32 {
	if t.Size() != 1 {
		panic(fmt.Sprintf("tensor.Item: shape %v has %d elements, want 1", t.Shape(), t.Size()))
	}
	if t.st != nil {
		var v [1]float32
		t.st.Read(v[:], t.off)
		return v[0]
	}
	return t.data[0]
}

// OnHost reports whether t's values are in host memory (Host works), as
// opposed to a device's Storage.
func (t *Tensor) OnHost() bool { return t.st == nil }

// Host returns the tensor's values in host memory, row-major, len Size():
// the storage itself, not a copy, so writes through it change t. It is for
// host tensors (those made by New, FromData or a tape on the CPU device)
// and panics for a tensor on a device's Storage; use CopyTo and CopyFrom
// to move values without assuming where they live.
func (t *Tensor) Host() []float32 {
	if t.st != nil {
		panic(fmt.Sprintf("tensor.Host: tensor %v lives on a device: use CopyTo or CopyFrom", t.Shape()))
	}
	return t.data
}

// Storage returns the device storage holding t's values and the element
// where they start in it; nil for a host tensor. Devices use it to find
// their memory.
func (t *Tensor) Storage() (Storage, int) { return t.st, t.off }

// CopyTo copies t's values into dst, which must hold exactly Size() values.
func (t *Tensor) CopyTo(dst []float32) {
	if len(dst) != t.Size() {
		panic(fmt.Sprintf("tensor.CopyTo: len(dst)=%d, tensor %v has %d elements", len(dst), t.Shape(), t.Size()))
	}
	if t.st != nil {
		if len(dst) > 0 {
			t.st.Read(dst, t.off)
		}
		return
	}
	copy(dst, t.data)
}

// CopyFrom sets t's values from src, which must hold exactly Size() values.
func (t *Tensor) CopyFrom(src []float32) {
	if len(src) != t.Size() {
		panic(fmt.Sprintf("tensor.CopyFrom: len(src)=%d, tensor %v has %d elements", len(src), t.Shape(), t.Size()))
	}
	if t.st != nil {
		if len(src) > 0 {
			t.st.Write(t.off, src)
		}
		return
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
	t.data, t.st, t.off = data, nil, 0
}

// SetView makes t (keeping its shape) a view of src's elements [off,
// off+Size()), on the host or on src's device storage: writes through
// either show in both. nn.ParamSet.Bind moves parameters between flat
// buffers with it.
func (t *Tensor) SetView(src *Tensor, off int) {
	n := t.Size()
	if off < 0 || off+n > src.Size() {
		panic(fmt.Sprintf("tensor.SetView: elements [%d,%d) outside source %v", off, off+n, src.Shape()))
	}
	if src.st != nil {
		t.data, t.st, t.off = nil, src.st, src.off+off
		return
	}
	t.data, t.st, t.off = src.data[off:off+n:off+n], nil, 0
}

// Slice returns a flat view of t's elements [lo, hi), sharing t's storage
// (host or device).
func (t *Tensor) Slice(lo, hi int) *Tensor {
	if lo < 0 || hi < lo || hi > t.Size() {
		panic(fmt.Sprintf("tensor.Slice: [%d,%d) outside tensor %v", lo, hi, t.Shape()))
	}
	v := &Tensor{}
	v.setShape("Slice", []int{hi - lo})
	v.SetView(t, lo)
	return v
}

// String describes the tensor's shape and first values.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor%v[", t.Shape())
	if t.st != nil {
		b.WriteString("on a device]")
		return b.String()
	}
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
