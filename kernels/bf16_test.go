package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bf16RoundRef is an independent reference of BF16FromFloat32 for finite
// normal x: of the two bf16 values around x (truncation toward zero, and the
// next one away from zero) take the nearer in float64, on a tie the one with
// an even last mantissa bit.
func bf16RoundRef(x float32) uint16 {
	b := math.Float32bits(x)
	lo := uint16(b >> 16) // |lo| <= |x|
	hi := lo + 1          // next bf16 away from zero (may be Inf)
	dl := math.Abs(float64(x) - float64(Float32FromBF16(lo)))
	dh := math.Abs(float64(Float32FromBF16(hi)) - float64(x))
	if hi&0x7fff == 0x7f80 { // Inf: the distance to the "next" value 2^128
		dh = math.Abs(math.Ldexp(1, 128)*math.Copysign(1, float64(x)) - float64(x))
	}
	switch {
	case dl < dh:
		return lo
	case dh < dl:
		return hi
	case lo&1 == 0:
		return lo
	}
	return hi
}

// TestBF16FromFloat32 checks rounding bit for bit: hand-derived special
// cases (ties both ways, NaN, Inf, overflow, denormals), then random normal
// floats against bf16RoundRef.
func TestBF16FromFloat32(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
		why  string
	}{
		{0x3f800000, 0x3f80, "1 exact"},
		{0x3f808000, 0x3f80, "tie, even stays"},
		{0x3f818000, 0x3f82, "tie, odd rounds up"},
		{0x3f808001, 0x3f81, "above the tie"},
		{0x3f807fff, 0x3f80, "below the tie"},
		{0xbf818000, 0xbf82, "negative tie, odd away"},
		{0x7f7fffff, 0x7f80, "max float rounds to Inf"},
		{0x7f7f7fff, 0x7f7f, "largest below the bf16 max's tie"},
		{0x7f800000, 0x7f80, "+Inf"},
		{0xff800000, 0xff80, "-Inf"},
		{0x7fc00000, 0x7fc0, "quiet NaN"},
		{0x7f800001, 0x7fc0, "signalling NaN, low payload: quieted"},
		{0xffa12345, 0xffe1, "negative NaN keeps its top payload, quieted"},
		{0x00000000, 0x0000, "+0"},
		{0x80000000, 0x8000, "-0"},
		{0x00000001, 0x0000, "smallest denormal: zero (DAZ)"},
		{0x007fffff, 0x0000, "largest denormal: zero (DAZ)"},
		{0x807fffff, 0x8000, "negative denormal: -0"},
		{0x00800000, 0x0080, "smallest normal"},
		{0x00ffffff, 0x0100, "rounds up across the exponent"},
	}
	for _, c := range cases {
		if got := BF16FromFloat32(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("BF16FromFloat32(%#08x) [%s] = %#04x, want %#04x", c.in, c.why, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 1<<18; n++ {
		b := r.Uint32()
		if e := b & 0x7f800000; e == 0 || e == 0x7f800000 {
			continue
		}
		x := math.Float32frombits(b)
		if got, want := BF16FromFloat32(x), bf16RoundRef(x); got != want {
			t.Fatalf("BF16FromFloat32(%#08x) = %#04x, want %#04x", b, got, want)
		}
	}
}

// bf16TestBits are conversion inputs: the special cases, every tie pattern
// around a few exponents, and random bit patterns of every class.
func bf16TestBits() []uint32 {
	bits := []uint32{0, 0x80000000, 1, 0x007fffff, 0x807fffff, 0x00800000, 0x00ffffff,
		0x7f7fffff, 0xff7fffff, 0x7f7f7fff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffa12345, 0x7fffffff}
	for _, e := range []uint32{0x3f800000, 0x00800000, 0x7f000000} {
		for _, low := range []uint32{0x8000, 0x7fff, 0x8001, 0x18000, 0x10000, 0xffff} {
			bits = append(bits, e|low, 0x80000000|e|low)
		}
	}
	r := rand.New(rand.NewPCG(13, 14))
	for len(bits) < 4099 { // not a multiple of 32: the tails run too
		bits = append(bits, r.Uint32())
	}
	return bits
}

// testBF16Converters checks a level's converters bit for bit against
// BF16FromFloat32, including the odd tail and the zero padding.
func testBF16Converters(t *testing.T, g *bf16Config) {
	bits := bf16TestBits()
	src := make([]float32, len(bits))
	for i, b := range bits {
		src[i] = math.Float32frombits(b)
	}
	for _, n := range []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 63, len(src)} {
		dst := make([]uint32, (n+1)/2+8)
		for i := range dst {
			dst[i] = 0xdeadbeef
		}
		if n > 0 {
			g.cvtRow(&dst[0], &src[0], n)
		}
		for q := 0; q < (n+1)/2; q++ {
			lo := BF16FromFloat32(src[2*q])
			var hi uint16
			if 2*q+1 < n {
				hi = BF16FromFloat32(src[2*q+1])
			}
			if want := uint32(lo) | uint32(hi)<<16; dst[q] != want {
				t.Fatalf("%s cvtRow n=%d: word %d = %#08x, want %#08x (inputs %#08x %#08x)", g.name, n, q, dst[q], want, bits[2*q], bits[min(2*q+1, n-1)])
			}
		}
		for q := (n + 1) / 2; q < len(dst); q++ {
			if dst[q] != 0xdeadbeef {
				t.Fatalf("%s cvtRow n=%d: wrote word %d past the end", g.name, n, q)
			}
		}
	}
	half := len(src) / 2
	s0, s1 := src[:half], src[half:2*half]
	for _, vw := range [][2]int{{0, 5}, {1, 1}, {5, 12}, {12, 12}, {16, 16}, {17, 32}, {32, 32}, {30, 48}, {half, half}} {
		valid, w := vw[0], vw[1]
		dst := make([]uint32, w+8)
		for i := range dst {
			dst[i] = 0xdeadbeef
		}
		g.cvtPairs(&dst[0], &s0[0], &s1[0], valid, w)
		for j := 0; j < len(dst); j++ {
			var want uint32
			switch {
			case j < valid:
				want = uint32(BF16FromFloat32(s0[j])) | uint32(BF16FromFloat32(s1[j]))<<16
			case j < w:
				want = 0
			default:
				want = 0xdeadbeef
			}
			if dst[j] != want {
				t.Fatalf("%s cvtPairs valid=%d w=%d: word %d = %#08x, want %#08x", g.name, valid, w, j, dst[j], want)
			}
		}
	}
}

// testBF16Panel checks g.cvtPanel against per-pair cvtPairsBF16Go, with
// the words past the panel untouched.
func testBF16Panel(t *testing.T, g *bf16Config) {
	bits := bf16TestBits()
	src := make([]float32, len(bits))
	for i, b := range bits {
		src[i] = math.Float32frombits(b)
	}
	for _, c := range [][4]int{{1, 1, 1, 50}, {3, 12, 12, 50}, {5, 7, 12, 13}, {4, 32, 32, 40}, {2, 17, 32, 60}, {6, 48, 48, 48}, {3, 33, 48, 49}, {2, 0, 16, 20}} {
		kp, valid, w, ld := c[0], c[1], c[2], c[3]
		dst := make([]uint32, kp*w+8)
		for i := range dst {
			dst[i] = 0xdeadbeef
		}
		g.cvtPanel(&dst[0], &src[0], ld, kp, valid, w)
		want := make([]uint32, kp*w)
		for q := 0; q < kp; q++ {
			cvtPairsBF16Go(&want[q*w], &src[2*q*ld], &src[(2*q+1)*ld], valid, w)
		}
		for i := range dst {
			wv := uint32(0xdeadbeef)
			if i < len(want) {
				wv = want[i]
			}
			if dst[i] != wv {
				t.Fatalf("%s cvtPanel kp=%d valid=%d w=%d ld=%d: word %d = %#08x, want %#08x", g.name, kp, valid, w, ld, i, dst[i], wv)
			}
		}
	}
}

func TestBF16Converters(t *testing.T) {
	t.Run("go", func(t *testing.T) { testBF16Converters(t, bf16GoConfig) })
	for _, g := range bf16Variants {
		t.Run(g.name, func(t *testing.T) {
			requireBF16(t)
			testBF16Converters(t, g)
			testBF16Panel(t, g)
		})
	}
}

// requireBF16 skips a test of the bf16 instructions on a CPU without them.
func requireBF16(t *testing.T) {
	t.Helper()
	if _, flops := bf16PeakFunc(); flops == 0 {
		t.Skip("CPU lacks AVX512_BF16 (or this is a purego/non-amd64 build): bf16 instruction kernels not run")
	}
}

// bf16Runner runs one validated bf16 product.
type bf16Runner func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// runBF16Case runs c through run and compares with SgemmBF16Ref. The
// operands are rounded to bf16 in both, and a product of two bf16 values
// (8-bit significands) is exact in float32 (24 bits), so the two differ only
// by the float32 rounding of the sums: at most γ_k·Σ|a||b| over the rounded
// operands (γ_k ≈ k·u, any summation order), plus the scaling by alpha, the
// beta term and the final rounding (gemmBound's k+4). exact demands equal
// bits: integer data with |a|,|b| ≤ 15 is exact in bf16 and all its partial
// sums are exact in float32, whatever the order.
func runBF16Case(t *testing.T, c gemmCase, fill func([]float32), exact bool, run bf16Runner) {
	t.Helper()
	o := newGemmOperands(c, fill)
	aBefore := append([]float32(nil), o.a.s...)
	bBefore := append([]float32(nil), o.b.s...)
	want := append([]float32(nil), o.c0...)
	if c.m > 0 && c.n > 0 {
		SgemmBF16Ref(c.transA, c.transB, c.m, c.n, c.k, c.alpha, o.a.s, o.lda, o.b.s, o.ldb, c.beta, want, o.ldc)
		run(c.transA, c.transB, c.m, c.n, c.k, c.alpha, o.a.s, o.lda, o.b.s, o.ldb, c.beta, o.c.s, o.ldc)
	}
	o.a.check(t, "A")
	o.b.check(t, "B")
	o.c.check(t, "C")
	sameBits(t, "A", o.a.s, aBefore)
	sameBits(t, "B", o.b.s, bBefore)
	// The bound over the bf16-rounded operands.
	ra := &gemmOperands{a: &guarded{s: make([]float32, len(o.a.s))}, b: &guarded{s: make([]float32, len(o.b.s))}, lda: o.lda, ldb: o.ldb, ldc: o.ldc, c0: o.c0}
	RoundBF16Slice(ra.a.s, o.a.s)
	RoundBF16Slice(ra.b.s, o.b.s)
	for idx, got := range o.c.s {
		i, j := idx/o.ldc, idx%o.ldc
		if j >= c.n {
			if !isSentinel(got) {
				t.Fatalf("%v: C pad cell (%d,%d) written: %v", c, i, j, got)
			}
			continue
		}
		w := want[idx]
		if exact {
			if got != w {
				t.Fatalf("%v: C[%d,%d] = %v, want exactly %v", c, i, j, got, w)
			}
			continue
		}
		if d := math.Abs(float64(got) - float64(w)); !(d <= gemmBound(c, ra, i, j)) {
			t.Fatalf("%v: C[%d,%d] = %v, want %v (|diff| %.3g > bound %.3g)", c, i, j, got, w, d, gemmBound(c, ra, i, j))
		}
	}
}

// bf16Shapes lists (m, n, k) around g's tile and blocks: edges, odd k, a
// second K block, more rows than mc, more columns than nc.
func bf16Shapes(g *bf16Config, short bool) [][3]int {
	mr, nr, kc, mc, nc := g.mr, g.nr, g.kc, g.mc, g.nc
	s := [][3]int{
		{0, 5, 3}, {5, 3, 0}, {1, 1, 1}, {1, 1, 2}, {2, 3, 1}, {7, 13, 11}, {mr, nr, 2}, {mr, nr, 9},
		{mr - 1, nr - 1, 3}, {mr + 1, nr + 1, 4}, {2*mr + 1, 2*nr + 3, 17}, {mr, nr, kc - 1}, {mr + 2, nr, kc},
		{mr - 1, 2 * nr, kc + 1}, {5, 7, 2*kc + 3},
	}
	if !short {
		s = append(s, [3]int{mc + mr + 3, nr - 3, 21}, [3]int{mr + 1, nc + nr + 5, 6})
	}
	return s
}

var bf16Forms = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// testBF16Config checks one driver configuration on every form and shape,
// exactly on integers and within the bound on random data.
func testBF16Config(t *testing.T, g *bf16Config, run bf16Runner) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, s := range bf16Shapes(g, testing.Short()) {
		for _, tr := range bf16Forms {
			for _, ab := range [][2]float32{{1, 0}, {-2, 0.5}} {
				c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3), alpha: ab[0], beta: ab[1]}
				t.Run("exact/"+c.String(), func(t *testing.T) {
					runBF16Case(t, c, func(s []float32) { fillInts(r, s, 15) }, true, run)
				})
				t.Run("random/"+c.String(), func(t *testing.T) {
					runBF16Case(t, c, func(s []float32) { fillUniform(r, s, 2) }, false, run)
				})
			}
		}
	}
}

