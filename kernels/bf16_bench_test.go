package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// bf16 benchmarks report GFLOP/s and the fraction of the VDPBF16PS peak
// (BF16PeakGFLOPS) measured in the same process on as many threads:
//
//	go test -run NONE -bench 'BF16Peak|SgemmBF16/' -benchtime 3x ./kernels/

var bf16PeakCache = map[int][2]float64{}

// bf16Peak returns the VDPBF16PS peak on threads threads, per wall-clock
// second and per CPU second of the process.
func bf16Peak(threads int) (wall, cpu float64) {
	if p, ok := bf16PeakCache[threads]; ok {
		return p[0], p[1]
	}
	fn, flops := bf16PeakFunc()
	wall, cpu = measureLoop(fn, flops, threads, 300*time.Millisecond)
	bf16PeakCache[threads] = [2]float64{wall, cpu}
	return wall, cpu
}

// BenchmarkBF16Peak measures the VDPBF16PS peak (independent chains), beside
// BenchmarkFMAPeak's fp32 one.
func BenchmarkBF16Peak(b *testing.B) {
	if fn, _ := bf16PeakFunc(); fn == nil {
		b.Skip("CPU lacks AVX512_BF16")
	}
	for _, th := range benchThreads {
		b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
			fn, flops := bf16PeakFunc()
			var g, c float64
			for b.Loop() {
				g, c = measureLoop(fn, flops, th, 200*time.Millisecond)
			}
			b.ReportMetric(g, "GFLOP/s")
			b.ReportMetric(c, "GFLOP/cpu-s")
			if _, pc := peak(th); pc > 0 {
				b.ReportMetric(c/pc, "x-fp32-peak-cpu")
			}
		})
	}
}

// benchBF16Loop is benchLoop against the bf16 peak: GFLOP/s and GFLOP per
// CPU second of the process (robust when other processes share the cores),
// each as a percentage of the peak measured the same way.
func benchBF16Loop(b *testing.B, flops float64, threads int, body func()) {
	pw, pc := bf16Peak(threads)
	body() // untimed: first touch of the operands and workspaces
	c0 := cpuSeconds()
	for b.Loop() {
		body()
	}
	cpu := cpuSeconds() - c0
	g := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(g, "GFLOP/s")
	if pw > 0 {
		b.ReportMetric(100*g/pw, "%bf16peak")
	}
	if cpu > 0 {
		gc := flops * float64(b.N) / cpu / 1e9
		b.ReportMetric(gc/float64(threads), "GFLOP/cpu-s")
		if pc > 0 {
			b.ReportMetric(100*gc/pc, "%bf16peak-cpu")
		}
	}
}

// bf16BenchShapes: the training products (gemmBenchShapes) and the MLM
// head's vocabulary projection (NT, N = 30522) with its two backward
// products.
var bf16BenchShapes = append(append([]struct {
	form    string
	m, n, k int
}{}, gemmBenchShapes...), []struct {
	form    string
	m, n, k int
}{{"NT", 8192, 30522, 768}, {"NN", 8192, 768, 30522}, {"TN", 30522, 768, 8192}}...)

// BenchmarkSgemmBF16 runs SgemmBF16 at the training shapes, at the
// avx512bf16 level (hardware) and avx512 (the emulation, for scale), each
// beside the fp32 Sgemm of the same level ("fp32" rows) so the ratio is
// measured within one run.
func BenchmarkSgemmBF16(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	forEachLevelB(b, func(b *testing.B) {
		if l := Level(); l != LevelAVX512BF16 && l != LevelAVX512 {
			b.Skip("bf16 benchmarks at avx512bf16 and avx512 only")
		}
		for _, s := range bf16BenchShapes {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", s.form, s.m, s.n, s.k), func(b *testing.B) {
				transA, transB := s.form[0] == 'T', s.form[1] == 'T'
				a := make([]float32, s.m*s.k)
				bb := make([]float32, s.k*s.n)
				c := make([]float32, s.m*s.n)
				fillUniform(r, a, 1)
				fillUniform(r, bb, 1)
				lda, ldb := s.k, s.n
				if transA {
					lda = s.m
				}
				if transB {
					ldb = s.k
				}
				for _, th := range benchThreads {
					withThreads(th, func() {
						b.Run(fmt.Sprintf("bf16/threads%d", th), func(b *testing.B) {
							benchBF16Loop(b, 2*float64(s.m*s.n*s.k), th, func() {
								SgemmBF16(transA, transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
							})
						})
						b.Run(fmt.Sprintf("fp32/threads%d", th), func(b *testing.B) {
							benchBF16Loop(b, 2*float64(s.m*s.n*s.k), th, func() {
								Sgemm(transA, transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
							})
						})
					})
				}
			})
		}
	})
}

