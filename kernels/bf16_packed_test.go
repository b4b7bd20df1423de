package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// packedOperands makes random operands of one product (A m×k or k×m, B k×n
// or n×k, C m×n), with leading dimensions padded by pad.
func packedOperands(r *rand.Rand, transA, transB bool, m, n, k, pad int) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc = ac+pad, bc+pad, n+pad
	a = make([]float32, max(0, ar*lda))
	b = make([]float32, max(0, br*ldb))
	c = make([]float32, max(0, m*ldc))
	fillUniform(r, a, 2)
	fillUniform(r, b, 2)
	fillUniform(r, c, 2)
	return
}

// sameFloatBits fails unless got and want hold the same bits.
func sameFloatBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, want bit for bit %v (packing on the fly)", what, i, got[i], want[i])
		}
	}
}

// TestBF16PackedBDriver: the driver reading prepacked B panels gives the
// same bits as the driver packing B itself, for the Go twin everywhere and
// each VDPBF16PS kernel where the CPU has it, on every form and on the
// shapes around the blocking (edges, odd k, several kc blocks, n past nc),
// on one thread and through the parallel split (2 and 3 threads: the
// panels of all kc blocks are packed in one dispatch, pieces crossing
// blocks).
func TestBF16PackedBDriver(t *testing.T) {
	configs := append([]*bf16Config{bf16GoConfig}, bf16Variants...)
	r := rand.New(rand.NewPCG(41, 42))
	for _, g := range configs {
		t.Run(g.name, func(t *testing.T) {
			if g != bf16GoConfig {
				requireBF16(t)
			}
			shapes := append(bf16Shapes(g, testing.Short()), [3]int{203, 97, 301}, [3]int{20, 517, 211}, [3]int{517, 20, 211})
			for _, s := range shapes {
				for _, tr := range bf16Forms {
					m, n, k := s[0], s[1], s[2]
					for _, th := range []int{1, 2, 3} {
						name := fmt.Sprintf("threads%d/tA=%v/tB=%v/%dx%dx%d", th, tr[0], tr[1], m, n, k)
						withThreads(th, func() {
							a, lda, b, ldb, c, ldc := packedOperands(r, tr[0], tr[1], m, n, k, r.IntN(3))
							want := append([]float32(nil), c...)
							g.sgemm(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, 0.5, want, ldc)
							pb := g.packB16(nil, tr[1], k, n, b, ldb)
							g.sgemmPB(tr[0], tr[1], m, n, k, -2, a, lda, b, ldb, pb, 0.5, c, ldc)
							sameFloatBits(t, name, c, want)
						})
					}
				}
			}
		})
	}
}

// TestSgemmBF16PackedB runs the public entry points at every level this
// CPU has: SgemmBF16PackedB equals SgemmBF16 bit for bit (the emulation and
// the small-M path read the source, the avx512bf16 level the panels), and
// PackBF16B reuses its destination across shapes.
func TestSgemmBF16PackedB(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {4, 100, 64}, {13, 35, 9}, {64, 128, 64}, {203, 97, 301}, {20, 517, 211}, {517, 20, 211}, {33, 70, 1601}}
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(43, 44))
		var pb *BF16PackedB
		for _, th := range []int{1, 2} {
			withThreads(th, func() {
				for _, s := range shapes {
					for _, tr := range bf16Forms {
						m, n, k := s[0], s[1], s[2]
						name := fmt.Sprintf("threads%d/tA=%v/tB=%v/%dx%dx%d", th, tr[0], tr[1], m, n, k)
						a, lda, b, ldb, c, ldc := packedOperands(r, tr[0], tr[1], m, n, k, 1)
						want := append([]float32(nil), c...)
						SgemmBF16(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 1, want, ldc)
						pb = PackBF16B(pb, tr[1], k, n, b, ldb)
						if gotT, gotK, gotN := pb.Shape(); gotT != tr[1] || gotK != k || gotN != n {
							t.Fatalf("%s: Shape() = %v, %d, %d", name, gotT, gotK, gotN)
						}
						if BF16Hardware() != (pb.Bytes() > 0) {
							t.Fatalf("%s: %d bytes packed with BF16Hardware() = %v", name, pb.Bytes(), BF16Hardware())
						}
						SgemmBF16PackedB(tr[0], m, n, k, 1, a, lda, pb, 1, c, ldc)
						sameFloatBits(t, name, c, want)
					}
				}
			})
		}
	})
}

