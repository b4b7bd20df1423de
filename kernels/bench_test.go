package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks report GFLOP/s and, for assembly levels, the fraction of the
// FMA peak measured in the same process on the same number of threads
// (PeakGFLOPS). Run, e.g.:
//
//	go test -run NONE -bench 'Sgemm/avx2/NN/8192x768x768' -benchtime 3x ./kernels/

// benchThreads are the thread counts every benchmark runs at.
var benchThreads = []int{1, 2}

var peakCache = map[string][2]float64{}

// peak returns the measured FMA peak of the current level on threads
// threads, per wall-clock second and per CPU second.
func peak(threads int) (wall, cpu float64) {
	key := fmt.Sprint(Level(), threads)
	if p, ok := peakCache[key]; ok {
		return p[0], p[1]
	}
	wall, cpu = measurePeak(threads, 300*time.Millisecond)
	peakCache[key] = [2]float64{wall, cpu}
	return wall, cpu
}

func forEachLevelB(b *testing.B, f func(b *testing.B)) {
	start := Level()
	defer Use(start)
	for _, l := range Levels() {
		b.Run(l, func(b *testing.B) {
			if err := Use(l); err != nil {
				b.Fatal(err)
			}
			f(b)
		})
	}
}

// BenchmarkFMAPeak measures the fp32 FMA peak (independent chains).
func BenchmarkFMAPeak(b *testing.B) {
	forEachLevelB(b, func(b *testing.B) {
		for _, th := range benchThreads {
			b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
				if Level() == LevelGeneric {
					b.Skip("no peak loop for generic")
				}
				var g, c float64
				for b.Loop() {
					g, c = measurePeak(th, 200*time.Millisecond)
				}
				b.ReportMetric(g, "GFLOP/s")
				b.ReportMetric(c, "GFLOP/cpu-s")
			})
		}
	})
}

// benchLoop runs body b.N times and reports GFLOP/s (wall clock), and
// GFLOP/cpu-s (per CPU second of the process: robust when other processes
// share the cores), each also as a percentage of the FMA peak measured the
// same way.
func benchLoop(b *testing.B, flops float64, threads int, body func()) {
	pw, pc := peak(threads)
	c0 := cpuSeconds()
	for b.Loop() {
		body()
	}
	cpu := cpuSeconds() - c0
	g := flops * float64(b.N) / b.Elapsed().Seconds() / 1e9
	gc := flops * float64(b.N) / cpu / 1e9
	b.ReportMetric(g, "GFLOP/s")
	if pw > 0 {
		b.ReportMetric(100*g/pw, "%peak")
	}
	if cpu > 0 {
		b.ReportMetric(gc/float64(threads), "GFLOP/cpu-s")
		if pc > 0 {
			b.ReportMetric(100*gc/pc, "%peak-cpu")
		}
	}
}

// gemmBenchShapes are DistilBERT's training products at batch 64 × 128
// tokens: M×N×K with M = 8192 rows (the table), and the real weight
// gradients dW = dYᵀ·X (TN, K = 8192).
var gemmBenchShapes = []struct {
	form    string
	m, n, k int
}{
	{"NN", 8192, 768, 768}, {"NN", 8192, 3072, 768}, {"NN", 8192, 768, 3072},
	{"NT", 8192, 768, 768}, {"NT", 8192, 3072, 768}, {"NT", 8192, 768, 3072},
	{"TN", 8192, 768, 768}, {"TN", 8192, 3072, 768}, {"TN", 8192, 768, 3072},
	{"TN", 768, 768, 8192}, {"TN", 3072, 768, 8192}, {"TN", 768, 3072, 8192},
}

func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	forEachLevelB(b, func(b *testing.B) {
		for _, s := range gemmBenchShapes {
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
					b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
						if Level() == LevelGeneric && s.k > 768 {
							b.Skip("generic: too slow")
						}
						withThreads(th, func() {
							benchLoop(b, 2*float64(s.m*s.n*s.k), th, func() {
								Sgemm(transA, transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
							})
						})
					})
				}
			})
		}
	})
}

// BenchmarkSgemmBatched runs the attention products of one layer: B·NH =
// 64·12 = 768 heads of T = 128, HS = 64.
func BenchmarkSgemmBatched(b *testing.B) {
	const batch, T, HS = 768, 128, 64
	r := rand.New(rand.NewPCG(2, 2))
	shapes := []struct {
		name           string
		transA, transB bool
		m, n, k        int
	}{
		{"QKt_NT_128x128x64", false, true, T, T, HS},
		{"PV_NN_128x64x128", false, false, T, HS, T},
		{"PtdO_TN_128x64x128", true, false, T, HS, T},
	}
	forEachLevelB(b, func(b *testing.B) {
		for _, s := range shapes {
			b.Run(s.name, func(b *testing.B) {
				sa, sb, sc := s.m*s.k, s.k*s.n, s.m*s.n
				a := make([]float32, batch*sa)
				bb := make([]float32, batch*sb)
				c := make([]float32, batch*sc)
				fillUniform(r, a, 1)
				fillUniform(r, bb, 1)
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				for _, th := range benchThreads {
					b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
						withThreads(th, func() {
							benchLoop(b, 2*float64(batch*s.m*s.n*s.k), th, func() {
								SgemmBatched(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, sa, bb, ldb, sb, 0, c, s.n, sc, batch)
							})
						})
					})
				}
			})
		}
	})
}

