package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxBackwardRef64 is the float64 reference of SoftmaxRowsBackward
// (accumulating into dsrc).
func softmaxBackwardRef64(dsrc, y, dy []float32, rows, cols int, scale float32, mask []float32, rowsPerMask int) {
	for r := 0; r < rows; r++ {
		mr := maskRow(mask, r, cols, rowsPerMask)
		var dot float64
		for j := 0; j < cols; j++ {
			dot += float64(y[r*cols+j]) * float64(dy[r*cols+j])
		}
		for j := 0; j < cols; j++ {
			if mr != nil && mr[j] <= MaskedOut {
				continue
			}
			i := r*cols + j
			dsrc[i] = float32(float64(dsrc[i]) + float64(scale)*float64(y[i])*(float64(dy[i])-dot))
		}
	}
}

type softmaxCase struct {
	rows, cols, rowsPerMask int
	scale                   float32
	masked                  bool
}

func softmaxCases() []softmaxCase {
	var cs []softmaxCase
	for _, cols := range []int{1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 64, 128, 129, 1000} {
		cs = append(cs, softmaxCase{rows: 5, cols: cols, scale: 1})
		cs = append(cs, softmaxCase{rows: 6, cols: cols, scale: 0.125, masked: true, rowsPerMask: 3})
	}
	cs = append(cs, softmaxCase{rows: 0, cols: 16, scale: 1}, softmaxCase{rows: 3, cols: 0, scale: 1},
		softmaxCase{rows: 2 * 4 * 128, cols: 128, scale: 0.125, masked: true, rowsPerMask: 4 * 128}) // attention: B=2, NH=4, T=128
	return cs
}

// fillSoftmaxInputs makes scores in [-8, 8] and a key mask that masks about
// a quarter of the positions (some rows of the mask entirely), with some
// small finite additive mask values too.
func fillSoftmaxInputs(r *rand.Rand, c softmaxCase, src, mask []float32) {
	fillUniform(r, src, 8)
	for i := range mask {
		switch {
		case (i/max(c.cols, 1))%4 == 3:
			mask[i] = MaskedOut // a fully masked row of the mask
		case r.IntN(4) == 0:
			mask[i] = MaskedOut
		case r.IntN(8) == 0:
			mask[i] = float32(math.Inf(-1)) // also counts as masked out
		default:
			mask[i] = float32(r.IntN(3)) - 1
		}
	}
}

// TestSoftmaxRows compares every level with the float64 reference. The
// tolerance: each output is exp(v-max)/sum, with v = scale*x + mask rounded
// (2 roundings, error up to |v|·2u in the argument of exp, |v| <= 10 here),
// exp accurate to 2u (1 ULP measured), a float32 sum of cols terms each
// within (cols+2)·u relative, and the final division: |err| <= p·(2|v|+cols+8)·u.
func TestSoftmaxRows(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, c := range softmaxCases() {
			t.Run(fmt.Sprintf("%dx%d_mask%v", c.rows, c.cols, c.masked), func(t *testing.T) {
				n := c.rows * c.cols
				src := newGuarded(n)
				dst := newGuarded(n)
				var mask []float32
				rpm := 0
				if c.masked {
					rpm = c.rowsPerMask
					mask = make([]float32, ((c.rows-1)/rpm+1)*c.cols)
				}
				fillSoftmaxInputs(r, c, src.s, mask)
				want := make([]float32, n)
				SoftmaxRowsRef(want, src.s, c.rows, c.cols, c.scale, mask, rpm)
				SoftmaxRows(dst.s, src.s, c.rows, c.cols, c.scale, mask, rpm)
				src.check(t, "src")
				dst.check(t, "dst")
				for i, w := range want {
					tol := float64(w) * float64(2*10+c.cols+8) * u
					if d := math.Abs(float64(dst.s[i]) - float64(w)); !(d <= tol) {
						t.Fatalf("y[%d] (row %d) = %v, want %v (|diff| %.3g > %.3g)", i, i/c.cols, dst.s[i], w, d, tol)
					}
				}
				// In place (dst == src) gives the same bits.
				inPlace := append([]float32(nil), src.s...)
				SoftmaxRows(inPlace, inPlace, c.rows, c.cols, c.scale, mask, rpm)
				sameBits(t, "in-place", inPlace, dst.s)
			})
		}
	})
}

// TestSoftmaxRowsMaskedExact checks the masking semantics exactly: masked
// positions get exactly 0 unless the whole row is masked, which gives the
// uniform 1/cols.
func TestSoftmaxRowsMaskedExact(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, cols := range []int{5, 16, 37} {
			src := make([]float32, 2*cols)
			mask := make([]float32, 2*cols)
			for j := range cols {
				src[j], src[cols+j] = float32(j), float32(-j)
				mask[cols+j] = MaskedOut // row 1 fully masked
				if j%3 == 0 {
					mask[j] = MaskedOut
				}
			}
			dst := make([]float32, 2*cols)
			SoftmaxRows(dst, src, 2, cols, 1, mask, 1)
			for j := range cols {
				if j%3 == 0 && dst[j] != 0 {
					t.Fatalf("cols %d: masked y[0,%d] = %v, want 0", cols, j, dst[j])
				}
				if want := float32(1) / float32(cols); math.Abs(float64(dst[cols+j]-want)) > float64(want)*4*u {
					t.Fatalf("cols %d: fully masked row y[1,%d] = %v, want %v", cols, j, dst[cols+j], want)
				}
			}
		}
	})
}

