//go:build cuda && cgo

package cuda

/*
#include "kargs.h"
*/
import "C"

import (
	_ "embed"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/distilgo/distilgo/tensor"
)

//go:embed kernels.cu
var kernelSource string

//go:embed kargs.h
var kargsHeader string

// kernel names a compiled kernel: the enum and kernelNames are generated
// from kernels.cu (kernels_gen.go, go generate).
type kernel int

// kernelByName returns the kernel called name.
func kernelByName(name string) (kernel, bool) {
	for k, n := range kernelNames {
		if n == name {
			return kernel(k), true
		}
	}
	return 0, false
}

// Device is an NVIDIA GPU as a tensor.Device. Its methods may be called
// from any goroutine; they are serialized. Device methods panic on CUDA
// errors (tensor.Device has no error results).
type Device struct {
	mu     sync.Mutex
	closed bool
	ctx    unsafe.Pointer
	dev    int
	blas   cublasHandle
	mod    unsafe.Pointer
	fn     [numKernels]unsafe.Pointer
	info   Info
	tf32   bool

	reg     registry
	stage   stageCache
	scratch map[string]scratchBuf
	pending []scalarOut // one-element outputs to copy back to the host
	stats   Stats

	maxBlocks int
	pointwise map[*tensor.Pointwise][2]kernel // kernels by function
}

var _ tensor.Device = (*Device)(nil)

type scratchBuf struct {
	p     uint64
	bytes int
}

type scalarOut struct {
	host *float32
	dev  uint64
}

// Name returns "cuda".
func (d *Device) Name() string { return "cuda" }

// Info describes the device.
func (d *Device) Info() Info { return d.info }

// Stats returns the work counters.
func (d *Device) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.Allocs, s.Frees, s.DeviceBytes, s.ArenaZeroed = d.reg.allocs, d.reg.frees, d.reg.bytes, d.reg.zeroed
	return s
}

// begin makes the context current on this OS thread for the duration of a
// method; end undoes it after copying one-element outputs to the host.
func (d *Device) begin() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		panic("cuda: device used after Close")
	}
	runtime.LockOSThread()
	must(cuSetCurrent(d.ctx), "cuCtxSetCurrent")
}

func (d *Device) end() {
	if len(d.pending) > 0 {
		for _, s := range d.pending {
			must(cuDtoH(unsafe.Pointer(s.host), s.dev, 4), "copy a scalar to the host")
		}
		d.stats.Syncs++
		clear(d.pending)
		d.pending = d.pending[:0]
	}
	runtime.UnlockOSThread()
	d.mu.Unlock()
}

// ptr returns the device address of t's data, preparing it for access acc
// (see registry). One-element tensors at the start of device-owned memory
// are host-coherent: callers read losses and sums with Item on the host
// (the tape itself no longer touches them there), so such a tensor is
// uploaded before a read and
// copied back after a write.
func (d *Device) ptr(t *tensor.Tensor, acc access) uint64 {
	if t == nil || t.Size() == 0 {
		return 0
	}
	return d.ptrData(t.Host(), acc)
}

func (d *Device) ptrData(x []float32, acc access) uint64 {
	if len(x) == 0 {
		return 0
	}
	e, p, fresh := d.reg.lookup(x, acc, false)
	if len(x) == 1 && !e.mirrored && p == e.dev {
		if acc&read != 0 {
			must(cuHtoD(p, unsafe.Pointer(&x[0]), 4), "copy a scalar to the device")
		}
		if acc&write != 0 {
			d.pending = append(d.pending, scalarOut{&x[0], p})
		}
		return p
	}
	d.reg.claim(e, fresh)
	return p
}

func (d *Device) launch(k kernel, gx, gy, bx, by int, args unsafe.Pointer) {
	if gx == 0 || gy == 0 {
		return
	}
	must(cuLaunch(d.fn[k], gx, gy, bx, by, args), "launch "+kernelNames[k])
	d.stats.Launches++
}

// blocks returns a grid size for n elements in blocks of 256 threads
// (grid-stride loops cover the rest).
func (d *Device) blocks(n int64) int {
	return int(min((n+255)/256, int64(d.maxBlocks)))
}

// ew launches an elementwise kernel.
func (d *Device) ew(k kernel, dst, a, b uint64, n int, s float32) {
	if n == 0 {
		return
	}
	args := C.EwArgs{d: C.dptr(dst), a: C.dptr(a), b: C.dptr(b), n: C.longlong(n), s: C.float(s)}
	d.launch(k, d.blocks(int64(n)), 1, 256, 1, unsafe.Pointer(&args))
}

// scratchFor returns a device buffer of at least bytes for one use inside a
// method (stream order makes reuse by the next method safe).
func (d *Device) scratchFor(name string, bytes int) uint64 {
	s := d.scratch[name]
	if s.bytes >= bytes {
		return s.p
	}
	if s.p != 0 {
		d.syncLocked()
		must(cuFree(s.p), "cuMemFree")
	}
	bytes = max(bytes, 2*s.bytes, 4096)
	p, r := cuAlloc(bytes)
	must(r, fmt.Sprintf("cuMemAlloc %d bytes of scratch", bytes))
	d.scratch[name] = scratchBuf{p, bytes}
	return p
}

func (d *Device) syncLocked() {
	must(cuSynchronize(), "cuCtxSynchronize")
	d.stats.Syncs++
}

// download copies device memory to host memory, waiting for the device.
func (d *Device) download(dst unsafe.Pointer, src uint64, bytes int) {
	if bytes == 0 {
		return
	}
	must(cuDtoH(dst, src, bytes), "copy to the host")
	d.stats.Syncs++
}

// cudaMem is the registry's view of the device memory.
type cudaMem struct{ d *Device }

func (m cudaMem) alloc(bytes int) (uint64, error) {
	p, r := cuAlloc(max(bytes, 4))
	if err := cuErr(r, fmt.Sprintf("cuMemAlloc %d bytes", bytes)); err != nil {
		return 0, err
	}
	return p, nil
}

func (m cudaMem) free(p uint64) { must(cuFree(p), "cuMemFree") }

func (m cudaMem) upload(dst uint64, src unsafe.Pointer, bytes int) {
	if bytes > 0 {
		must(cuHtoD(dst, src, bytes), "copy to the device")
	}
}

func (m cudaMem) copy(dst, src uint64, bytes int) {
	if bytes > 0 {
		must(cuDtoD(dst, src, bytes), "copy on the device")
	}
}

func (m cudaMem) zero(dst uint64, bytes int) {
	if bytes > 0 {
		must(cuMemset32(dst, 0, bytes/4), "cuMemsetD32Async")
	}
}

func (m cudaMem) sync() { m.d.syncLocked() }