// TestBF16Driver runs the blocked driver with each micro-kernel: the Go
// twin everywhere (the packing layout is checked without the instructions),
// each generated VDPBF16PS kernel where the CPU has them.
func TestBF16Driver(t *testing.T) {
	configs := append([]*bf16Config{bf16GoConfig, bf16GoChunked}, bf16Variants...)
	for _, g := range configs {
		t.Run(g.name, func(t *testing.T) {
			if g != bf16GoConfig && g != bf16GoChunked {
				requireBF16(t)
			}
			testBF16Config(t, g, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				w := g.getWork()
				g.gemm(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
				putBF16Work(w)
			})
		})
	}
}

// TestSgemmBF16 runs the public entry points at every level this CPU has
// (hardware at avx512bf16, emulation below), on 1 and 2 threads, plus the
// batched form.
func TestSgemmBF16(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		g := current.bf16
		if g == nil {
			g = bf16GoConfig // shapes only
		}
		for _, th := range []int{1, 2} {
			withThreads(th, func() {
				t.Run(fmt.Sprintf("threads%d", th), func(t *testing.T) {
					testBF16Config(t, g, SgemmBF16)
				})
			})
		}
		r := rand.New(rand.NewPCG(23, 24))
		for _, s := range [][3]int{{128, 64, 128}, {13, 35, 9}, {64, 128, 64}} {
			for _, tr := range bf16Forms {
				const batch = 5
				m, n, k := s[0], s[1], s[2]
				a, b, c := make([]float32, batch*m*k), make([]float32, batch*k*n), make([]float32, batch*m*n)
				fillInts(r, a, 15)
				fillInts(r, b, 15)
				fillInts(r, c, 15)
				want := append([]float32(nil), c...)
				lda, ldb := k, n
				if tr[0] {
					lda = m
				}
				if tr[1] {
					ldb = k
				}
				for i := 0; i < batch; i++ {
					SgemmBF16Ref(tr[0], tr[1], m, n, k, 1, a[i*m*k:], lda, b[i*k*n:], ldb, 1, want[i*m*n:], n)
				}
				SgemmBF16Batched(tr[0], tr[1], m, n, k, 1, a, lda, m*k, b, ldb, k*n, 1, c, n, m*n, batch)
				for i := range c {
					if c[i] != want[i] {
						t.Fatalf("batched %v trans %v: C[%d] = %v, want exactly %v", s, tr, i, c[i], want[i])
					}
				}
			}
		}
	})
}

