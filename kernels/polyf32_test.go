package kernels

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"os"
	"strings"
	"testing"
)

// TestPolyF32Accuracy measures exp, GELU and GELU's backward against
// float64 math over dense sweeps, at every level: the scalar polynomials
// of polyf32.go at the generic level, the vector primitives at the others
// (simd.exp, simd.gelu, simd.geluBackward, called directly). Bounds: exp
// 2 ULP; GELU |x|/2·3e-7 + u·|y| (TestGelu's, from 1 + erf within 3e-7);
// GELU backward 2.5e-7 (TestGeluBackward's). Measured (full sweep, the
// same on amd64 and on arm64 under qemu): exp 0.96 ULP generic, 0.98 at the
// vector levels; GELU 0.57 of its bound generic, 0.49 vector; GELU
// backward 1.4e-7 generic, 1.2e-7 vector; and the generic 1 + erf within
// 1.5e-7 (checked against 3e-7).
func TestPolyF32Accuracy(t *testing.T) {
	step := float32(1e-3)
	if testing.Short() {
		step = 1e-2
	}
	var xe, xg []float32
	for x := float32(-87); x <= 88; x += step {
		xe = append(xe, x)
	}
	for x := float32(-12); x <= 12; x += step / 4 {
		xg = append(xg, x)
	}
	forEachLevel(t, func(t *testing.T) {
		n := len(xe) &^ 15
		ye := make([]float32, n)
		yg := make([]float32, len(xg)&^15)
		dg := make([]float32, len(yg))
		ones := make([]float32, len(yg))
		for i := range ones {
			ones[i] = 1
		}
		if simd == nil {
			for i, x := range xe[:n] {
				ye[i] = expPoly(x)
			}
			for i, x := range xg[:len(yg)] {
				yg[i] = geluPoly(x)
				dg[i] = geluBackwardPoly(x, 1)
			}
			var worstErf float64
			for _, x := range xg {
				z := x * invSqrt2f
				worstErf = max(worstErf, math.Abs(float64(onePlusErfPoly(z))-(1+math.Erf(float64(z)))))
			}
			t.Logf("1+erf: %.3g", worstErf)
			if worstErf > 3e-7 {
				t.Errorf("onePlusErfPoly: |error| %.3g, want <= 3e-7", worstErf)
			}
		} else {
			simd.exp(&ye[0], &xe[0], n)
			simd.gelu(&yg[0], &xg[0], len(yg))
			simd.geluBackward(&dg[0], &xg[0], &ones[0], len(yg))
		}
		var worstExp, worstGelu, worstGeluBW float64
		for i, x := range xe[:n] {
			worstExp = max(worstExp, ulpErr(ye[i], math.Exp(float64(x))))
		}
		for i, x := range xg[:len(yg)] {
			want := geluRef64(float64(x))
			tol := math.Abs(float64(x))/2*3e-7 + u*math.Abs(want)
			worstGelu = max(worstGelu, math.Abs(float64(yg[i])-want)/tol)
			worstGeluBW = max(worstGeluBW, math.Abs(float64(dg[i])-geluBackwardRef64(float64(x))))
		}
		t.Logf("exp %.3f ULP, GELU %.3f of its bound, GELU backward %.3g", worstExp, worstGelu, worstGeluBW)
		if worstExp > 2 {
			t.Errorf("exp: %.2f ULP at worst, want <= 2", worstExp)
		}
		if worstGelu > 1 {
			t.Errorf("GELU: error %.3f of the bound |x|/2·3e-7 + u·|y|", worstGelu)
		}
		if worstGeluBW > 2.5e-7 {
			t.Errorf("GELU backward: |error| %.3g, want <= 2.5e-7", worstGeluBW)
		}
	})
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

// The SHA-256 digests of exp, GELU and GELU backward over fixed sweeps
// (mathDigest): of the vector levels (avx2, avx512, neon), which evaluate
// the same operations (fused multiply-adds included) in the same order and
// so must produce exactly the same bits, and of the generic level's
// polynomials (polyf32.go, no fusion), the same on every architecture. A
// deliberate change to the approximations changes a digest: the failure
// prints the new one to write in the file.
const (
	vectorMathBitsFile  = "testdata/vector_math.sha256"
	genericMathBitsFile = "testdata/generic_math.sha256"
)

// mathDigest is the SHA-256 of exp over [-90, 90] and gelu, geluBackward
// (dy = 1) over [-12, 12], steps of 1/128, and of exp and gelu on
// specials. Each function maps src to dst; n is a multiple of 16.
func mathDigest(exp, gelu, geluBackward func(dst, src []float32)) string {
	var xe, xg []float32
	for i := -90 * 128; i < 90*128; i++ {
		xe = append(xe, float32(i)/128)
	}
	for i := -12 * 128; i < 12*128; i++ {
		xg = append(xg, float32(i)/128)
	}
	xs := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-40, -87, 88, 89, 0.921875 * math.Sqrt2, 4 * math.Sqrt2, -4 * math.Sqrt2, math.MaxFloat32, -math.MaxFloat32}
	ye, yg, dg, ys, gs := make([]float32, len(xe)), make([]float32, len(xg)), make([]float32, len(xg)), make([]float32, len(xs)), make([]float32, len(xs))
	exp(ye, xe)
	gelu(yg, xg)
	geluBackward(dg, xg)
	exp(ys, xs)
	gelu(gs, xs)
	h := sha256.New()
	for _, s := range [][]float32{ye, yg, dg, ys, gs} {
		for _, v := range s {
			if v != v {
				v = float32(math.NaN()) // one NaN: payloads may differ
			}
			binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestMathBits: the vector levels' exp and GELU equal each other bit for
// bit, and the generic level's polynomials give the same bits on amd64
// and (under qemu-aarch64) arm64.
func TestMathBits(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		file := vectorMathBitsFile
		var got string
		if simd == nil {
			file = genericMathBitsFile
			got = mathDigest(func(d, s []float32) {
				for i, v := range s {
					d[i] = expPoly(v)
				}
			}, func(d, s []float32) {
				for i, v := range s {
					d[i] = geluPoly(v)
				}
			}, func(d, s []float32) {
				for i, v := range s {
					d[i] += geluBackwardPoly(v, 1)
				}
			})
		} else {
			got = mathDigest(func(d, s []float32) {
				simd.exp(&d[0], &s[0], len(s))
			}, func(d, s []float32) {
				simd.gelu(&d[0], &s[0], len(s))
			}, func(d, s []float32) {
				ones := make([]float32, len(s))
				for i := range ones {
					ones[i] = 1
				}
				simd.geluBackward(&d[0], &s[0], &ones[0], len(s))
			})
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if got != strings.TrimSpace(string(want)) {
			t.Errorf("SHA-256 of the exp and GELU outputs %s, want %s (%s)", got, strings.TrimSpace(string(want)), file)
		}
	})
}
