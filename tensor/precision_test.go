package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/kernels"
)

// forEachKernelLevel runs f at every kernel level this CPU has (the bf16
// hardware level and the emulating ones below it), on 1 and 2 threads, and
// restores the level and thread count.
func forEachKernelLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	was, threads := kernels.Level(), kernels.Threads()
	defer func() {
		if err := kernels.Use(was); err != nil {
			t.Fatal(err)
		}
		kernels.SetThreads(threads)
	}()
	for _, l := range kernels.Levels() {
		for _, th := range []int{1, 2} {
			if err := kernels.Use(l); err != nil {
				t.Fatal(err)
			}
			kernels.SetThreads(th)
			t.Run(fmt.Sprintf("%s/threads%d", l, th), f)
		}
	}
}

// sameBits fails unless got and want hold the same float32 bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want bit for bit %v", what, i, got[i], want[i])
		}
	}
}

// linearBF16Want computes Linear's forward x·wᵀ and backward dx = dy·w
// with kernels.SgemmBF16 straight on the float32 tensors (the products
// before packed weights).
func linearBF16Want(rows, in, out int, x, w, dy []float32) (y, dx []float32) {
	y = make([]float32, rows*out)
	dx = make([]float32, rows*in)
	kernels.SgemmBF16(false, true, rows, out, in, 1, x, in, w, in, 0, y, out)
	kernels.SgemmBF16(false, false, rows, in, out, 1, dy, out, w, in, 0, dx, in)
	return y, dx
}

// TestLinearBF16PackedWeights: on cpuBF16, Linear's forward (NT) and
// backward (NN) products through the tape's packed weights give the bits
// of SgemmBF16 on the float32 weight, at every level (the emulation packs
// nothing and must be unchanged), for shapes on both sides of the small-M
// path and of the thread split; the weight is used twice in one pass
// (the second use reads the packed copy where the first packed it).
func TestLinearBF16PackedWeights(t *testing.T) {
	// rows×in×out: the small-M path, splits along N (nothing packed),
	// splits along M (packed), one of each.
	shapes := [][3]int{{3, 64, 50}, {40, 70, 300}, {600, 128, 64}, {130, 769, 33}}
	forEachKernelLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			rows, in, out := s[0], s[1], s[2]
			x := FromData(randSlice(r, rows*in), rows, in).SetRequiresGrad(true)
			w := FromData(randSlice(r, out*in), out, in).SetRequiresGrad(true)
			dy := randSlice(r, rows*out)
			wantY, wantDX := linearBF16Want(rows, in, out, x.data, w.data, dy)

			tp := NewTape()
			tp.SetDevice(cpuBF16)
			for use := 0; use < 2; use++ {
				y := tp.Linear(x, w, nil)
				sameBits(t, fmt.Sprintf("%v use %d: forward", s, use), y.data, wantY)
			}
			y := tp.Linear(x, w, nil)
			loss := tp.Sum(tp.Mul(y, FromData(dy, rows, out)))
			tp.Backward(loss)
			// x.Grad sums the backward of the one product that reached the loss.
			sameBits(t, fmt.Sprintf("%v: dx", s), x.Grad.data, wantDX)
			packed := kernels.BF16PackedBSaves(false, true, rows, out, in) || kernels.BF16PackedBSaves(false, false, rows, in, out)
			if got := tp.packedWeightBytes() > 0; got != packed {
				t.Errorf("%v: tape holds %d bytes of packed weights, want packing %v", s, tp.packedWeightBytes(), packed)
			}
		}
	})
}

