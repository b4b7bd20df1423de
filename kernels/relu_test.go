package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// reluNaive is the definition, one element at a time: torch.relu's value
// and threshold_backward's derivative (1 where x > 0 or NaN, else 0).
func reluNaive(x float64) (y, dydx float64) {
	switch {
	case math.IsNaN(x):
		return x, 1
	case x > 0:
		return x, 1
	}
	return 0, 0
}

// reluInputs: random values across a size that splits into several
// parallel ranges, and specials.
func reluInputs() []float32 {
	r := rand.New(rand.NewPCG(41, 42))
	xs := make([]float32, 3*grain+7)
	fillUniform(r, xs, 4)
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, float32(math.NaN()),
		float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32)
}

// TestRelu and TestReluBackward compare with the naive definition exactly:
// the kernel selects or adds one float32 value, so there is no rounding
// beyond the one addition of the backward (done in float32 by both).
func TestRelu(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		xs := reluInputs()
		y := newGuarded(len(xs))
		Relu(y.s, xs)
		y.check(t, "y")
		for i, x := range xs {
			want, _ := reluNaive(float64(x))
			got := float64(y.s[i])
			if !(got == want || math.IsNaN(got) && math.IsNaN(want)) || math.Signbit(got) != math.Signbit(want) {
				t.Fatalf("Relu(%v) = %v, want %v", x, got, want)
			}
		}
	})
}

func TestReluBackward(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		xs := reluInputs()
		r := rand.New(rand.NewPCG(43, 44))
		dy := make([]float32, len(xs))
		fillUniform(r, dy, 2)
		dx := newGuarded(len(xs))
		fillUniform(r, dx.s, 1)
		dx0 := append([]float32(nil), dx.s...)
		ReluBackward(dx.s, xs, dy)
		dx.check(t, "dx")
		for i, x := range xs {
			_, d := reluNaive(float64(x))
			want := dx0[i] + float32(d)*dy[i]
			if dx.s[i] != want {
				t.Fatalf("ReluBackward at x=%v dy=%v: dx = %v, want %v", x, dy[i], dx.s[i], want)
			}
		}
	})
}