// TestBF16PackedBRepack: a packed copy holds B as packed; after B changes,
// packing again (into the same memory) gives the product of the new B,
// bit for bit as SgemmBF16 on it.
func TestBF16PackedBRepack(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(45, 46))
		const m, n, k = 40, 300, 200
		a, lda, b, ldb, c, ldc := packedOperands(r, false, true, m, n, k, 0)
		pb := PackBF16B(nil, true, k, n, b, ldb)
		for i := range b {
			b[i] = -2 * b[i] // a parameter update
		}
		want := make([]float32, len(c))
		SgemmBF16(false, true, m, n, k, 1, a, lda, b, ldb, 0, want, ldc)
		pb = PackBF16B(pb, true, k, n, b, ldb)
		SgemmBF16PackedB(false, m, n, k, 1, a, lda, pb, 0, c, ldc)
		sameFloatBits(t, "after repacking", c, want)
	})
}

// TestBF16PackedBShapeMismatch: a product whose k or n differs from the
// packed operand's is a programmer error.
func TestBF16PackedBShapeMismatch(t *testing.T) {
	pb := PackBF16B(nil, false, 3, 4, make([]float32, 12), 4)
	for _, s := range [][2]int{{4, 4}, {3, 5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("k=%d n=%d against a packed 3x4: no panic", s[0], s[1])
				}
			}()
			SgemmBF16PackedB(false, 2, s[1], s[0], 1, make([]float32, 2*s[0]), s[0], pb, 0, make([]float32, 2*s[1]), s[1])
		}()
	}
}

// BenchmarkSgemmBF16PackedB compares, at the model's weight products on
// 2 threads, SgemmBF16 (B converted and packed inside the product) with
// SgemmBF16PackedB on a B packed beforehand ("reuse": the packing not
// timed) and with the packing timed ("pack+product"), per CPU second:
//
//	go test -run NONE -bench SgemmBF16PackedB -benchtime 5x -count 3 ./kernels/
func BenchmarkSgemmBF16PackedB(b *testing.B) {
	if !BF16Hardware() {
		b.Skip("CPU lacks AVX512_BF16: nothing is packed")
	}
	r := rand.New(rand.NewPCG(47, 48))
	for _, s := range []struct {
		name    string
		transB  bool
		m, n, k int
	}{
		{"NT/linear/2048x768x768", true, 2048, 768, 768},
		{"NN/linear-dx/2048x768x3072", false, 2048, 768, 3072},
		{"NT/ffn1/2048x3072x768", true, 2048, 3072, 768},
		{"NT/vocab/1200x30522x768", true, 1200, 30522, 768},
		{"NN/vocab-dx/1200x768x30522", false, 1200, 768, 30522},
	} {
		a, lda, bb, ldb, c, ldc := packedOperands(r, false, s.transB, s.m, s.n, s.k, 0)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		withThreads(2, func() {
			b.Run(s.name+"/sgemm", func(b *testing.B) {
				benchBF16Loop(b, flops, 2, func() { SgemmBF16(false, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, ldc) })
			})
			pb := PackBF16B(nil, s.transB, s.k, s.n, bb, ldb)
			b.Run(s.name+"/reuse", func(b *testing.B) {
				benchBF16Loop(b, flops, 2, func() { SgemmBF16PackedB(false, s.m, s.n, s.k, 1, a, lda, pb, 0, c, ldc) })
			})
			b.Run(s.name+"/pack+product", func(b *testing.B) {
				benchBF16Loop(b, flops, 2, func() {
					pb = PackBF16B(pb, s.transB, s.k, s.n, bb, ldb)
					SgemmBF16PackedB(false, s.m, s.n, s.k, 1, a, lda, pb, 0, c, ldc)
				})
			})
		})
	}
}

