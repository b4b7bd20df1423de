package kernels

import (
	"math"
	"testing"
)

// TestPolyF32Accuracy measures expPoly, onePlusErfPoly, geluPoly and
// geluBackwardPoly against float64 math over dense sweeps and checks them
// against bounds. Measured (this sweep): exp 1.0 ULP; 1 + erf 2.1e-7
// absolute (near the split z = 0.92, where 1 + erf ≈ 1.8 and its ULP is
// 1.2e-7); GELU within |x|/2·3e-7 + u·|y| (the vector levels' bound in
// TestGelu); GELU backward within 2.5e-7 (TestGeluBackward's).
func TestPolyF32Accuracy(t *testing.T) {
	step := float32(1e-3)
	if testing.Short() {
		step = 1e-2
	}
	var worstExp float64
	for x := float32(-87); x <= 88; x += step {
		if e := ulpErr(expPoly(x), math.Exp(float64(x))); e > worstExp {
			worstExp = e
		}
	}
	if worstExp > 2 {
		t.Errorf("expPoly: %.2f ULP at worst, want <= 2", worstExp)
	}
	var worstErf, worstGelu, worstGeluBW float64
	for x := float32(-12); x <= 12; x += step / 4 {
		z := x * invSqrt2f
		if d := math.Abs(float64(onePlusErfPoly(z)) - (1 + math.Erf(float64(z)))); d > worstErf {
			worstErf = d
		}
		want := geluRef64(float64(x))
		tol := math.Abs(float64(x))/2*3e-7 + u*math.Abs(want)
		if d := math.Abs(float64(geluPoly(x))-want) / tol; d > worstGelu {
			worstGelu = d
		}
		if d := math.Abs(float64(geluBackwardPoly(x, 1)) - geluBackwardRef64(float64(x))); d > worstGeluBW {
			worstGeluBW = d
		}
	}
	t.Logf("expPoly %.3f ULP, 1+erf %.3g, GELU %.3f of its tolerance, GELU backward %.3g", worstExp, worstErf, worstGelu, worstGeluBW)
	if worstErf > 3e-7 {
		t.Errorf("onePlusErfPoly: |error| %.3g, want <= 3e-7", worstErf)
	}
	if worstGelu > 1 {
		t.Errorf("geluPoly: error %.3f of the tolerance |x|/2·3e-7 + u·|y|", worstGelu)
	}
	if worstGeluBW > 2.5e-7 {
		t.Errorf("geluBackwardPoly: |error| %.3g, want <= 2.5e-7", worstGeluBW)
	}
}

// TestPolyF32Specials: the edges of the domains and non-finite inputs.
func TestPolyF32Specials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, c := range []struct {
		name      string
		got, want float32
	}{
		{"exp(-87.5)", expPoly(-87.5), 0},
		{"exp(-Inf)", expPoly(-inf), 0},
		{"exp(0)", expPoly(0), 1},
		{"exp(+Inf)", expPoly(inf), expPoly(88)},
		{"1+erf(-4)", onePlusErfPoly(-4), 0},
		{"1+erf(-Inf)", onePlusErfPoly(-inf), 0},
		{"1+erf(4)", onePlusErfPoly(4), 2},
		{"1+erf(0)", onePlusErfPoly(0), 1},
		{"gelu(+Inf)", geluPoly(inf), inf},
		{"gelu(0)", geluPoly(0), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		got  float32
	}{
		{"exp(NaN)", expPoly(nan)}, {"1+erf(NaN)", onePlusErfPoly(nan)}, {"gelu(NaN)", geluPoly(nan)},
		{"gelu(-Inf)", geluPoly(-inf)}, {"geluBackward(NaN)", geluBackwardPoly(nan, 1)},
	} {
		if !math.IsNaN(float64(c.got)) {
			t.Errorf("%s = %v, want NaN", c.name, c.got)
		}
	}
}