// TestLinearBF16PackedWeightsNotStale: after the weights change (an
// optimizer step), the next forward reads the new values, whether the tape
// was Reset in between (the training loop) or the change came right after
// Backward on the same tape; on a no-grad tape, after Reset.
func TestLinearBF16PackedWeightsNotStale(t *testing.T) {
	const rows, in, out = 600, 64, 128 // a split along M: packed on 2 threads
	update := func(w *Tensor) {
		for i := range w.data {
			w.data[i] = 0.5*w.data[i] - 0.25 // an optimizer step
		}
	}
	forEachKernelLevel(t, func(t *testing.T) {
		for _, c := range []struct {
			name   string
			noGrad bool
			step   func(tp *Tape, y *Tensor, w *Tensor)
		}{
			{"backward, step, reset", false, func(tp *Tape, y, w *Tensor) { tp.Backward(tp.Sum(y)); update(w); tp.Reset() }},
			{"backward, step", false, func(tp *Tape, y, w *Tensor) { tp.Backward(tp.Sum(y)); update(w) }},
			{"reset, step", false, func(tp *Tape, y, w *Tensor) { tp.Reset(); update(w) }},
			{"no-grad: reset, step", true, func(tp *Tape, y, w *Tensor) { tp.Reset(); update(w) }},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := rand.New(rand.NewPCG(3, 4))
				x := FromData(randSlice(r, rows*in), rows, in)
				w := FromData(randSlice(r, out*in), out, in).SetRequiresGrad(true)
				tp := NewTape()
				if c.noGrad {
					tp = NewNoGradTape()
				}
				tp.SetDevice(cpuBF16)
				for step := 0; step < 3; step++ {
					y := tp.Linear(x, w, nil)
					want, _ := linearBF16Want(rows, in, out, x.data, w.data, make([]float32, rows*out))
					sameBits(t, fmt.Sprintf("step %d: forward", step), y.data, want)
					if packed := kernels.BF16Hardware() && kernels.Threads() > 1; packed != (tp.packedWeightBytes() > 0) {
						t.Fatalf("step %d: %d bytes of packed weights, want packing %v", step, tp.packedWeightBytes(), packed)
					}
					c.step(tp, y, w)
				}
			})
		}
	})
}

// TestLinearBF16FixedWeights: with SetWeightsFixed, forward products of a
// few rows read the weight from bf16 rows and larger ones from a packed
// copy, both kept across Reset, with the bits of SgemmBF16 on the float32
// weight, at every level; the rows are converted only where the level
// reads them, and SetWeightsFixed(false) drops both.
func TestLinearBF16FixedWeights(t *testing.T) {
	shapes := [][3]int{{1, 64, 50}, {3, 100, 70}, {8, 768, 33}, {40, 70, 300}}
	forEachKernelLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		tp := NewNoGradTape()
		tp.SetDevice(cpuBF16)
		tp.SetWeightsFixed(true)
		for _, s := range shapes {
			rows, in, out := s[0], s[1], s[2]
			x := FromData(randSlice(r, rows*in), rows, in)
			w := FromData(randSlice(r, out*in), out, in)
			wantY, _ := linearBF16Want(rows, in, out, x.data, w.data, make([]float32, rows*out))
			for pass := 0; pass < 2; pass++ {
				tp.Reset()
				y := tp.Linear(x, w, nil)
				sameBits(t, fmt.Sprintf("%v pass %d: forward", s, pass), y.data, wantY)
			}
			_, kept := tp.weights.byRows[w]
			if want := kernels.BF16RowsRead(rows, in); kept != want {
				t.Errorf("%v: bf16 rows kept %v, want %v (read at this level and size)", s, kept, want)
			}
			if !kept && !tp.weights.has(w, true, in, out) {
				t.Errorf("%v: no packed copy kept across Reset", s)
			}
		}
		tp.SetWeightsFixed(false)
		if n := len(tp.weights.byRows); n != 0 {
			t.Errorf("SetWeightsFixed(false) kept %d converted weights", n)
		}
		for w, e := range tp.weights.byWeight {
			if e.valid {
				t.Errorf("SetWeightsFixed(false) left a packed copy of a %v weight valid", w.Shape())
			}
		}
	})
}
