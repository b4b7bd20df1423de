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
// generic level evaluates the same approximation without fused
// multiply-adds (polyf32.go; measured 0.57 of this tolerance at worst).
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

// TestGeluLengths runs Gelu and GeluBackward on short slices at every
// level (the vector body, the tail, and both), with guard bands on every
// buffer and the tolerances of TestGelu and TestGeluBackward. The inputs
// straddle the erf split (|x/√2| = 0.921875) and the erfc cut-off (4).
func TestGeluLengths(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(35, 36))
		for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65} {
			x := newGuarded(n)
			for i := range x.s {
				x.s[i] = []float32{-6.5, -5.66, -1.3037, -1.3, 0, 0.5, 1.3037, 2, 5.66, 8}[r.IntN(10)] * (1 + 0.01*r.Float32())
			}
			y := newGuarded(n)
			Gelu(y.s, x.s)
			x.check(t, "x")
			y.check(t, "y")
			dy := newGuarded(n)
			fillUniform(r, dy.s, 2)
			dx := newGuarded(n)
			fillUniform(r, dx.s, 1)
			dx0 := append([]float32(nil), dx.s...)
			GeluBackward(dx.s, x.s, dy.s)
			dx.check(t, "dx")
			dy.check(t, "dy")
			for i, v := range x.s {
				want := geluRef64(float64(v))
				if d := math.Abs(float64(y.s[i]) - want); !(d <= math.Abs(float64(v))/2*3e-7+u*math.Abs(want)) {
					t.Fatalf("n=%d: Gelu(%v) = %v, want %v", n, v, y.s[i], want)
				}
				want = float64(dx0[i]) + float64(dy.s[i])*geluBackwardRef64(float64(v))
				if d := math.Abs(float64(dx.s[i]) - want); !(d <= math.Abs(float64(dy.s[i]))*2.5e-7+u*math.Abs(want)) {
					t.Fatalf("n=%d: GeluBackward at x=%v: dx = %v, want %v", n, v, dx.s[i], want)
				}
			}
		}
	})
}