// TestSgemmBF16Parallel: products big enough to be split over threads.
func TestSgemmBF16Parallel(t *testing.T) {
	shapes := [][3]int{{203, 97, 301}, {20, 517, 211}, {517, 20, 211}, {100, 40, 1541}}
	for _, th := range []int{2, 3} {
		withThreads(th, func() {
			forEachLevel(t, func(t *testing.T) {
				r := rand.New(rand.NewPCG(25, 26))
				for _, s := range shapes {
					for _, tr := range bf16Forms[:3] {
						c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: 1, padB: 2, padC: 3, alpha: 1, beta: 1}
						t.Run(fmt.Sprintf("threads%d/%v", th, c), func(t *testing.T) {
							runBF16Case(t, c, func(s []float32) { fillInts(r, s, 7) }, true, SgemmBF16)
						})
					}
				}
			})
		})
	}
}

// TestSgemmBF16RoundsOperands: a value that bf16 cannot hold must be
// rounded, at every level. bf16's spacing at 1 is 2^-7: 1 + 2^-9 rounds down
// to 1, 1 + 3·2^-9 up to 1 + 2^-7, and 1 + 2^-8 + 2^-10 (just above the
// tie) up to 1 + 2^-7; with k = 1 the product shows the rounding.
func TestSgemmBF16RoundsOperands(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, c := range []struct{ a, b, want float32 }{
			{1 + 1.0/512, 1, 1},
			{1 + 3.0/512, 1, 1 + 1.0/128},
			{3, 1 + 1.0/256 + 1.0/1024, 3 * (1 + 1.0/128)},
			{1 + 1.0/256, 1, 1}, // the tie: to even (1)
		} {
			got := []float32{0}
			SgemmBF16(false, false, 1, 1, 1, 1, []float32{c.a}, 1, []float32{c.b}, 1, 0, got, 1)
			if got[0] != c.want {
				t.Errorf("bf16(%v)*bf16(%v) = %v, want %v", c.a, c.b, got[0], c.want)
			}
		}
	})
}

