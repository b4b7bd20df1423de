//go:build cuda && cgo

package cuda

import (
	"bytes"
	"unsafe"
)

// stageCache holds device copies of the host slices that ops take as plain
// data (indices, labels, attention masks, and the row grouping of a
// scatter-add), keyed by the slice's address, length and use. A copy is
// uploaded again only when the host contents differ from the last upload,
// so a mask shared by every layer of a step crosses the bus once.
type stageCache struct {
	m      map[stageKey]*stageEntry
	counts []int32 // reused by groupRows
	packed []int32
}

type stageKey struct {
	addr uintptr
	n    int
	kind uint8
}

const (
	stageRaw     = 1 // bytes as they are
	stageGrouped = 2 // groupRows of an index slice
)

type stageEntry struct {
	shadow []byte // the host contents last uploaded (for grouped: the indices)
	dev    uint64
	bytes  int
	nu     int // grouped: distinct rows
}

// maxStaged bounds the cache; past it everything is dropped and refilled.
const maxStaged = 512

func asBytes[T int32 | float32](x []T) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), len(x)*4)
}

// entry returns the cache entry for key with a device buffer of at least n
// bytes, and whether its contents must be (re)computed from src.
func (d *Device) stageSlot(key stageKey, src []byte, n int) (*stageEntry, bool) {
	s := &d.stage
	if s.m == nil {
		s.m = map[stageKey]*stageEntry{}
	}
	e := s.m[key]
	if e != nil && bytes.Equal(e.shadow, src) {
		return e, false
	}
	if e == nil {
		if len(s.m) >= maxStaged {
			d.syncLocked()
			s.freeAll()
			s.m = map[stageKey]*stageEntry{}
		}
		e = &stageEntry{}
		s.m[key] = e
	}
	if e.bytes < n {
		if e.dev != 0 {
			d.syncLocked() // a queued kernel may still read it
			must(cuFree(e.dev), "cuMemFree")
		}
		p, r := cuAlloc(max(n, 256))
		must(r, "cuMemAlloc for staged host data")
		e.dev, e.bytes = p, max(n, 256)
	}
	e.shadow = append(e.shadow[:0], src...)
	return e, true
}

// stageRaw returns a device copy of host data b (which may be empty: 0).
func (d *Device) stageRaw(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	key := stageKey{uintptr(unsafe.Pointer(&b[0])), len(b), stageRaw}
	e, changed := d.stageSlot(key, b, len(b))
	if changed {
		must(cuHtoD(e.dev, unsafe.Pointer(&b[0]), len(b)), "copy indices to the device")
		d.stats.StagedBytes += int64(len(b))
	}
	return e.dev
}

// stageGroups returns, on the device, idx grouped by target row for
// k_scatter: the distinct rows (nu), their start offsets (nu+1), and the
// positions of each row's sources in increasing order (len(idx)), packed
// in that order; and nu. nrows bounds the indices.
func (d *Device) stageGroups(idx []int32, nrows int) (uint64, int) {
	b := asBytes(idx)
	key := stageKey{uintptr(unsafe.Pointer(&idx[0])), len(idx), stageGrouped}
	n := len(idx)
	e, changed := d.stageSlot(key, b, 4*(3*n+1)) // nu <= n
	if changed {
		packed, nu := d.stage.groupRows(idx, nrows)
		must(cuHtoD(e.dev, unsafe.Pointer(&packed[0]), 4*len(packed)), "copy scatter groups to the device")
		d.stats.StagedBytes += int64(4 * len(packed))
		e.nu = nu
	}
	return e.dev, e.nu
}

// groupRows is a counting sort of positions by index: rows in increasing
// order, then starts, then positions (stable, so each row's sources stay in
// index order as kernels.ScatterAddRows adds them).
func (s *stageCache) groupRows(idx []int32, nrows int) ([]int32, int) {
	if cap(s.counts) < nrows+1 {
		s.counts = make([]int32, nrows+1)
	}
	cnt := s.counts[:nrows+1]
	clear(cnt)
	for _, r := range idx {
		cnt[r+1]++
	}
	nu := 0
	for r := 0; r < nrows; r++ {
		if cnt[r+1] > 0 {
			nu++
		}
		cnt[r+1] += cnt[r] // cnt[r] = first position slot of row r
	}
	n := len(idx)
	size := nu + nu + 1 + n
	if cap(s.packed) < size {
		s.packed = make([]int32, size)
	}
	p := s.packed[:size]
	rows, starts, pos := p[:nu], p[nu:2*nu+1], p[2*nu+1:]
	u := 0
	for r := 0; r < nrows; r++ {
		if cnt[r+1] > cnt[r] {
			rows[u], starts[u] = int32(r), cnt[r]
			u++
		}
	}
	starts[nu] = int32(n)
	next := cnt[:nrows] // reuse as insertion cursors
	for i, r := range idx {
		pos[next[r]] = int32(i)
		next[r]++
	}
	return p, nu
}

func (s *stageCache) freeAll() {
	for _, e := range s.m {
		if e.dev != 0 {
			cuFree(e.dev)
		}
	}
	s.m = nil
}
