//go:build cuda && cgo

package cuda

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/distilgo/distilgo/nn"
	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// Device-owned storage, exercised through the device (GPU or emulator).

func fill(n int, f func(i int) float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = f(i)
	}
	return x
}

// onDev returns a tensor in dev's memory holding vals.
func onDev(dev tensor.Device, vals []float32, shape ...int) *tensor.Tensor {
	x := tensor.NewOn(dev, shape...)
	x.CopyFrom(vals)
	return x
}

// Values written with CopyFrom come back with CopyTo and Item; NewOn
// zeroes; Host refuses a device tensor.
func TestStorageCopies(t *testing.T) {
	dev := device(t)
	x := tensor.NewOn(dev, 3, 4)
	if x.OnHost() {
		t.Fatal("NewOn(cuda) made a host tensor")
	}
	if diff := cmp.Diff(make([]float32, 12), read(x)); diff != "" {
		t.Errorf("NewOn is not zero (-want +got):\n%s", diff)
	}
	want := fill(12, func(i int) float32 { return float32(i) - 5.5 })
	x.CopyFrom(want)
	if diff := cmp.Diff(want, read(x)); diff != "" {
		t.Errorf("CopyTo after CopyFrom (-want +got):\n%s", diff)
	}
	if got := x.Slice(7, 8).Item(); got != want[7] {
		t.Errorf("Item of element 7 = %v, want %v", got, want[7])
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "CopyTo") {
			t.Errorf("Host of a device tensor: recover() = %v, want a panic pointing to CopyTo", r)
		}
	}()
	x.Host()
}

// Views (Slice, SetView: a parameter inside one flat buffer, a Reshape)
// resolve to their offset, for reading and for writing.
func TestStorageViews(t *testing.T) {
	dev := device(t)
	buf := onDev(dev, fill(100, func(i int) float32 { return float32(i) }), 100)
	out := tensor.NewOn(dev, 10)
	dev.Copy(out, buf.Slice(30, 40))
	if diff := cmp.Diff(fill(10, func(i int) float32 { return float32(30 + i) }), read(out)); diff != "" {
		t.Errorf("read through a view (-want +got):\n%s", diff)
	}
	w := tensor.New(2, 5)
	w.SetView(buf, 50)
	dev.Fill(w, -1)
	got := read(buf)
	for i, v := range got {
		want := float32(i)
		if i >= 50 && i < 60 {
			want = -1
		}
		if v != want {
			t.Fatalf("element %d = %v after writing the view [50,60), want %v", i, v, want)
		}
	}
}

// A parameter set bound to device tensors (what Trainer.Run does) trains
// there, and BindHost gives the parameters their host views back.
func TestParamSetBind(t *testing.T) {
	dev := device(t)
	l := nn.NewLinear(3, 2, true)
	ps := nn.Pack(l)
	copy(ps.Data, fill(ps.Len(), func(i int) float32 { return float32(i) / 8 }))
	data, grad := onDev(dev, ps.Data, ps.Len()), tensor.NewOn(dev, ps.Len())
	ps.Bind(data, grad)
	tp := tensor.NewTape()
	tp.SetDevice(dev)
	x := onDev(dev, []float32{1, 2, 3, -1, 0, 1}, 2, 3)
	tp.Backward(tp.Sum(l.Forward(tp, x)))
	g := read(grad)
	// d sum / d W[o][i] = sum over rows of x[:, i]; d / d b[o] = rows.
	want := []float32{0, 2, 4, 0, 2, 4, 2, 2}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("gradients on the device (-want +got):\n%s", diff)
	}
	ps.BindHost()
	for i, p := range ps.Params {
		if !p.OnHost() || &p.Host()[0] != &ps.Data[ps.Offsets[i]] {
			t.Errorf("parameter %s is not a view of ParamSet.Data after BindHost", ps.Names[i])
		}
	}
}

// A host tensor passed to a device method is a programmer error, named.
func TestHostTensorPanics(t *testing.T) {
	dev := device(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "host memory") {
			t.Errorf("recover() = %v, want a panic naming host memory", r)
		}
	}()
	dev.Fill(tensor.New(4), 1)
}

// The loss and sums stay on the device; Item reads them from there.
func TestScalarsOnDevice(t *testing.T) {
	dev := device(t)
	tp := tensor.NewTape()
	tp.SetDevice(dev)
	x := onDev(dev, fill(50, func(i int) float32 { return float32(i) / 10 }), 50)
	x.Grad = tensor.NewOn(dev, 50)
	x.SetRequiresGrad(true)
	s := tp.Sum(x)
	loss := tp.Scale(tp.Mul(s, s), 3)
	want := 3 * float64(s.Item()) * float64(s.Item())
	if math.Abs(float64(loss.Item())-want) > 1e-5*want {
		t.Fatalf("loss.Item() = %v, want %v", loss.Item(), want)
	}
	tp.Backward(loss)
	g := read(x.Grad)
	wantG := float32(6 * float64(s.Item()))
	if math.Abs(float64(g[7]-wantG)) > 1e-5*float64(wantG) {
		t.Errorf("dx = %v, want %v", g[7], wantG)
	}
}

// Device memory no tensor holds any more is freed by a later method.
func TestCollectedStorageIsFreed(t *testing.T) {
	dev := device(t)
	before := dev.Stats()
	for i := 0; i < 20; i++ {
		dev.Fill(tensor.NewOn(dev, 1000+i), 1)
	}
	if got := dev.Stats().Allocs - before.Allocs; got != 20 {
		t.Fatalf("%d allocations for 20 tensors", got)
	}
	// Cleanups run on their own goroutine after a collection: wait for
	// them a little.
	var freed int64
	for try := 0; try < 100 && freed < 10; try++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
		dev.Synchronize() // a method: frees what the cleanups queued
		freed = dev.Stats().Frees - before.Frees
	}
	if freed < 10 {
		t.Errorf("%d buffers freed after their tensors were collected, want about 20", freed)
	}
}

// Index slices are staged once and reused while unchanged.
func TestIndicesStagedOnce(t *testing.T) {
	dev := device(t)
	table := onDev(dev, fill(40, func(i int) float32 { return float32(i) }), 10, 4)
	idx := []int32{1, 2, 3}
	out := tensor.NewOn(dev, 3, 4)
	dev.Gather(out, table, idx, 4)
	s1 := dev.Stats().StagedBytes
	dev.Gather(out, table, idx, 4)
	if s2 := dev.Stats().StagedBytes; s2 != s1 {
		t.Errorf("unchanged indices staged again (%d bytes)", s2-s1)
	}
	idx[1] = 9
	dev.Gather(out, table, idx, 4)
	if got := read(out); got[4] != 36 {
		t.Errorf("after changing the indices: row 1 starts with %v, want 36", got[4])
	}
}
