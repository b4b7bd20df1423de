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
	"sync/atomic"
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

	stage   stageCache
	scratch map[string]scratchBuf
	stats   Stats

	// Device memory of tensors (storage_cuda.go): the live allocations
	// and their bytes, an empty storage for Alloc(0), and the addresses of
	// storages the garbage collector found unreachable, freed by the next
	// method (under mu, after the device is idle).
	live   map[uint64]int
	empty  *storage
	deadMu sync.Mutex
	dead   []uint64
	ndead  atomic.Int32

	maxBlocks int
	pointwise map[*tensor.Pointwise][2]kernel // kernels by function
}

var _ tensor.Device = (*Device)(nil)

type scratchBuf struct {
	p     uint64
	bytes int
}

// Name returns "cuda".
func (d *Device) Name() string { return "cuda" }

// Info describes the device.
func (d *Device) Info() Info { return d.info }

// Stats returns the work counters.
func (d *Device) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// begin makes the context current on this OS thread for the duration of a
// method and frees the memory of storages collected since the last one;
// end undoes it.
func (d *Device) begin() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		panic("cuda: device used after Close")
	}
	runtime.LockOSThread()
	must(cuSetCurrent(d.ctx), "cuCtxSetCurrent")
	if d.ndead.Load() != 0 {
		d.freeDead()
	}
}

func (d *Device) end() {
	runtime.UnlockOSThread()
	d.mu.Unlock()
}

// ptr returns the device address of t's values: its storage's address
// plus 4·offset. t must live in this device's memory (made by Alloc,
// tensor.NewOn or a tape on the device): a host tensor is a programmer
// error, reported with its shape.
func (d *Device) ptr(t *tensor.Tensor) uint64 {
	if t == nil || t.Size() == 0 {
		return 0
	}
	st, off := t.Storage()
	s, ok := st.(*storage)
	if !ok || s.d != d {
		where := "host memory"
		if st != nil {
			where = "another device's memory"
		}
		panic(fmt.Sprintf("cuda: tensor %v is in %s, not on this device: make it with tensor.NewOn(device, ...) and CopyFrom", t.Shape(), where))
	}
	if off+t.Size() > s.n {
		panic(fmt.Sprintf("cuda: internal error: tensor %v at offset %d outside its storage of %d", t.Shape(), off, s.n))
	}
	return s.p + 4*uint64(off)
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
