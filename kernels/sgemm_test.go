package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one SGEMM call; lda/ldb/ldc pads are added to the minimum
// leading dimensions, and pad cells are NaN sentinels that must neither be
// read (they would poison C) nor written.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	padA, padB     int
	padC           int
	alpha, beta    float32
}

func (c gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s_m%d_n%d_k%d_pad%d.%d.%d_a%g_b%g", t(c.transA), t(c.transB), c.m, c.n, c.k, c.padA, c.padB, c.padC, c.alpha, c.beta)
}

// gemmOperands builds guarded A, B, C for c, filled by fill; pad cells and
// guards hold sentinels.
type gemmOperands struct {
	a, b, c       *guarded
	lda, ldb, ldc int
	c0            []float32 // C before the call
}

func newGemmOperands(c gemmCase, fill func(s []float32)) *gemmOperands {
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = c.k, c.m
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = c.n, c.k
	}
	o := &gemmOperands{lda: max(1, ac+c.padA), ldb: max(1, bc+c.padB), ldc: max(1, c.n+c.padC)}
	mk := func(rows, cols, ld int) *guarded {
		g := newGuarded(max(0, (rows-1)*ld+cols))
		if rows > 0 && cols > 0 {
			for r := 0; r < rows; r++ {
				fill(g.s[r*ld : r*ld+cols])
			}
		}
		return g
	}
	o.a = mk(ar, ac, o.lda)
	o.b = mk(br, bc, o.ldb)
	o.c = mk(c.m, c.n, o.ldc)
	o.c0 = append([]float32(nil), o.c.s...)
	return o
}

// gemmBound is the worst-case error bound of a float32 product against the
// float64 reference: recursive summation of k products with FMA errs by at
// most γ_k·Σ|a||b| (γ_k ≈ k·u, Higham, Accuracy and Stability, §3.1), and
// scaling by alpha, adding beta*c and rounding the reference to float32 add
// at most 3 more roundings. Any summation order (blocked over kc, split into
// vector lanes) obeys the same bound.
func gemmBound(c gemmCase, o *gemmOperands, i, j int) float64 {
	var s float64
	for p := 0; p < c.k; p++ {
		s += math.Abs(float64(opA(c, o, i, p)) * float64(opB(c, o, p, j)))
	}
	s *= math.Abs(float64(c.alpha))
	if c.beta != 0 {
		s += math.Abs(float64(c.beta) * float64(o.c0[i*o.ldc+j]))
	}
	return float64(c.k+4)*u*s + 1e-37
}

func opA(c gemmCase, o *gemmOperands, i, p int) float32 {
	if c.transA {
		return o.a.s[p*o.lda+i]
	}
	return o.a.s[i*o.lda+p]
}

func opB(c gemmCase, o *gemmOperands, p, j int) float32 {
	if c.transB {
		return o.b.s[j*o.ldb+p]
	}
	return o.b.s[p*o.ldb+j]
}

// runGemmCase runs Sgemm on c and compares with SgemmRef; exact demands
// bitwise-equal results (integer data, where every summation order is exact).
func runGemmCase(t *testing.T, c gemmCase, fill func([]float32), exact bool) {
	t.Helper()
	o := newGemmOperands(c, fill)
	aBefore := append([]float32(nil), o.a.s...)
	bBefore := append([]float32(nil), o.b.s...)
	want := append([]float32(nil), o.c.s...)
	if c.m > 0 && c.n > 0 {
		for i := 0; i < c.m; i++ { // the reference reads no pad cell
			for j := 0; j < c.n; j++ {
				want[i*o.ldc+j] = 0
			}
		}
		SgemmRef(c.transA, c.transB, c.m, c.n, c.k, c.alpha, o.a.s, o.lda, o.b.s, o.ldb, c.beta, want, o.ldc)
		// SgemmRef read C's old values through want: restore them for beta.
		if c.beta != 0 {
			copy(want, o.c0)
			SgemmRef(c.transA, c.transB, c.m, c.n, c.k, c.alpha, o.a.s, o.lda, o.b.s, o.ldb, c.beta, want, o.ldc)
		}
	}
	Sgemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, o.a.s, o.lda, o.b.s, o.ldb, c.beta, o.c.s, o.ldc)
	o.a.check(t, "A")
	o.b.check(t, "B")
	o.c.check(t, "C")
	sameBits(t, "A", o.a.s, aBefore)
	sameBits(t, "B", o.b.s, bBefore)
	for idx, got := range o.c.s {
		i, j := idx/o.ldc, idx%o.ldc
		if j >= c.n {
			if !isSentinel(got) {
				t.Fatalf("%v: C pad cell (%d,%d) written: %v", c, i, j, got)
			}
			continue
		}
		w := want[idx]
		switch {
		case math.IsNaN(float64(w)):
			if !math.IsNaN(float64(got)) {
				t.Fatalf("%v: C[%d,%d] = %v, want NaN", c, i, j, got)
			}
		case math.IsInf(float64(w), 0) || exact:
			if got != w {
				t.Fatalf("%v: C[%d,%d] = %v, want exactly %v", c, i, j, got, w)
			}
		default:
			if d := math.Abs(float64(got) - float64(w)); !(d <= gemmBound(c, o, i, j)) {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (|diff| %.3g > bound %.3g)", c, i, j, got, w, d, gemmBound(c, o, i, j))
			}
		}
	}
}

func sameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] changed: %v -> %v", name, i, want[i], got[i])
		}
	}
}

// gemmShapes lists (m, n, k) around the current level's tile and block sizes,
// plus zeros, ones and primes.
func gemmShapes() [][3]int {
	g := current.gemm
	if g == nil {
		g = genericGemm
	}
	return gemmShapesFor(g)
}

func gemmShapesFor(g *gemmConfig) [][3]int {
	mr, nr, kc, mc := g.mr, g.nr, g.kc, g.mc
	shapes := [][3]int{
		{0, 0, 0}, {0, 5, 3}, {5, 0, 3}, {5, 3, 0}, {1, 1, 1}, {1, 1, 7}, {2, 3, 1},
		{7, 13, 11}, {31, 37, 41}, {mr, nr, 1}, {mr, nr, 5}, {mr - 1, nr - 1, 3}, {mr + 1, nr + 1, 3},
		{2*mr + 1, 2*nr + 3, 17}, {3 * mr, 3 * nr, 64}, {mr, 5*nr - 1, kc - 1},
		{mr + 2, nr, kc}, {mr - 1, 2 * nr, kc + 1}, // one K block, and one past it
		{mc - 1, nr + 5, 9}, {mc + 1, 2*nr + 1, 13}, {mc + mr + 3, max(1, nr-3), kc + 7},
		{1, 67, 2*kc + 3}, {67, 1, 2*kc + 3},
		{mr + 1, g.nc + nr + 1, 5}, // past one N block
	}
	return shapes
}

// TestSgemmExact checks every shape, transpose and padding on integer data,
// where any summation order gives the exact result: the fast kernels must
// then equal the float64 reference bit for bit.
func TestSgemmExact(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, s := range gemmShapes() {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, ab := range [][2]float32{{1, 0}, {-2, 1}, {1, -3}, {0.5, 0.25}} {
					c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3), alpha: ab[0], beta: ab[1]}
					t.Run(c.String(), func(t *testing.T) {
						runGemmCase(t, c, func(s []float32) { fillInts(r, s, 4) }, true)
					})
				}
			}
		}
	})
}

// TestSgemmRandom checks random float data against the float64 reference
// with the worst-case bound of gemmBound.
func TestSgemmRandom(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, s := range gemmShapes() {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: 3, padB: 1, padC: 2, alpha: 1.25, beta: -0.75}
				t.Run(c.String(), func(t *testing.T) {
					runGemmCase(t, c, func(s []float32) { fillUniform(r, s, 3) }, false)
				})
			}
		}
	})
}

// TestSgemmParallel runs products big enough to be split over threads, in
// rows and in columns, with 2 and 3 threads.
func TestSgemmParallel(t *testing.T) {
	shapes := [][3]int{{203, 97, 301}, {20, 517, 211}, {517, 20, 211}, {64, 64, 700}, {150, 400, 97}}
	for _, th := range []int{2, 3} {
		withThreads(th, func() {
			forEachLevel(t, func(t *testing.T) {
				r := rand.New(rand.NewPCG(5, 6))
				for _, s := range shapes {
					for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
						c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: 1, padB: 2, padC: 3, alpha: 1, beta: 1}
						t.Run(fmt.Sprintf("threads%d/%v", th, c), func(t *testing.T) {
							runGemmCase(t, c, func(s []float32) { fillInts(r, s, 3) }, true)
						})
					}
				}
			})
		})
	}
}

// TestSgemmBetaZeroIgnoresC: beta == 0 (and -0) must not read C, so NaN and
// Inf already there do not propagate.
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, s := range gemmShapes() {
			for _, beta := range []float32{0, float32(math.Copysign(0, -1))} {
				m, n, k := s[0], s[1], s[2]
				a := make([]float32, m*k)
				b := make([]float32, k*n)
				fillInts(r, a, 3)
				fillInts(r, b, 3)
				c := make([]float32, m*n)
				for i := range c {
					c[i] = float32(math.NaN())
					if i%2 == 1 {
						c[i] = float32(math.Inf(1))
					}
				}
				want := make([]float32, m*n)
				SgemmRef(false, false, m, n, k, 1, a, max(k, 1), b, max(n, 1), 0, want, max(n, 1))
				Sgemm(false, false, m, n, k, 1, a, max(k, 1), b, max(n, 1), beta, c, max(n, 1))
				for i := range c {
					if c[i] != want[i] {
						t.Fatalf("m%d n%d k%d beta %v: C[%d] = %v, want %v", m, n, k, beta, i, c[i], want[i])
					}
				}
			}
		}
	})
}

