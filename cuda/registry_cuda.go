//go:build cuda && cgo

package cuda

import (
	"fmt"
	"runtime"
	"sort"
	"unsafe"
	"weak"
)

// The host-shadow registry maps host float32 storage to device buffers.
//
// A tensor's host slice (Tensor.Host) names its storage: the registry keeps
// one device buffer per host range it has met, found by interval lookup from the
// address of the slice's first element, so views (a parameter inside
// nn.ParamSet.Data, a Reshape, a padding row) resolve to (buffer, offset).
// A range first met is allocated to the end of its slice's capacity; a
// later slice that reaches outside every known range merges the ranges it
// overlaps into one buffer (their device contents are kept).
//
// Entries hold only weak pointers to the host memory, so the registry does
// not keep tapes alive; an entry whose host memory was collected is stale
// (the address may since belong to another object) and is freed when met.
//
// Two kinds of entries:
//
//   - mirrored: registered by Upload. The device copy is authoritative;
//     the host copy changes only by Download, the device only by Upload
//     (or by device methods).
//   - device-owned: any other range a device method meets, in practice the
//     tape's arena buffers and gradients. The device copy is authoritative
//     and the host memory is the device's: its first element holds a
//     sentinel NaN. The arena zeroes a buffer on the host when it hands it
//     out as a zero-filled tensor; that overwrites the sentinel, and the
//     next device method that meets the buffer sees it and zeroes the
//     device buffer too. When first met, a device-owned range is uploaded
//     if the method reads it, and left uninitialised if it only writes it.
//
// One-element tensors at the start of a device-owned buffer (losses, the
// loss gradient, sums) are kept coherent both ways instead, because
// callers read them with Item on the host (see Device.ptr).
type registry struct {
	mem     devMem
	entries []*entry // sorted by base, disjoint

	allocs, frees int64 // device allocations made and freed
	bytes         int64 // device bytes held
	zeroed        int64 // device bytes zeroed after the host zeroed them
	uploads       int64 // host-to-device bytes for first reads and merges
}

type entry struct {
	base     uintptr // host address of the first float32
	n        int     // float32s
	dev      uint64  // device address of the first float32
	mirrored bool
	marked   bool   // a device-owned entry whose first element holds the sentinel
	saved    uint32 // the host bits the sentinel replaced
	host     weak.Pointer[float32]
}

func (e *entry) end() uintptr { return e.base + uintptr(e.n)*4 }

// sentinelBits is a quiet NaN with a payload no computation produces.
const sentinelBits = 0x7fc05eed

// devMem is the device memory the registry manages (cudaMem on a GPU, a
// host fake in tests).
type devMem interface {
	alloc(bytes int) (uint64, error)
	free(p uint64)
	upload(dst uint64, src unsafe.Pointer, bytes int)
	copy(dst, src uint64, bytes int)
	zero(dst uint64, bytes int)
	sync()
}

type access uint8

const (
	read  access = 1
	write access = 2
	rw           = read | write
)

func hostBits(p *float32) uint32 { return *(*uint32)(unsafe.Pointer(p)) }

func setHostBits(p *float32, v uint32) { *(*uint32)(unsafe.Pointer(p)) = v }

// find returns the index of the last entry with base <= a, or -1.
func (r *registry) find(a uintptr) int {
	i := sort.Search(len(r.entries), func(i int) bool { return r.entries[i].base > a })
	return i - 1
}

// lookup returns the entry holding x and x's device address, creating or
// merging entries as needed. mirror registers the range as mirrored. It does
// not handle the sentinel of an entry it found; see claim.
func (r *registry) lookup(x []float32, acc access, mirror bool) (*entry, uint64, bool) {
	start := uintptr(unsafe.Pointer(&x[0]))
	end := start + uintptr(len(x))*4
	if i := r.find(start); i >= 0 {
		e := r.entries[i]
		if start < e.end() {
			if e.host.Value() == nil {
				r.sweep()
			} else if end <= e.end() {
				if mirror && !e.mirrored {
					r.unmark(e)
					e.mirrored = true
				}
				return e, e.dev + uint64(start-e.base), false
			}
		}
	}
	e := r.create(x, acc, mirror)
	return e, e.dev + uint64(start-e.base), true
}

// claim prepares a device-owned entry for use by a device method. A fresh
// entry gets its sentinel. A known one whose sentinel the host overwrote
// (the arena zeroed the buffer) is zeroed on the device and marked again;
// so is one left unmarked, which only a one-element access creates (see
// Device.ptr): its state is unknown, and zero is what the arena hands out.
func (r *registry) claim(e *entry, fresh bool) {
	if e.mirrored {
		return
	}
	p := e.host.Value()
	if p == nil {
		panic("cuda: internal error: claimed entry's host memory is gone")
	}
	if !fresh && (!e.marked || hostBits(p) != sentinelBits) {
		r.mem.zero(e.dev, e.n*4)
		r.zeroed += int64(e.n) * 4
		e.marked = false
	}
	if !e.marked {
		e.saved = hostBits(p)
		setHostBits(p, sentinelBits)
		e.marked = true
	}
}

