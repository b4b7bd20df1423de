package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkPack measures the packing routines per element (ns/op / elements).
func BenchmarkPack(b *testing.B) {
	const rows, cols = 256, 256
	src := make([]float32, rows*cols)
	dst := alignedFloats((rows+64)*cols + packSlack)
	forEachLevelB(b, func(b *testing.B) {
		g0 := current.gemm
		if g0 == nil {
			g0 = genericGemm
		}
		for _, w := range []int{6, 12, 16, 32} {
			g := *g0
			g.mr, g.nr = w, w
			for _, c := range []struct {
				name string
				run  func()
			}{
				{"A_N", func() { g.packA(dst, false, src, cols, 0, 0, rows, cols) }},
				{"A_T", func() { g.packA(dst, true, src, cols, 0, 0, rows, cols) }},
				{"B_N", func() { g.packB(dst, false, src, cols, 0, 0, rows, cols) }},
				{"B_T", func() { g.packB(dst, true, src, cols, 0, 0, rows, cols) }},
			} {
				b.Run(fmt.Sprintf("%s_w%d", c.name, w), func(b *testing.B) {
					for b.Loop() {
						c.run()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows*cols), "ns/elem")
				})
			}
		}
	})
}
