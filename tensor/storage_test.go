package tensor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeStorage is device storage kept in a hidden host slice, so that the
// device-side paths of Tensor and Tape run without a device.
type fakeStorage struct{ v []float32 }

func (s *fakeStorage) Len() int                     { return len(s.v) }
func (s *fakeStorage) Read(dst []float32, off int)  { copy(dst, s.v[off:off+len(dst)]) }
func (s *fakeStorage) Write(off int, src []float32) { copy(s.v[off:], src) }

// fakeDevice allocates fakeStorage (counting) and fills through it; its
// other methods are the CPU's and must not be reached by these tests.
type fakeDevice struct {
	cpuDevice
	allocs *int
}

func (d fakeDevice) Alloc(n int) Storage {
	*d.allocs++
	v := make([]float32, n)
	for i := range v {
		v[i] = 42 // undefined contents: NewOn and the arena must zero
	}
	return &fakeStorage{v}
}

func (d fakeDevice) Fill(x *Tensor, v float32) {
	s, off := x.Storage()
	for i := range x.Size() {
		s.(*fakeStorage).v[off+i] = v
	}
}

func hostCopy(x *Tensor) []float32 {
	v := make([]float32, x.Size())
	x.CopyTo(v)
	return v
}

// A tensor on device storage: NewOn zeroes, CopyFrom/CopyTo/Item go
// through the storage, views (Slice, SetView) resolve to their offset, Host
// refuses, SetHost brings it back to the host.
func TestDeviceStorageTensor(t *testing.T) {
	n := 0
	d := fakeDevice{allocs: &n}
	x := NewOn(d, 2, 5)
	if x.OnHost() || n != 1 {
		t.Fatalf("NewOn: on host %v, %d allocations", x.OnHost(), n)
	}
	if diff := cmp.Diff(make([]float32, 10), hostCopy(x)); diff != "" {
		t.Errorf("NewOn is not zero (-want +got):\n%s", diff)
	}
	x.CopyFrom([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	s := x.Slice(3, 7)
	if diff := cmp.Diff([]float32{3, 4, 5, 6}, hostCopy(s)); diff != "" {
		t.Errorf("Slice(3, 7) (-want +got):\n%s", diff)
	}
	if got := s.Slice(1, 2).Item(); got != 4 {
		t.Errorf("Item of a view of a view = %v, want 4", got)
	}
	v := New(2)
	v.SetView(s, 2) // elements 5 and 6 of x
	v.CopyFrom([]float32{-5, -6})
	if diff := cmp.Diff([]float32{0, 1, 2, 3, 4, -5, -6, 7, 8, 9}, hostCopy(x)); diff != "" {
		t.Errorf("write through SetView (-want +got):\n%s", diff)
	}
	if st, off := v.Storage(); st == nil || off != 5 {
		t.Errorf("Storage() = %v, %d; want the storage at 5", st, off)
	}
	if got := x.String(); !strings.Contains(got, "on a device") {
		t.Errorf("String() = %q, want it to say the tensor is on a device", got)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "CopyTo") {
				t.Errorf("Host of a device tensor: recover() = %v, want a panic pointing to CopyTo", r)
			}
		}()
		x.Host()
	}()
	v.SetHost([]float32{1, 2})
	if !v.OnHost() || v.Host()[1] != 2 {
		t.Errorf("SetHost did not bring the tensor back to the host")
	}
}

// Views check their range.
func TestViewRanges(t *testing.T) {
	x := New(4)
	for _, f := range []func(){
		func() { x.Slice(2, 5) },
		func() { x.Slice(3, 2) },
		func() { New(3).SetView(x, 2) },
		func() { New(1).SetView(x, -1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("out-of-range view did not panic")
				}
			}()
			f()
		}()
	}
	y := FromData([]float32{1, 2, 3, 4}, 4)
	v := New(2)
	v.SetView(y, 1)
	v.Host()[0] = 9
	if diff := cmp.Diff([]float32{1, 9, 3, 4}, y.Host()); diff != "" {
		t.Errorf("a host SetView is not a view (-want +got):\n%s", diff)
	}
	if cap(v.Host()) != 2 {
		t.Errorf("a host view reaches past its end: cap %d", cap(v.Host()))
	}
}

// On a device with its own memory the tape's arena and gradient free list
// hand out device storage, zeroed through Fill where asked, in the same
// reuse order as host buffers: a repeated pass allocates nothing.
func TestArenaOnDevice(t *testing.T) {
	n := 0
	tp := NewTape()
	tp.SetDevice(fakeDevice{allocs: &n})
	pass := func() (a, b, g *Tensor) {
		tp.Reset()
		a = tp.alloc(true, 3, 4)
		b = tp.alloc(false, 5)
		g = tp.pooled(a)
		return a, b, g
	}
	a, b, g := pass()
	if a.OnHost() || b.OnHost() || g.OnHost() {
		t.Fatal("the arena handed out host memory on a device")
	}
	first := n
	for _, x := range []*Tensor{a, g} {
		if diff := cmp.Diff(make([]float32, 12), hostCopy(x)); diff != "" {
			t.Errorf("zeroed buffer (-want +got):\n%s", diff)
		}
	}
	a.CopyFrom(make([]float32, 12))
	a.Slice(0, 1).CopyFrom([]float32{3})
	tp.release(g) // a dead gradient: served again by the next pooled
	if g2 := tp.pooled(a); g2.st != g.st || hostCopy(g2)[0] != 0 {
		t.Errorf("the free list did not serve the released buffer zeroed")
	}
	a2, b2, _ := pass()
	if n != first {
		t.Errorf("%d allocations in a repeated pass", n-first)
	}
	if a2.st != a.st || b2.st != b.st {
		t.Error("a repeated pass got other buffers")
	}
	if hostCopy(a2)[0] != 0 {
		t.Error("a reused zeroed buffer was not zeroed")
	}
	// Scratch is host memory whatever the device.
	if m := tp.Scratch(4); len(m) != 4 {
		t.Errorf("Scratch(4) has %d elements", len(m))
	}
	// Back on the CPU, slots of the other kind are replaced by host memory.
	tp.SetDevice(CPU)
	tp.Reset()
	if x := tp.alloc(true, 3, 4); !x.OnHost() {
		t.Error("a tape moved to the CPU handed out device memory")
	}
}