// unmark restores the host value the sentinel replaced, if the sentinel is
// still there.
func (r *registry) unmark(e *entry) {
	if !e.marked {
		return
	}
	if p := e.host.Value(); p != nil && hostBits(p) == sentinelBits {
		setHostBits(p, e.saved)
	}
	e.marked = false
}

// create makes an entry covering x's capacity and every live entry it
// overlaps.
func (r *registry) create(x []float32, acc access, mirror bool) *entry {
	start := uintptr(unsafe.Pointer(&x[0]))
	ext := start + uintptr(cap(x))*4
	lo, hi := start, ext
	host := weak.Make(&x[0])
	// Overlapping entries, dropping stale ones.
	var olds []*entry
	i := r.find(start)
	if i < 0 {
		i = 0
	} else if r.entries[i].end() <= start {
		i++
	}
	for j := i; j < len(r.entries) && r.entries[j].base < ext; j++ {
		e := r.entries[j]
		if e.host.Value() == nil {
			continue // swept below
		}
		olds = append(olds, e)
		if e.base < lo {
			lo, host = e.base, e.host
		}
		hi = max(hi, e.end())
	}
	r.sweep()
	n := int(hi-lo) / 4
	dev := r.alloc(n * 4)
	ne := &entry{base: lo, n: n, dev: dev, mirrored: mirror, host: host}
	// Old contents move over; the gaps between them are uploaded from the
	// host when the caller reads (Upload overwrites x itself afterwards).
	basePtr := unsafe.Pointer(host.Value())
	cur := lo
	gap := func(a, b uintptr) {
		if b > a && acc&read != 0 {
			r.mem.upload(dev+uint64(a-lo), unsafe.Add(basePtr, a-lo), int(b-a))
			r.uploads += int64(b - a)
		}
	}
	for _, e := range olds {
		gap(cur, e.base)
		off := dev + uint64(e.base-lo)
		if !e.mirrored && e.marked && hostBits(e.host.Value()) != sentinelBits {
			r.mem.zero(off, e.n*4) // zeroed by the host since last seen
			r.zeroed += int64(e.n) * 4
		} else {
			r.mem.copy(off, e.dev, e.n*4)
		}
		if e.mirrored {
			ne.mirrored = true
		}
		r.unmark(e)
		cur = e.end()
	}
	gap(cur, hi)
	if len(olds) > 0 {
		r.mem.sync() // the copies must finish before the old buffers go
		for _, e := range olds {
			r.remove(e)
			r.mem.free(e.dev)
			r.frees++
			r.bytes -= int64(e.n) * 4
		}
	}
	k := sort.Search(len(r.entries), func(k int) bool { return r.entries[k].base > lo })
	r.entries = append(r.entries, nil)
	copy(r.entries[k+1:], r.entries[k:])
	r.entries[k] = ne
	runtime.KeepAlive(x)
	return ne
}

func (r *registry) alloc(bytes int) uint64 {
	p, err := r.mem.alloc(bytes)
	if err != nil {
		// Dropped tapes may still hold device memory: collect and retry.
		runtime.GC()
		runtime.GC()
		r.sweep()
		p, err = r.mem.alloc(bytes)
		if err != nil {
			panic(fmt.Sprintf("cuda: allocating %d bytes (%d held in %d buffers): %v", bytes, r.bytes, len(r.entries), err))
		}
	}
	r.allocs++
	r.bytes += int64(bytes)
	return p
}

func (r *registry) remove(e *entry) {
	for k, x := range r.entries {
		if x == e {
			r.entries = append(r.entries[:k], r.entries[k+1:]...)
			return
		}
	}
}

// sweep frees the entries whose host memory was collected.
func (r *registry) sweep() {
	var dead []*entry
	live := r.entries[:0]
	for _, e := range r.entries {
		if e.host.Value() == nil {
			dead = append(dead, e)
		} else {
			live = append(live, e)
		}
	}
	clear(r.entries[len(live):])
	r.entries = live
	if len(dead) == 0 {
		return
	}
	r.mem.sync()
	for _, e := range dead {
		r.mem.free(e.dev)
		r.frees++
		r.bytes -= int64(e.n) * 4
	}
}

// release drops the entry holding x, restoring its host sentinel; it
// reports whether there was one.
func (r *registry) release(x []float32) bool {
	start := uintptr(unsafe.Pointer(&x[0]))
	i := r.find(start)
	if i < 0 || start >= r.entries[i].end() {
		return false
	}
	e := r.entries[i]
	r.unmark(e)
	r.mem.sync()
	r.remove(e)
	r.mem.free(e.dev)
	r.frees++
	r.bytes -= int64(e.n) * 4
	return true
}

// releaseAll frees every entry (Close).
func (r *registry) releaseAll() {
	r.mem.sync()
	for _, e := range r.entries {
		r.unmark(e)
		r.mem.free(e.dev)
		r.frees++
	}
	r.entries = nil
	r.bytes = 0
}
