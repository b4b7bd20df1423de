package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNorm compares with a float64 evaluation of torch.nn.LayerNorm.
// Tolerance: mean and rstd come from float64 statistics rounded once; each
// output is (x - mean)·rstd·w + b in 4 float32 roundings, so |err| <=
// 6u·(|x - mean|·rstd·|w| + |b|) with a margin of 2u for the statistics'
// rounding; mean and rstd themselves within u relative (+ the mean's
// absolute u·max|x| when it is near 0).
func TestLayerNorm(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(71, 72))
		for _, sz := range [][2]int{{0, 4}, {1, 1}, {3, 7}, {5, 16}, {7, 768}, {2, 1001}} {
			rows, cols := sz[0], sz[1]
			t.Run(fmt.Sprintf("%dx%d", rows, cols), func(t *testing.T) {
				x := make([]float32, rows*cols)
				fillUniform(r, x, 3)
				for i := range x {
					x[i] += 5 // a large mean, as in residual streams
				}
				w, b := make([]float32, cols), make([]float32, cols)
				fillUniform(r, w, 2)
				fillUniform(r, b, 1)
				y, mean, rstd := newGuarded(rows*cols), newGuarded(rows), newGuarded(rows)
				const eps = 1e-12
				LayerNorm(y.s, mean.s, rstd.s, x, w, b, rows, cols, eps)
				y.check(t, "y")
				mean.check(t, "mean")
				rstd.check(t, "rstd")
				for i := 0; i < rows; i++ {
					xr := x[i*cols : (i+1)*cols]
					var m, v float64
					for _, e := range xr {
						m += float64(e)
					}
					m /= float64(cols)
					for _, e := range xr {
						v += (float64(e) - m) * (float64(e) - m)
					}
					rs := 1 / math.Sqrt(v/float64(cols)+eps)
					if math.Abs(float64(mean.s[i])-m) > u*math.Abs(m)+u*8 || math.Abs(float64(rstd.s[i])-rs) > u*rs {
						t.Fatalf("row %d: mean %v rstd %v, want %v %v", i, mean.s[i], rstd.s[i], m, rs)
					}
					for j, e := range xr {
						xh := (float64(e) - m) * rs
						want := xh*float64(w[j]) + float64(b[j])
						tol := 8*u*(math.Abs(xh*float64(w[j]))+math.Abs(float64(b[j]))) + 8*u*rs*math.Abs(float64(w[j]))
						if d := math.Abs(float64(y.s[i*cols+j]) - want); !(d <= tol) {
							t.Fatalf("y[%d,%d] = %v, want %v (|diff| %.3g > %.3g)", i, j, y.s[i*cols+j], want, d, tol)
						}
					}
				}
			})
		}
	})
}

