//go:build cuda && cgo

package cuda

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// The host-shadow rules, exercised through the device (GPU or emulator).

func fill(n int, f func(i int) float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = f(i)
	}
	return x
}

// A view of an uploaded buffer (a parameter inside ParamSet.Data)
// resolves to the right offset, for reading and for writing.
func TestViewsOfUploadedBuffer(t *testing.T) {
	dev := device(t)
	buf := fill(100, func(i int) float32 { return float32(i) })
	dev.Upload(buf)
	view := tensor.FromData(buf[30:40], 10)
	out := tensor.New(10)
	dev.Copy(out, view)
	if diff := cmp.Diff(buf[30:40], dev.Read(out.Host())); diff != "" {
		t.Errorf("copy of a view (-want +got):\n%s", diff)
	}
	dev.Scale(2, tensor.FromData(buf[50:60], 10))
	got := dev.Read(buf)
	for i, v := range got {
		want := float32(i)
		if i >= 50 && i < 60 {
			want *= 2
		}
		if v != want {
			t.Fatalf("buf[%d] = %v on the device, want %v", i, v, want)
		}
	}
	if buf[55] != 55 {
		t.Errorf("the host copy of a mirrored buffer changed without Download")
	}
	dev.Download(buf)
	if buf[55] != 110 {
		t.Errorf("Download: buf[55] = %v, want 110", buf[55])
	}
}

// A range first met as a small view and later as the whole buffer is
// merged into one device buffer that keeps the view's device contents and
// takes the rest from the host.
func TestMergeKeepsDeviceContents(t *testing.T) {
	dev := device(t)
	host := fill(64, func(i int) float32 { return float32(i) })
	dev.Fill(tensor.FromData(host[8:16:16], 8), 7) // device-owned, capacity ends at 16
	whole := tensor.FromData(host, 64)
	out := tensor.New(64)
	dev.Copy(out, whole) // reads the whole range: merge
	got := dev.Read(out.Host())
	for i, v := range got {
		want := float32(i)
		if i >= 8 && i < 16 {
			want = 7
		}
		if v != want {
			t.Fatalf("element %d = %v, want %v", i, v, want)
		}
	}
}

// The arena zeroes a reused buffer on the host; the device sees the
// overwritten marker and zeroes its copy before the next accumulation.
func TestHostZeroingReachesTheDevice(t *testing.T) {
	dev := device(t)
	g := tensor.New(300)
	ones := tensor.FromData(fill(300, func(int) float32 { return 1 }), 300)
	dev.Upload(ones.Host())
	dev.Axpy(3, ones, g) // device-owned, first met read-write: uploaded zeros, then += 3
	if got := dev.Read(g.Host()); got[299] != 3 {
		t.Fatalf("after the first Axpy: %v, want 3", got[299])
	}
	dev.Axpy(1, ones, g) // no host write in between: accumulates
	if got := dev.Read(g.Host()); got[0] != 4 {
		t.Fatalf("after the second Axpy: %v, want 4", got[0])
	}
	clear(g.Host()) // what Tape.alloc(zero=true) does when it hands g out again
	dev.Axpy(1, ones, g)
	if got := dev.Read(g.Host()); got[0] != 1 || got[299] != 1 {
		t.Fatalf("after host zeroing and Axpy: %v %v, want 1 1", got[0], got[299])
	}
	before := dev.Stats().ArenaZeroed
	dev.Axpy(1, ones, g)
	if dev.Stats().ArenaZeroed != before {
		t.Errorf("zeroed again without a host write")
	}
	if !dev.Release(g.Host()) {
		t.Errorf("Release: not held")
	}
	if g.Host()[0] != 0 {
		t.Errorf("Release did not give the host its first element back: %v", g.Host()[0])
	}
}

// One-element tensors at the start of device-owned memory are kept equal
// on host and device: callers read losses with Item on the host.
func TestScalarsStayCoherent(t *testing.T) {
	dev := device(t)
	tp := tensor.NewTape()
	tp.SetDevice(dev)
	x := tensor.FromData(fill(50, func(i int) float32 { return float32(i) / 10 }), 50).SetRequiresGrad(true)
	dev.Upload(x.Host())
	s := tp.Sum(x)                    // written on the host by the tape
	loss := tp.Scale(tp.Mul(s, s), 3) // device ops on one-element tensors
	want := 3 * float64(s.Item()) * float64(s.Item())
	if math.Abs(float64(loss.Item())-want) > 1e-5*want {
		t.Fatalf("loss.Item() = %v, want %v", loss.Item(), want)
	}
	tp.Backward(loss) // Fill(1) on the device, read by the Sum backward on the host
	g := dev.Read(x.Grad.Host())
	wantG := float32(6 * float64(s.Item()))
	if math.Abs(float64(g[7]-wantG)) > 1e-5*float64(wantG) {
		t.Errorf("dx = %v, want %v", g[7], wantG)
	}
}

// Download refuses device-owned memory (its first element is the
// device's marker); Read is the way to get tape results.
func TestDownloadOfDeviceOwnedPanics(t *testing.T) {
	dev := device(t)
	x := tensor.New(10)
	dev.Fill(x, 1)
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "use Read") {
			t.Errorf("recover() = %v, want a panic pointing to Read", r)
		}
	}()
	dev.Download(x.Host())
}

// Device buffers of host memory that was garbage-collected are freed when
// the device next allocates.
func TestCollectedHostMemoryIsFreed(t *testing.T) {
	dev := device(t)
	for i := 0; i < 20; i++ {
		dev.Fill(tensor.New(1000+i), 1)
	}
	runtime.GC()
	runtime.GC()
	before := dev.Stats()
	dev.Fill(tensor.New(5000), 2) // allocates: sweeps
	after := dev.Stats()
	if after.Frees-before.Frees < 10 {
		t.Errorf("%d buffers freed after the host memory was collected, want about 20", after.Frees-before.Frees)
	}
}

// Index slices are staged once and reused while unchanged.
func TestIndicesStagedOnce(t *testing.T) {
	dev := device(t)
	table := tensor.FromData(fill(40, func(i int) float32 { return float32(i) }), 10, 4)
	dev.Upload(table.Host())
	idx := []int32{1, 2, 3}
	out := tensor.New(3, 4)
	dev.Gather(out, table, idx, 4)
	s1 := dev.Stats().StagedBytes
	dev.Gather(out, table, idx, 4)
	if s2 := dev.Stats().StagedBytes; s2 != s1 {
		t.Errorf("unchanged indices staged again (%d bytes)", s2-s1)
	}
	idx[1] = 9
	dev.Gather(out, table, idx, 4)
	if got := dev.Read(out.Host()); got[4] != 36 {
		t.Errorf("after changing the indices: row 1 starts with %v, want 36", got[4])
	}
}
