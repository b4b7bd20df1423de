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
)

// What a training loop needs besides the tensor.Device methods. Every
// []float32 argument names device storage by its host address, as tensors
// do (see the package documentation).

// Upload copies x from the host to the device and registers x's range as
// mirrored (device copy authoritative, host updated only by Download).
func (d *Device) Upload(x []float32) {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return
	}
	_, p, _ := d.reg.lookup(x, write, true)
	d.reg.mem.upload(p, unsafe.Pointer(&x[0]), 4*len(x))
}

// Download copies x from the device into x on the host, waiting for the
// device. x must lie in a range registered by Upload: device-owned memory
// (the tape's tensors) is read with Read.
func (d *Device) Download(x []float32) {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return
	}
	e, p := d.known("Download", x)
	if !e.mirrored {
		panic(fmt.Sprintf("cuda.Download: %d floats of device-owned memory (a tape tensor?): use Read, or Upload the range first", len(x)))
	}
	d.download(unsafe.Pointer(&x[0]), p, 4*len(x))
}

// Read returns a new host copy of the device contents of x, waiting for
// the device.
func (d *Device) Read(x []float32) []float32 {
	out := make([]float32, len(x))
	d.ReadInto(out, x)
	return out
}

// ReadInto copies the device contents of src into dst (host memory of the
// same length that is not device-owned), waiting for the device.
func (d *Device) ReadInto(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("cuda.ReadInto: dst has %d floats, src %d", len(dst), len(src)))
	}
	d.begin()
	defer d.end()
	if len(src) == 0 {
		return
	}
	p := d.ptrData(src, read)
	d.download(unsafe.Pointer(&dst[0]), p, 4*len(src))
}

// known returns the entry holding x, which the device must have seen.
func (d *Device) known(op string, x []float32) (*entry, uint64) {
	i := d.reg.find(uintptr(unsafe.Pointer(&x[0])))
	if i >= 0 {
		e := d.reg.entries[i]
		start := uintptr(unsafe.Pointer(&x[0]))
		if start+uintptr(4*len(x)) <= e.end() && e.host.Value() != nil {
			if !e.mirrored {
				d.reg.claim(e, false)
			}
			return e, e.dev + uint64(start-e.base)
		}
	}
	panic(fmt.Sprintf("cuda.%s: %d floats the device has not seen (Upload them first)", op, len(x)))
}

// Zero sets x to zero on the device (the host is not touched); a range the
// device has not seen becomes mirrored.
func (d *Device) Zero(x []float32) {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return
	}
	e, p, fresh := d.reg.lookup(x, write, false)
	if fresh && !e.mirrored {
		d.reg.unmark(e)
		e.mirrored = true
	} else {
		d.reg.claim(e, fresh)
	}
	d.reg.mem.zero(p, 4*len(x))
}

// Release frees the device buffer holding x (after the device is idle) and
// gives a device-owned buffer's host memory its first element back. It
// reports whether the device held x.
func (d *Device) Release(x []float32) bool {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return false
	}
	return d.reg.release(x)
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
func (d *Device) AdamW(p, g, m, v []float32, hp kernels.AdamWParams) {
	n := len(p)
	if len(g) != n || len(m) != n || len(v) != n {
		panic(fmt.Sprintf("cuda.AdamW: lengths p=%d g=%d m=%d v=%d differ", n, len(g), len(m), len(v)))
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
		g: C.dptr(d.ptrData(g, read)),
		p: C.dptr(d.ptrData(p, rw)), m: C.dptr(d.ptrData(m, rw)), v: C.dptr(d.ptrData(v, rw)),
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
func (d *Device) SumSquares(x []float32) float64 {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return 0
	}
	return d.sum(d.ptrData(x, read), len(x), true)
}

// ScaleBuffer multiplies x by alpha on the device (gradient clipping).
func (d *Device) ScaleBuffer(alpha float32, x []float32) {
	d.begin()
	defer d.end()
	if len(x) == 0 {
		return
	}
	d.ew(kScale, d.ptrData(x, rw), 0, 0, len(x), alpha)
}