// TestBF16SmallM runs the small-M path (a few rows of C against a
// transposed B, B streamed and rounded as read) of the Go twin everywhere
// and of the VDPBF16PS dot kernel where the CPU has it, with k below, at and
// past multiples of 32 (the Go tail), on 1 and 2 threads.
func TestBF16SmallM(t *testing.T) {
	configs := []*bf16Config{bf16GoConfig}
	if _, flops := bf16PeakFunc(); flops > 0 {
		configs = append(configs, bf16Variants[0])
	}
	r := rand.New(rand.NewPCG(27, 28))
	for _, g := range configs {
		for _, th := range []int{1, 2} {
			withThreads(th, func() {
				for _, s := range [][3]int{{1, 1, 32}, {1, 70, 768}, {3, 33, 100}, {4, 65, 64}, {5, 130, 97}, {8, 100, 64}, {8, 9, 33}} {
					for _, ab := range [][2]float32{{1, 0}, {-2, 0.5}} {
						c := gemmCase{transB: true, m: s[0], n: s[1], k: s[2], padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3), alpha: ab[0], beta: ab[1]}
						t.Run(fmt.Sprintf("%s/threads%d/%v", g.name, th, c), func(t *testing.T) {
							runBF16Case(t, c, func(s []float32) { fillInts(r, s, 15) }, true, g.sgemm)
							runBF16Case(t, c, func(s []float32) { fillUniform(r, s, 2) }, false, g.sgemm)
						})
					}
				}
			})
		}
	}
}

