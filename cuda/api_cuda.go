//go:build cuda && cgo

package cuda

/*
#include "kargs.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
)

// What a training loop needs besides the tensor.Device methods (the
// trainer.Device methods), on flat tensors in the device's memory.

// Zero sets x to zero.
func (d *Device) Zero(x *tensor.Tensor) {
	d.begin()
	defer d.end()
	if n := x.Size(); n > 0 {
		must(cuMemset32(d.ptr(x), 0, n), "cuMemsetD32Async")
		d.stats.Zeroed += 4 * int64(n)
	}
}

// Synchronize waits until the device has finished all queued work.
func (d *Device) Synchronize() {
	d.begin()
	defer d.end()
	d.syncLocked()
}

// AdamW applies kernels.AdamW to p with gradients g and moments m and v,
// on the device, in the same operation order (bit-identical results for
// identical inputs).
func (d *Device) AdamW(p, g, m, v *tensor.Tensor, hp kernels.AdamWParams) {
	n := p.Size()
	if g.Size() != n || m.Size() != n || v.Size() != n {
		panic(fmt.Sprintf("cuda.AdamW: sizes p=%d g=%d m=%d v=%d differ", n, g.Size(), m.Size(), v.Size()))
	}
	if hp.Step < 1 {
		panic(fmt.Sprintf("cuda.AdamW: step=%d, must be >= 1", hp.Step))
	}
	d.begin()
	defer d.end()
	if n == 0 {
		return
	}
	// The constants exactly as package kernels derives them (adamConsts).
	bc1 := 1 - math.Pow(float64(hp.Beta1), float64(hp.Step))
	bc2 := 1 - math.Pow(float64(hp.Beta2), float64(hp.Step))
	args := C.AdamWArgs{
		g: C.dptr(d.ptr(g)),
		p: C.dptr(d.ptr(p)), m: C.dptr(d.ptr(m)), v: C.dptr(d.ptr(v)),
		n:     C.longlong(n),
		decay: C.float(1 - hp.LR*hp.WeightDecay),
		b1:    C.float(hp.Beta1), ob1: C.float(1 - hp.Beta1),
		b2: C.float(hp.Beta2), ob2: C.float(1 - hp.Beta2),
		bc2sqrt: C.float(float32(math.Sqrt(bc2))),
		eps:     C.float(hp.Eps),
		step:    C.float(float32(float64(hp.LR) / bc1)),
	}
	d.launch(kAdamw, d.blocks(int64(n)), 1, 256, 1, unsafe.Pointer(&args))
}

// SumSquares returns the float64 sum of x[i]² (for gradient norms), waiting
// for the device.
func (d *Device) SumSquares(x *tensor.Tensor) float64 {
	d.begin()
	defer d.end()
	if x.Size() == 0 {
		return 0
	}
	return d.sum(d.ptr(x), x.Size(), true)
}

// ScaleBuffer multiplies x by alpha on the device (gradient clipping).
func (d *Device) ScaleBuffer(alpha float32, x *tensor.Tensor) {
	d.begin()
	defer d.end()
	d.ew(kScale, d.ptr(x), 0, 0, x.Size(), alpha)
}
