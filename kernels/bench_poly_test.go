package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkScalarMath compares, per element, the float64 math functions
// (expf: math.Exp; geluRef, geluBackwardRef: math.Erf and math.Exp) with
// the float32 polynomials that the generic level uses (polyf32.go), and
// the generic softmax's exp pass over rows of 128 (max subtracted, summed)
// with each. Each iteration times a pass of each form over the same 65536
// inputs in CPU time of the process, the two alternating, so the ratio
// (metric "speedup": math time / polynomial time) is measured under the
// same machine load (run it with -cpu 1: one thread).
func BenchmarkScalarMath(b *testing.B) {
	const n = 1 << 16
	r := rand.New(rand.NewPCG(3, 3))
	x := make([]float32, n)
	fillUniform(r, x, 8)
	y := make([]float32, n)
	pair := func(name string, math, poly func()) {
		b.Run(name, func(b *testing.B) {
			var tm, tp float64
			for b.Loop() {
				t0 := cpuSeconds()
				math()
				t1 := cpuSeconds()
				poly()
				tp += cpuSeconds() - t1
				tm += t1 - t0
			}
			b.ReportMetric(tm*1e9/float64(b.N)/n, "math-cpu-ns/elem")
			b.ReportMetric(tp*1e9/float64(b.N)/n, "poly-cpu-ns/elem")
			b.ReportMetric(tm/tp, "speedup")
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
	softmaxExp := func(exp func(float32) float32) func() {
		return func() {
			for r := 0; r < n; r += 128 {
				row, out := x[r:r+128], y[r:r+128]
				mx := float32(math.Inf(-1))
				for _, v := range row {
					mx = max(mx, v)
				}
				var sum float32
				for j, v := range row {
					e := exp(v - mx)
					out[j] = e
					sum += e
				}
				out[0] += sum
			}
		}
	}
	pair("softmaxExp", softmaxExp(expf), softmaxExp(expPoly))
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