// bf16GoChunked is the Go twin with the jrInner order and B's block run in
// chunks of nb columns (nb = 8 of nc = 32; the level's 12×32 kernel runs
// 256 of 1024), so that order is checked against the reference everywhere.
var bf16GoChunked = func() *bf16Config {
	g := *bf16GoConfig
	g.name, g.jrInner, g.nb = "bf16 go 4x4 jrInner nb8", true, 8
	return &g
}()

// TestBF16ChunkedOrder: running the packed B block in chunks of nb columns
// (bf16Config.nb) gives C bit for bit as the whole block does (it reorders
// C's tiles, not any sum), for the Go twin everywhere and the level's
// kernel where the CPU has it, on every form, at shapes around nb, nc, mc
// and kc (partial chunks, edge tiles, several kc blocks, beta ≠ 0), on 1,
// 2 and 3 threads through SgemmBF16's split.
func TestBF16ChunkedOrder(t *testing.T) {
	configs := []*bf16Config{bf16GoChunked}
	if _, flops := bf16PeakFunc(); flops > 0 {
		configs = append(configs, bf16Variants[0]) // the level's kernel
	} else {
		t.Log("CPU lacks AVX512_BF16 (or a purego/non-amd64 build): only the Go twin's chunked order is checked")
	}
	for _, g := range configs {
		if g.nb%g.nr != 0 || g.nb <= 0 || g.nb >= g.nc {
			t.Fatalf("%s: nb = %d, want a multiple of nr = %d in (0, nc = %d)", g.name, g.nb, g.nr, g.nc)
		}
		whole := *g
		whole.nb = 0
		r := rand.New(rand.NewPCG(51, 52))
		nb, nr, mr := g.nb, g.nr, g.mr
		shapes := [][3]int{
			{mr + 1, nb - 1, 9}, {2*mr - 1, nb, 2}, {mr, nb + 1, 5}, {g.mc + mr + 1, nb + nr + 5, g.kc + 3},
			{3*mr + 2, 2*nb + 3, 2*g.kc + 1}, {mr + 3, g.nc + nb + nr - 1, 7},
		}
		for _, s := range shapes {
			for _, tr := range bf16Forms {
				for _, th := range []int{1, 2, 3} {
					m, n, k := s[0], s[1], s[2]
					name := fmt.Sprintf("%s/threads%d/tA=%v/tB=%v/%dx%dx%d", g.name, th, tr[0], tr[1], m, n, k)
					a, lda, b, ldb, c, ldc := packedOperands(r, tr[0], tr[1], m, n, k, r.IntN(3))
					want := append([]float32(nil), c...)
					withThreads(th, func() {
						whole.sgemm(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, 0.5, want, ldc)
						g.sgemm(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, 0.5, c, ldc)
					})
					sameFloatBits(t, name, c, want)
				}
			}
		}
	}
}