// TestBF16PackPairsA: a transposed A block packed by packPairsA (pairs of
// rows converted across the block, then cut into panels) holds the same
// words as packed panel by panel with packPairs, for the Go twin and each
// VDPBF16PS level the CPU has, with odd and even kc and a partial panel;
// widths around cvtPanels12's 48-column groups (four 12-word panels) and
// panels; no word past the block's panels written.
func TestBF16PackPairsA(t *testing.T) {
	configs := append([]*bf16Config{bf16GoConfig}, bf16Variants...)
	r := rand.New(rand.NewPCG(49, 50))
	for _, g := range configs {
		t.Run(g.name, func(t *testing.T) {
			if g != bf16GoConfig {
				requireBF16(t)
			}
			shapes := [][2]int{{g.mc, g.kc}, {g.mc - 5, g.kc - 1}, {g.mr + 1, 3}, {1, 2}, {7, 5},
				{48, 4}, {47, 6}, {49, 2}, {96, 3}, {36, 2}, {37, 5}, {25, 2}, {24, 4}, {13, 2}, {12, 3}, {11, 2}, {g.mc - 47, 8}}
			for _, s := range shapes {
				mc, kc := s[0], s[1]
				if mc < 1 || mc > g.mc || kc > g.kc { // not a block of g's
					continue
				}
				const ic, pc = 3, 1
				lda := ic + mc + 2
				a := make([]float32, (pc+kc)*lda)
				fillUniform(r, a, 2)
				kp := (kc + 1) / 2
				w := g.getWork()
				const sentinel = 0xdeadbeef
				for i := range w.a {
					w.a[i] = sentinel
				}
				g.packPairsA(w, a, lda, ic, pc, mc, kc)
				got := append([]uint32(nil), w.a[:roundUp(mc, g.mr)*kp]...)
				for i := len(got); i < len(w.a); i++ {
					if w.a[i] != sentinel {
						t.Fatalf("mc=%d kc=%d: word %d past the block's %d written: %#x", mc, kc, i, len(got), w.a[i])
					}
				}
				putBF16Work(w)
				want := make([]uint32, len(got))
				for ir := 0; ir < mc; ir += g.mr {
					g.packPairs(want[ir*kp:ir*kp+kp*g.mr], a, lda, pc*lda+ic+ir, kc, g.mr, min(g.mr, mc-ir))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("mc=%d kc=%d: word %d = %#x, want %#x", mc, kc, i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestSgemmBF16ThreadsSameBits: a product split over threads (along M or N,
// each part packing its own panels) changes no bit (the same panels, the
// same accumulation order per element), so the results on 2 and 3 threads
// equal those on 1, on random data, for the weight-gradient shape (TN, K
// long) and the other forms, with edges.
func TestSgemmBF16ThreadsSameBits(t *testing.T) {
	requireBF16(t) // below, the float32 emulation: no packed B
	r := rand.New(rand.NewPCG(61, 62))
	shapes := [][3]int{{200, 96, 1100}, {301, 77, 850}, {3077, 40, 70}, {40, 3077, 70}}
	for _, s := range shapes {
		for _, tr := range bf16Forms {
			m, n, k := s[0], s[1], s[2]
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			a, b := make([]float32, m*k), make([]float32, k*n)
			fillUniform(r, a, 2)
			fillUniform(r, b, 2)
			c0 := make([]float32, m*n)
			fillUniform(r, c0, 1)
			var want []float32
			for _, th := range []int{1, 2, 3} {
				c := append([]float32(nil), c0...)
				withThreads(th, func() { SgemmBF16(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, 0.5, c, n) })
				if th == 1 {
					want = c
					continue
				}
				t.Run(fmt.Sprintf("%v/%dx%dx%d/threads%d", tr, m, n, k, th), func(t *testing.T) { sameBits(t, "C", c, want) })
			}
		}
	}
}
