package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func geluRef64(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func geluBackwardRef64(x float64) float64 {
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// geluInputs: a dense sweep over [-12, 12], random values, and specials.
func geluInputs() []float32 {
	var xs []float32
	for i := 0; i < 24001; i++ {
		xs = append(xs, -12+float32(i)/1000)
	}
	r := rand.New(rand.NewPCG(31, 32))
	for range 5003 {
		xs = append(xs, float32(r.NormFloat64()*3))
	}
	return append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-40, 0.921875, -0.921875, 2.828, -5.657, 100, -100, 1e30, -1e30)
}

// TestGelu: y = x/2·(1 + erf(x/√2)). Tolerance |err| <= |x|/2·3e-7 + u·|y|:
// the vector levels compute 1 + erf(z) to within 3e-7 absolute (measured
// 2.3e-7 at worst, about 2 ULP of 1 + erf near z = 0.9, the split of the two
// erf approximations), and one more rounding when multiplying by x/2. The
// generic level (float64 math.Erf) is within half an ULP.
func TestGelu(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		xs := geluInputs()
		y := newGuarded(len(xs))
		Gelu(y.s, xs)
		y.check(t, "y")
		for i, x := range xs {
			want := geluRef64(float64(x))
			tol := math.Abs(float64(x))/2*3e-7 + u*math.Abs(want)
			if d := math.Abs(float64(y.s[i]) - want); !(d <= tol) {
				t.Fatalf("Gelu(%v) = %v, want %v (|diff| %.3g > %.3g)", x, y.s[i], want, d, tol)
			}
		}
		special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
		sy := make([]float32, 3)
		Gelu(sy, special)
		if !math.IsNaN(float64(sy[0])) || !math.IsInf(float64(sy[1]), 1) || !math.IsNaN(float64(sy[2])) {
			t.Fatalf("Gelu(NaN, +Inf, -Inf) = %v, want NaN, +Inf, NaN (as 0.5·x·(1+erf) in float64)", sy)
		}
	})
}

// TestGeluBackward: dx += dy·(Φ(x) + x·φ(x)). Tolerance |dy|·2.5e-7 +
// u·|dx|: Φ to within 1.5e-7 (half the 1+erf bound), x·φ(x) to a few ULP
// (exp 1 ULP), measured 1.4e-7 at worst; plus the accumulation rounding.
func TestGeluBackward(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		xs := geluInputs()
		r := rand.New(rand.NewPCG(33, 34))
		dy := make([]float32, len(xs))
		fillUniform(r, dy, 2)
		dx := newGuarded(len(xs))
		fillUniform(r, dx.s, 1)
		dx0 := append([]float32(nil), dx.s...)
		GeluBackward(dx.s, xs, dy)
		dx.check(t, "dx")
		for i, x := range xs {
			want := float64(dx0[i]) + float64(dy[i])*geluBackwardRef64(float64(x))
			tol := math.Abs(float64(dy[i]))*2.5e-7 + u*math.Abs(want)
			if d := math.Abs(float64(dx.s[i]) - want); !(d <= tol) {
				t.Fatalf("GeluBackward at x=%v dy=%v: dx = %v, want %v (|diff| %.3g > %.3g)", x, dy[i], dx.s[i], want, d, tol)
			}
		}
	})
}