// TestSgemmBF16SplitBlocksSameBits: a product split along M over the
// threads runs every part's kc-blocks in gemmPB's order, so C must be bit
// for bit the one-thread product: every form, several kc blocks with an odd
// last one, a part count that does not divide M, beta ≠ 0, on 2 and 3
// threads, at every level this CPU has.
func TestSgemmBF16SplitBlocksSameBits(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		g := current.bf16
		if g == nil {
			t.Skip("no packed bf16 level (emulation): no panels")
		}
		r := rand.New(rand.NewPCG(61, 62))
		for _, s := range [][3]int{{100, 40, 2*g.kc + 5}, {3*g.nr + 1, 2*g.nr + 3, g.kc + 1}, {70, 33, 3 * g.kc}} {
			for _, tr := range bf16Forms {
				m, n, k := s[0], s[1], s[2]
				if 2*m*n*k < gemmParallelMinFlops || n > m {
					t.Fatalf("%v: not a product split along M", s)
				}
				a, lda, b, ldb, c, ldc := packedOperands(r, tr[0], tr[1], m, n, k, r.IntN(3))
				want := append([]float32(nil), c...)
				withThreads(1, func() { g.sgemm(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, 0.5, want, ldc) })
				for _, th := range []int{2, 3} {
					got := append([]float32(nil), c...)
					withThreads(th, func() { g.sgemm(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, 0.5, got, ldc) })
					sameFloatBits(t, fmt.Sprintf("threads%d/tA=%v/tB=%v/%dx%dx%d", th, tr[0], tr[1], m, n, k), got, want)
				}
			}
		}
	})
}