// BenchmarkSgemmBF16Batched: the attention products of one layer (768 heads
// of T = 128, HS = 64), as BenchmarkSgemmBatched.
func BenchmarkSgemmBF16Batched(b *testing.B) {
	const batch, t, hs = 768, 128, 64
	r := rand.New(rand.NewPCG(2, 2))
	q := make([]float32, batch*t*hs)
	k := make([]float32, batch*t*hs)
	s := make([]float32, batch*t*t)
	fillUniform(r, q, 1)
	fillUniform(r, k, 1)
	forEachLevelB(b, func(b *testing.B) {
		if l := Level(); l != LevelAVX512BF16 && l != LevelAVX512 {
			b.Skip("bf16 benchmarks at avx512bf16 and avx512 only")
		}
		for _, th := range benchThreads {
			withThreads(th, func() {
				b.Run(fmt.Sprintf("QKt/bf16/threads%d", th), func(b *testing.B) {
					benchBF16Loop(b, 2*float64(batch*t*t*hs), th, func() {
						SgemmBF16Batched(false, true, t, t, hs, 1, q, hs, t*hs, k, hs, t*hs, 0, s, t, t*t, batch)
					})
				})
				b.Run(fmt.Sprintf("QKt/fp32/threads%d", th), func(b *testing.B) {
					benchBF16Loop(b, 2*float64(batch*t*t*hs), th, func() {
						SgemmBatched(false, true, t, t, hs, 1, q, hs, t*hs, k, hs, t*hs, 0, s, t, t*t, batch)
					})
				})
				b.Run(fmt.Sprintf("PV/bf16/threads%d", th), func(b *testing.B) {
					benchBF16Loop(b, 2*float64(batch*t*t*hs), th, func() {
						SgemmBF16Batched(false, false, t, hs, t, 1, s, t, t*t, k, hs, t*hs, 0, q, hs, t*hs, batch)
					})
				})
				b.Run(fmt.Sprintf("PV/fp32/threads%d", th), func(b *testing.B) {
					benchBF16Loop(b, 2*float64(batch*t*t*hs), th, func() {
						SgemmBatched(false, false, t, hs, t, 1, s, t, t*t, k, hs, t*hs, 0, q, hs, t*hs, batch)
					})
				})
			})
		}
	})
}

// BenchmarkBF16Tune compares the bf16 micro-kernels and blockings on one
// thread at 8192×768×768 NN:
//
//	go test -run NONE -bench BF16Tune -benchtime 3x ./kernels/
func BenchmarkBF16Tune(b *testing.B) {
	if fn, _ := bf16PeakFunc(); fn == nil {
		b.Skip("CPU lacks AVX512_BF16")
	}
	const m, n, k = 8192, 768, 768
	r := rand.New(rand.NewPCG(5, 5))
	a := make([]float32, m*k)
	bb := make([]float32, k*n)
	c := make([]float32, m*n)
	fillUniform(r, a, 1)
	fillUniform(r, bb, 1)
	type blk struct {
		jrInner    bool
		kc, mc, nc int
	}
	grid := []blk{
		{true, 512, 480, 1024}, {true, 768, 480, 1024}, {true, 768, 480, 768}, {true, 1024, 480, 512},
		{true, 384, 480, 2048}, {false, 256, 480, 4096}, {false, 384, 240, 4096},
	}
	for vi, g0 := range bf16Variants {
		for gi, bl := range grid {
			if vi > 0 && gi > 1 {
				continue
			}
			g := *g0
			g.kc, g.jrInner, g.mc, g.nc = bl.kc, bl.jrInner, roundUp(bl.mc, g.mr), roundUp(bl.nc, g.nr)
			b.Run(fmt.Sprintf("%s/kc%d/jrInner%v/mc%d/nc%d", g.name, g.kc, g.jrInner, g.mc, g.nc), func(b *testing.B) {
				withThreads(1, func() {
					benchBF16Loop(b, 2*float64(m*n*k), 1, func() {
						g.sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					})
				})
			})
		}
	}
}
