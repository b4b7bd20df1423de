package kernels

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkScalarMath compares, per element, the float64 math functions
// (expf: math.Exp; geluRef, geluBackwardRef: math.Erf and math.Exp) with
// the float32 polynomials that the generic level uses (polyf32.go). Each
// iteration times a pass of each form over the same 4096 inputs, the two
// alternating, so the ratio (metric "speedup": math time / polynomial time)
// is measured under the same machine load.
func BenchmarkScalarMath(b *testing.B) {
	const n = 4096
	r := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, n)
	fillUniform(r, x, 8)
	y := make([]float32, n)
	pair := func(name string, math, poly func()) {
		b.Run(name, func(b *testing.B) {
			var tm, tp time.Duration
			for b.Loop() {
				t0 := time.Now()
				math()
				t1 := time.Now()
				poly()
				tp += time.Since(t1)
				tm += t1.Sub(t0)
			}
			b.ReportMetric(float64(tm.Nanoseconds())/float64(b.N)/n, "math-ns/elem")
			b.ReportMetric(float64(tp.Nanoseconds())/float64(b.N)/n, "poly-ns/elem")
			b.ReportMetric(float64(tm)/float64(tp), "speedup")
		})
	}
	pair("exp", func() {
		for i, v := range x {
			y[i] = expf(v)
		}
	}, func() {
		for i, v := range x {
			y[i] = expPoly(v)
		}
	})
	pair("gelu", func() {
		for i, v := range x {
			y[i] = geluRef(v)
		}
	}, func() {
		for i, v := range x {
			y[i] = geluPoly(v)
		}
	})
	pair("geluBackward", func() {
		for i, v := range x {
			y[i] += geluBackwardRef(v, x[i])
		}
	}, func() {
		for i, v := range x {
			y[i] += geluBackwardPoly(v, x[i])
		}
	})
}
