//go:build cuda && cgo

package cuda

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/distilgo/distilgo/tensor"
)

// storage is device memory for n float32s at address p: the
// tensor.Storage of tensors on the device. Tensors hold it (with their
// offset into it); once none does, the garbage collector runs its cleanup,
// which queues p for freeing (see Alloc).
type storage struct {
	d *Device
	p uint64
	n int
}

// Len returns the number of float32s.
func (s *storage) Len() int { return s.n }

func (s *storage) check(op string, off, n int) {
	if off < 0 || off+n > s.n {
		panic(fmt.Sprintf("cuda: storage %s of [%d,%d) outside its %d floats", op, off, off+n, s.n))
	}
}

// Read copies n values from element off into dst, waiting for the device.
func (s *storage) Read(dst []float32, off int) {
	s.check("Read", off, len(dst))
	if len(dst) == 0 {
		return
	}
	d := s.d
	d.begin()
	defer d.end()
	d.download(unsafe.Pointer(&dst[0]), s.p+4*uint64(off), 4*len(dst))
	runtime.KeepAlive(s)
}

// Write copies src to element off on (in stream order: after the work
// queued before it, before the work queued after it).
func (s *storage) Write(off int, src []float32) {
	s.check("Write", off, len(src))
	if len(src) == 0 {
		return
	}
	d := s.d
	d.begin()
	defer d.end()
	must(cuHtoD(s.p+4*uint64(off), unsafe.Pointer(&src[0]), 4*len(src)), "copy to the device")
	runtime.KeepAlive(s)
}

// Alloc returns n float32s of device memory (contents undefined) as the
// storage of tensors (tensor.NewOn, a tape's arena). The memory is freed
// after no tensor holds the storage any more (runtime.AddCleanup), by the
// next device method; Alloc(0) allocates nothing.
func (d *Device) Alloc(n int) tensor.Storage {
	if n < 0 {
		panic(fmt.Sprintf("cuda.Alloc: %d floats", n))
	}
	if n == 0 {
		return d.empty
	}
	d.begin()
	defer d.end()
	p := d.allocMem(4 * n)
	s := &storage{d: d, p: p, n: n}
	runtime.AddCleanup(s, d.freeLater, p)
	return s
}

// allocMem allocates device memory, collecting garbage (storages no
// tensor holds any more) and retrying once when the device is full.
func (d *Device) allocMem(bytes int) uint64 {
	p, r := cuAlloc(bytes)
	if r != 0 {
		// Dropped tapes may still hold device memory: collect, give
		// the cleanups a moment to queue it, free and retry.
		for range 3 {
			runtime.GC()
			runtime.Gosched()
		}
		d.freeDead()
		p, r = cuAlloc(bytes)
		if err := cuErr(r, fmt.Sprintf("cuMemAlloc %d bytes", bytes)); err != nil {
			panic(fmt.Sprintf("cuda: allocating %d bytes (%d held in %d buffers): %v", bytes, d.stats.DeviceBytes, len(d.live), err))
		}
	}
	if d.live == nil {
		d.live = map[uint64]int{}
	}
	d.live[p] = bytes
	d.stats.Allocs++
	d.stats.DeviceBytes += int64(bytes)
	return p
}

// freeLater is the cleanup of a storage: it queues its memory for freeing
// by the next device method (cleanups run on their own goroutine, which
// must not wait for the device's lock).
func (d *Device) freeLater(p uint64) {
	d.deadMu.Lock()
	d.dead = append(d.dead, p)
	d.ndead.Add(1)
	d.deadMu.Unlock()
}

// freeDead frees the queued memory once the device is idle (queued work
// may still read it). The device is locked and its context current.
func (d *Device) freeDead() {
	d.deadMu.Lock()
	dead := d.dead
	d.dead = nil
	d.ndead.Store(0)
	d.deadMu.Unlock()
	if len(dead) == 0 {
		return
	}
	d.syncLocked()
	for _, p := range dead {
		bytes, ok := d.live[p]
		if !ok {
			continue // freed by Close already
		}
		must(cuFree(p), "cuMemFree")
		delete(d.live, p)
		d.stats.Frees++
		d.stats.DeviceBytes -= int64(bytes)
	}
}

// freeAllMemory frees every live allocation (Close; the context is current).
func (d *Device) freeAllMemory() {
	for p, bytes := range d.live {
		cuFree(p)
		d.stats.Frees++
		d.stats.DeviceBytes -= int64(bytes)
	}
	clear(d.live)
}