// TestLayerNormBackward checks the gradients against central finite
// differences of the float64 loss L = sum(dy·LayerNorm(x)), the classical
// test of a backward pass: |analytic - numeric| within 1e-3 relative to the
// gradient scale (float32 kernels; float64 differences with h = 1e-3 have
// O(h²) truncation error, about 1e-6 here).
func TestLayerNormBackward(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(73, 74))
		const rows, cols = 3, 37
		x := make([]float32, rows*cols)
		fillUniform(r, x, 2)
		w, b, dy := make([]float32, cols), make([]float32, cols), make([]float32, rows*cols)
		fillUniform(r, w, 2)
		fillUniform(r, b, 1)
		fillUniform(r, dy, 1)
		const eps = 1e-5
		loss := func(x, w, b []float64) float64 {
			var l float64
			for i := 0; i < rows; i++ {
				var m, v float64
				for j := 0; j < cols; j++ {
					m += x[i*cols+j]
				}
				m /= cols
				for j := 0; j < cols; j++ {
					v += (x[i*cols+j] - m) * (x[i*cols+j] - m)
				}
				rs := 1 / math.Sqrt(v/cols+eps)
				for j := 0; j < cols; j++ {
					l += float64(dy[i*cols+j]) * ((x[i*cols+j]-m)*rs*w[j] + b[j])
				}
			}
			return l
		}
		to64 := func(s []float32) []float64 {
			d := make([]float64, len(s))
			for i, v := range s {
				d[i] = float64(v)
			}
			return d
		}
		x64, w64, b64 := to64(x), to64(w), to64(b)
		numGrad := func(p []float64) []float64 {
			g := make([]float64, len(p))
			const h = 1e-3
			for i := range p {
				old := p[i]
				p[i] = old + h
				lp := loss(x64, w64, b64)
				p[i] = old - h
				lm := loss(x64, w64, b64)
				p[i] = old
				g[i] = (lp - lm) / (2 * h)
			}
			return g
		}
		y, mean, rstd := make([]float32, rows*cols), make([]float32, rows), make([]float32, rows)
		LayerNorm(y, mean, rstd, x, w, b, rows, cols, eps)
		dx, dw, db := newGuarded(rows*cols), newGuarded(cols), newGuarded(cols)
		for _, g := range []*guarded{dx, dw, db} { // accumulate onto 0.5
			for i := range g.s {
				g.s[i] = 0.5
			}
		}
		LayerNormBackward(dx.s, dw.s, db.s, dy, x, w, mean, rstd, rows, cols)
		dx.check(t, "dx")
		dw.check(t, "dw")
		db.check(t, "db")
		for _, c := range []struct {
			name string
			got  []float32
			want []float64
		}{{"dx", dx.s, numGrad(x64)}, {"dw", dw.s, numGrad(w64)}, {"db", db.s, numGrad(b64)}} {
			for i, w := range c.want {
				if d := math.Abs(float64(c.got[i]) - 0.5 - w); d > 1e-3*(1+math.Abs(w)) {
					t.Fatalf("%s[%d] = %v, want %v", c.name, i, c.got[i]-0.5, w)
				}
			}
		}
		// dw and db may be nil.
		dx2 := make([]float32, rows*cols)
		LayerNormBackward(dx2, nil, nil, dy, x, w, mean, rstd, rows, cols)
		for i := range dx2 {
			if dx2[i] != dx.s[i]-0.5 && math.Abs(float64(dx2[i]-(dx.s[i]-0.5))) > 1e-6 {
				t.Fatalf("dx without dw/db differs at %d", i)
			}
		}
	})
}

// TestLayerNormLevelsAgree compares every level with the generic one on the
// same inputs. The vector levels sum the row statistics in another order, so
// mean and rstd may differ by an ULP, which moves y by up to
// 2u·|w|·rstd·(|mean| + |x - mean|) (+ 2 roundings of y), and dx by up to
// 4u·rstd·(|dy·w| + |mG| + |xhat·mGX|) (+ 2 roundings); dw and db use
// neither sum and must agree bit for bit.
func TestLayerNormLevelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	const rows, cols = 9, 771
	x, dy := make([]float32, rows*cols), make([]float32, rows*cols)
	w, b := make([]float32, cols), make([]float32, cols)
	fillUniform(r, x, 3)
	for i := range x {
		x[i] += 2
	}
	fillUniform(r, dy, 1)
	fillUniform(r, w, 2)
	fillUniform(r, b, 1)
	run := func() (y, mean, rstd, dx, dw, db []float32) {
		y, mean, rstd = make([]float32, rows*cols), make([]float32, rows), make([]float32, rows)
		LayerNorm(y, mean, rstd, x, w, b, rows, cols, 1e-12)
		dx, dw, db = make([]float32, rows*cols), make([]float32, cols), make([]float32, cols)
		LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd, rows, cols)
		return
	}
	start := Level()
	defer Use(start)
	Use(LevelGeneric)
	gy, gmean, grstd, gdx, gdw, gdb := run()
	forEachLevel(t, func(t *testing.T) {
		y, _, _, dx, dw, db := run()
		for i := range y {
			rw := i / cols
			m, rs := float64(gmean[rw]), float64(grstd[rw])
			xm := math.Abs(float64(x[i]) - m)
			tol := 2*u*math.Abs(float64(w[i%cols]))*rs*(math.Abs(m)+xm) + 2*u*math.Abs(float64(gy[i]))
			if d := math.Abs(float64(y[i] - gy[i])); d > tol {
				t.Fatalf("y[%d] = %v, generic %v (|diff| %.3g > %.3g)", i, y[i], gy[i], d, tol)
			}
			gw := math.Abs(float64(dy[i] * w[i%cols]))
			xh := xm * rs
			tol = 4*u*rs*(gw+2+2*xh) + 2*u*math.Abs(float64(gdx[i])) // |mG|, |mGX| <= max|dy·w| <= 2
			if d := math.Abs(float64(dx[i] - gdx[i])); d > tol {
				t.Fatalf("dx[%d] = %v, generic %v (|diff| %.3g > %.3g)", i, dx[i], gdx[i], d, tol)
			}
		}
		sameBits(t, "dw", dw, gdw)
		sameBits(t, "db", db, gdb)
	})
}