// TestSgemmNaNInf plants NaN and ±Inf in A and B: the results must be NaN or
// the same infinity exactly where the float64 reference has them.
func TestSgemmNaNInf(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, s := range [][3]int{{7, 19, 5}, {13, 33, 300}, {25, 70, 31}} {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], alpha: 1, beta: 1}
				specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
				fill := func(s []float32) {
					fillUniform(r, s, 1)
					for i := range s {
						if r.IntN(97) == 0 {
							s[i] = specials[r.IntN(3)]
						}
					}
				}
				t.Run(c.String(), func(t *testing.T) { runGemmCase(t, c, fill, false) })
			}
		}
	})
}

// TestSgemmBatched covers the attention products and odd batches.
func TestSgemmBatched(t *testing.T) {
	type bc struct {
		transA, transB bool
		m, n, k, batch int
	}
	cases := []bc{
		{false, true, 128, 128, 64, 5},  // scores = Q·Kᵀ
		{false, false, 128, 64, 128, 5}, // out = P·V
		{true, false, 128, 64, 128, 3},  // dV = Pᵀ·dO
		{false, true, 17, 9, 33, 7},
		{true, true, 5, 3, 2, 1},
		{false, false, 3, 4, 5, 0},
	}
	for _, th := range []int{1, 2, 3} {
		withThreads(th, func() {
			forEachLevel(t, func(t *testing.T) {
				r := rand.New(rand.NewPCG(11, 12))
				for _, cs := range cases {
					name := fmt.Sprintf("threads%d/%v%v_%dx%dx%d_b%d", th, cs.transA, cs.transB, cs.m, cs.n, cs.k, cs.batch)
					t.Run(name, func(t *testing.T) {
						lda, ldb, ldc := cs.k+1, cs.n+2, cs.n+3
						if cs.transA {
							lda = cs.m + 1
						}
						if cs.transB {
							ldb = cs.k + 2
						}
						ar, br := cs.m, cs.k
						if cs.transA {
							ar = cs.k
						}
						if cs.transB {
							br = cs.n
						}
						sa, sb, sc := ar*lda+5, br*ldb+1, cs.m*ldc+2
						a := newGuarded(max(0, cs.batch*sa))
						b := newGuarded(max(0, cs.batch*sb))
						c := newGuarded(max(0, cs.batch*sc))
						fillInts(r, a.s, 4)
						fillInts(r, b.s, 4)
						fillInts(r, c.s, 4)
						want := append([]float32(nil), c.s...)
						for i := 0; i < cs.batch; i++ {
							SgemmRef(cs.transA, cs.transB, cs.m, cs.n, cs.k, 0.5, a.s[i*sa:], lda, b.s[i*sb:], ldb, 2, want[i*sc:], ldc)
						}
						SgemmBatched(cs.transA, cs.transB, cs.m, cs.n, cs.k, 0.5, a.s, lda, sa, b.s, ldb, sb, 2, c.s, ldc, sc, cs.batch)
						a.check(t, "A")
						b.check(t, "B")
						c.check(t, "C")
						for i := range want {
							if math.Float32bits(c.s[i]) != math.Float32bits(want[i]) {
								t.Fatalf("C[%d] = %v, want %v", i, c.s[i], want[i])
							}
						}
					})
				}
			})
		})
	}
}

// TestGemmVariants runs every generated micro-kernel (the tuning candidates
// as well as the production ones), in both loop orders, through Sgemm on
// integer data: exact results required.
func TestGemmVariants(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, g0 := range gemmVariants[Level()] {
			for _, jrInner := range []bool{false, true} {
				g := *g0
				g.jrInner = jrInner
				t.Run(fmt.Sprintf("%s/jrInner%v", g.name, jrInner), func(t *testing.T) {
					defer func(s func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)) {
						sgemmImpl = s
					}(sgemmImpl)
					sgemmImpl = g.sgemm
					r := rand.New(rand.NewPCG(13, 14))
					for _, s := range gemmShapesFor(&g) {
						for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
							c := gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], padA: 1, padB: 2, padC: 1, alpha: -2, beta: 0.5}
							runGemmCase(t, c, func(s []float32) { fillInts(r, s, 4) }, true)
						}
					}
				})
			}
		}
	})
}

// FuzzSgemm checks arbitrary shapes, transposes, paddings and scalars on
// integer data (exact at every level) against the float64 reference.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(5), false, true, uint8(1), int8(2), int8(1), uint64(1))
	f.Add(uint8(13), uint8(33), uint8(255), true, false, uint8(0), int8(-1), int8(0), uint64(2))
	f.Add(uint8(1), uint8(1), uint8(0), true, true, uint8(3), int8(1), int8(-2), uint64(3))
	f.Fuzz(func(t *testing.T, m, n, k uint8, transA, transB bool, pad uint8, alpha, beta int8, seed uint64) {
		r := rand.New(rand.NewPCG(seed, 99))
		p := int(pad % 4)
		c := gemmCase{transA: transA, transB: transB, m: int(m), n: int(n), k: int(k) + int(m%3)*200, padA: p, padB: (p + 1) % 4, padC: (p + 2) % 4, alpha: float32(alpha % 4), beta: float32(beta % 4)}
		start := Level()
		defer Use(start)
		for _, l := range Levels() {
			if err := Use(l); err != nil {
				t.Fatal(err)
			}
			runGemmCase(t, c, func(s []float32) { fillInts(r, s, 3) }, true)
		}
	})
}