// BenchmarkGemmMicroKernel runs the level's micro-kernel alone on one packed
// A panel and one packed B panel that stay in L1: the ceiling of the blocked
// driver.
func BenchmarkGemmMicroKernel(b *testing.B) {
	forEachLevelB(b, func(b *testing.B) {
		g := current.gemm
		if g == nil {
			g = genericGemm
		}
		kc := g.kc
		a := alignedFloats(g.mr * kc)
		bp := alignedFloats(kc * g.nr)
		c := alignedFloats(g.mr * g.nr)
		fillUniform(rand.New(rand.NewPCG(3, 3)), a, 1)
		fillUniform(rand.New(rand.NewPCG(4, 4)), bp, 1)
		const reps = 64
		benchLoop(b, reps*2*float64(g.mr*g.nr*kc), 1, func() {
			for range reps {
				g.packed(kc, &a[0], &bp[0], &c[0], g.nr, 1, 1)
			}
		})
	})
}

// BenchmarkGemmTune compares micro-kernel shapes, K-block depths, loop
// orders and block sizes on one thread, for choosing each level's blocking:
//
//	go test -run NONE -bench GemmTune -benchtime 3x ./kernels/
func BenchmarkGemmTune(b *testing.B) {
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
	// The grid: A micro-panel in L1 with the B block (kc×nc) in L2
	// (jrInner), or B micro-panel in L1 with the A block (mc×kc) in L2.
	grid := []blk{
		{true, 256, 480, 480}, {true, 256, 480, 768}, {true, 256, 480, 1536},
		{true, 384, 480, 480}, {true, 384, 480, 768}, {true, 384, 480, 1536},
		{true, 512, 480, 480}, {true, 512, 480, 768},
		{false, 128, 192, 4096}, {false, 128, 480, 4096}, {false, 192, 192, 4096}, {false, 192, 480, 4096},
		{false, 256, 96, 4096}, {false, 256, 192, 4096},
	}
	forEachLevelB(b, func(b *testing.B) {
		if len(gemmVariants[Level()]) == 0 || Level() == LevelGeneric {
			b.Skip("no assembly micro-kernels at this level (generic: BenchmarkGemmGenericTune)")
		}
		for vi, g0 := range gemmVariants[Level()] {
			for _, bl := range grid {
				if vi > 0 && !(bl == blk{true, 384, 480, 768} || bl == blk{false, 192, 480, 4096}) {
					continue // the other shapes at two settings only
				}
				g := *g0
				g.kc, g.jrInner, g.mc, g.nc = bl.kc, bl.jrInner, roundUp(bl.mc, g.mr), roundUp(bl.nc, g.nr)
				name := fmt.Sprintf("%s/kc%d/jrInner%v/mc%d/nc%d", g.name, g.kc, g.jrInner, g.mc, g.nc)
				b.Run(name, func(b *testing.B) {
					withThreads(1, func() {
						benchLoop(b, 2*float64(m*n*k), 1, func() {
							g.sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
						})
					})
				})
			}
		}
	})
}

// BenchmarkGemmStridedKernel runs the strided micro-kernel (small products)
// on L1-resident operands: packed layout, and A read in place from rows of
// 128 (as the attention products do).
func BenchmarkGemmStridedKernel(b *testing.B) {
	forEachLevelB(b, func(b *testing.B) {
		g := current.gemm
		if g == nil {
			g = genericGemm
		}
		const k = 128
		a := alignedFloats(g.mr * k)
		bp := alignedFloats(k * g.nr)
		c := alignedFloats(g.mr * g.nr)
		const reps = 64
		b.Run("packed", func(b *testing.B) {
			benchLoop(b, reps*2*float64(g.mr*g.nr*k), 1, func() {
				for range reps {
					g.kernel(k, &a[0], 1, g.mr, &bp[0], g.nr, &c[0], g.nr, 1, 1)
				}
			})
		})
		b.Run("rowsA", func(b *testing.B) {
			benchLoop(b, reps*2*float64(g.mr*g.nr*k), 1, func() {
				for range reps {
					g.kernel(k, &a[0], k, 1, &bp[0], g.nr, &c[0], g.nr, 1, 1)
				}
			})
		})
	})
}

// BenchmarkGemmGenericTune compares the pure-Go micro-kernel tiles and
// blockings on one thread (NN, 1024×768×768: each run is ~0.1 s):
//
//	go test -run NONE -bench GemmGenericTune -count 5 ./kernels/
func BenchmarkGemmGenericTune(b *testing.B) {
	const m, n, k = 1024, 768, 768
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
	grid := []blk{{false, 256, 96, 1024}, {true, 256, 96, 1024}, {false, 512, 48, 512}, {true, 128, 192, 2048}}
	for _, g0 := range genericGemmVariants {
		for _, bl := range grid {
			g := *g0
			g.kc, g.jrInner, g.mc, g.nc = bl.kc, bl.jrInner, roundUp(bl.mc, g.mr), roundUp(bl.nc, g.nr)
			b.Run(fmt.Sprintf("%s/kc%d/jrInner%v/mc%d/nc%d", g.name, g.kc, g.jrInner, g.mc, g.nc), func(b *testing.B) {
				withThreads(1, func() {
					benchLoop(b, 2*float64(m*n*k), 1, func() {
						g.sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					})
				})
			})
		}
	}
}