// TestSoftmaxRowsNaN: a NaN score makes its whole row NaN at every level
// (as the float64 reference and PyTorch do), other rows are unaffected.
func TestSoftmaxRowsNaN(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, cols := range []int{7, 16, 40} {
			src := make([]float32, 2*cols)
			fillUniform(rand.New(rand.NewPCG(1, 1)), src, 2)
			src[cols/2] = float32(math.NaN())
			dst := make([]float32, 2*cols)
			SoftmaxRows(dst, src, 2, cols, 1, nil, 0)
			for j := range cols {
				if !math.IsNaN(float64(dst[j])) || math.IsNaN(float64(dst[cols+j])) {
					t.Fatalf("cols %d: row 0 must be all NaN, row 1 finite: %v", cols, dst)
				}
			}
		}
	})
}

// TestSoftmaxRowsBackward compares with the float64 reference. dsrc starts
// random (the kernel accumulates). Tolerance: the dot product of cols terms
// (y·dy, |dy| <= 1, sum y = 1) is within (cols+1)·u; each term
// scale·y·(dy - dot) adds 3 roundings, and the accumulation one, plus the
// reference's own rounding to float32:
// |err| <= |scale|·y·((cols+1)·u + 3u·(|dy|+1)) + 2u·|dsrc|.
func TestSoftmaxRowsBackward(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, c := range softmaxCases() {
			t.Run(fmt.Sprintf("%dx%d_mask%v", c.rows, c.cols, c.masked), func(t *testing.T) {
				n := c.rows * c.cols
				src := make([]float32, n)
				var mask []float32
				rpm := 0
				if c.masked {
					rpm = c.rowsPerMask
					mask = make([]float32, ((c.rows-1)/rpm+1)*c.cols)
				}
				fillSoftmaxInputs(r, c, src, mask)
				y := make([]float32, n)
				SoftmaxRowsRef(y, src, c.rows, c.cols, c.scale, mask, rpm)
				dy := newGuarded(n)
				fillUniform(r, dy.s, 1)
				d := newGuarded(n)
				fillUniform(r, d.s, 1)
				want := append([]float32(nil), d.s...)
				softmaxBackwardRef64(want, y, dy.s, c.rows, c.cols, c.scale, mask, rpm)
				SoftmaxRowsBackward(d.s, y, dy.s, c.rows, c.cols, c.scale, mask, rpm)
				d.check(t, "dsrc")
				dy.check(t, "dy")
				for i, w := range want {
					tol := float64(c.scale)*float64(y[i])*(float64(c.cols+1)*u+3*u*(math.Abs(float64(dy.s[i]))+1)) + 2*u*math.Abs(float64(w))
					if diff := math.Abs(float64(d.s[i]) - float64(w)); !(diff <= tol) {
						t.Fatalf("dsrc[%d] = %v, want %v (|diff| %.3g > %.3g)", i, d.s[i], w, diff, tol)
					}
				}
			})
		}
	})
}

// TestExpAccuracy checks the vector exp against float64 exp over its whole
// range: at most 2 ULP (measured: 1.002) above -87, exactly 0 below (the
// flush documented in _asm/vec.go), NaN and ±Inf handled.
func TestExpAccuracy(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		if simd == nil {
			t.Skip("no vector exp at this level")
		}
		const n = 1 << 16
		src := make([]float32, n)
		r := rand.New(rand.NewPCG(25, 26))
		for i := range src {
			src[i] = -90 + 178*r.Float32()
		}
		copy(src, []float32{0, -0.0, 1, -1, -87, -87.0001, 88, -100, -1e30, float32(math.Inf(-1))})
		dst := newGuarded(n + 16)
		specials := []float32{float32(math.NaN()), float32(math.Inf(-1)), -MaxFloat32(), 0, -87.5, -86.99, 1e-30, -1e-30, 0.5, -0.5, 3, -3, 10, -10, 20, -20}
		src = append(src, specials...)
		simd.exp(&dst.s[0], &src[0], len(src))
		dst.check(t, "dst")
		for i, x := range src {
			got := dst.s[i]
			switch {
			case math.IsNaN(float64(x)):
				if !math.IsNaN(float64(got)) {
					t.Fatalf("exp(NaN) = %v", got)
				}
			case x < -87:
				if got != 0 {
					t.Fatalf("exp(%v) = %v, want 0 (flushed)", x, got)
				}
			case x > 88:
				// Outside the documented domain.
			default:
				want := math.Exp(float64(x))
				if e := ulpErr(got, want); e > 2 {
					t.Fatalf("exp(%v) = %v, want %v (%.2f ULP)", x, got, want, e)
				}
			}
		}
	})
}

// MaxFloat32 as a float32 (for readability in tables).
func MaxFloat32() float32 { return math.MaxFloat32 }

// ulpErr is |got - want| in units of the float32 ULP at want.
func ulpErr(got float32, want float64) float64 {
	w := float32(math.Abs(want))
	ulp := float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
	return math.Abs(float64(got)-want) / ulp
}
