package kernels

// Packed bf16 weights: a B operand converted to bf16 and laid out in the
// micro-kernel's panels once, then read by any number of products. A
// weight matrix is B in every product that reads it (forward x·Wᵀ is NT,
// backward dY·W is NN), and SgemmBF16 converts and packs B again in each
// product, on every thread that does not split B's columns. Reading
// prepacked panels instead changes no number: the panels are the ones the
// driver would pack, blocked by the same kc and nr, and the driver's loops
// and accumulation order are untouched.

// BF16PackedB is op(B) of a bf16 product (k×n) packed for the current
// level's kernel. It also keeps the source, which the paths that do not
// pack B read (the emulation below the avx512bf16 level, the small-M path),
// so the source must not change while the packed copy is used: after a
// write, pack again (the panels would keep the old values).
type BF16PackedB struct {
	g      *bf16Config // level that packed; nil: nothing packed
	transB bool
	k, n   int
	b      []float32
	ldb    int
	words  []uint32 // kc-blocks of nr-column panels, then packSlack
	blocks []int    // offset in words of each kc-block
}

// Bytes returns the memory held by the packed panels (0 when the level
// packs nothing).
func (p *BF16PackedB) Bytes() int { return 4 * len(p.words) }

// Shape returns op(B)'s k and n and whether B is stored transposed.
func (p *BF16PackedB) Shape() (transB bool, k, n int) { return p.transB, p.k, p.n }

// BF16PackedBSaves reports whether SgemmBF16 at the current level and
// thread count would convert and pack op(B) more than once for a product of
// these dimensions: each thread packs all of B when the product is split
// along M (M ≥ N). There a BF16PackedB, packed once, saves work even if
// read by one product; elsewhere (one thread, a split along N, the small-M
// path that streams B, the emulation) it only pays off when read again.
func BF16PackedBSaves(transA, transB bool, m, n, k int) bool {
	g := current.bf16
	if g == nil || g.streamsB(transA, transB, m, k) {
		return false
	}
	return Threads() > 1 && 2*m*n*k >= gemmParallelMinFlops && n <= m
}

// PackBF16B packs op(B) (k×n; B is n×k with leading dimension ldb when
// transB, else k×n) for SgemmBF16PackedB, reusing dst's memory when dst is
// not nil, and returns the packed operand. Below the avx512bf16 level it
// only records b.
func PackBF16B(dst *BF16PackedB, transB bool, k, n int, b []float32, ldb int) *BF16PackedB {
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("PackBF16B", br, bc, b, ldb)
	return current.bf16.packB16(dst, transB, k, n, b, ldb)
}

// packB16 is PackBF16B for level g (nil: record b only).
func (g *bf16Config) packB16(dst *BF16PackedB, transB bool, k, n int, b []float32, ldb int) *BF16PackedB {
	p := dst
	if p == nil {
		p = new(BF16PackedB)
	}
	words, blocks := p.words, p.blocks[:0]
	*p = BF16PackedB{transB: transB, k: k, n: n, b: b, ldb: ldb}
	if g == nil || k == 0 || n == 0 {
		p.words, p.blocks = words[:0], blocks
		return p
	}
	if g.nc%g.nr != 0 { // gemmPB finds a block's panels at column/nr
		panic("kernels: bf16 level " + g.name + ": nc not a multiple of nr")
	}
	nPanels := (n + g.nr - 1) / g.nr
	size := 0
	for pc := 0; pc < k; pc += g.kc {
		blocks = append(blocks, size)
		size += (min(g.kc, k-pc) + 1) / 2 * nPanels * g.nr
	}
	if cap(words) < size+packSlack {
		words = asWords(alignedFloats(size + packSlack))
	}
	p.g, p.words, p.blocks = g, words[:size+packSlack], blocks
	// Panels are independent: split all of them, every kc-block's, over
	// the threads in one dispatch (a dispatch per block cost the 2-thread
	// weight gradients a few % in wake-ups), at least 64 Ki words (256 KiB
	// written) per piece.
	kp0 := (min(g.kc, k) + 1) / 2
	ParallelFor(len(p.blocks)*nPanels, max(1, 65536/(kp0*g.nr)), func(lo, hi int) {
		w := g.getWork()
		for lo < hi {
			q := lo / nPanels
			end := min(hi, (q+1)*nPanels) // the piece's panels in block q
			kc := min(g.kc, k-q*g.kc)
			kp := (kc + 1) / 2
			jc, je := (lo-q*nPanels)*g.nr, min((end-q*nPanels)*g.nr, n)
			g.packB(w, p.words[p.blocks[q]+jc*kp:], transB, b, ldb, q*g.kc, jc, kc, je-jc)
			lo = end
		}
		putBF16Work(w)
	})
	clear(p.words[size:])
	return p
}

// SgemmBF16PackedB is SgemmBF16 with op(B) from a packed operand:
// C = alpha*bf16(op(A))*bf16(op(B)) + beta*C for op(B) k×n as packed. The
// result is bit for bit SgemmBF16's on the source of pb. If the level
// changed since packing (Use), it runs SgemmBF16 on the source.
func SgemmBF16PackedB(transA bool, m, n, k int, alpha float32, a []float32, lda int, pb *BF16PackedB, beta float32, c []float32, ldc int) {
	if pb.k != k || pb.n != n {
		panicShape("SgemmBF16PackedB", "packed B is %dx%d, product needs %dx%d", pb.k, pb.n, k, n)
	}
	checkGemm("SgemmBF16PackedB", transA, pb.transB, m, n, k, a, lda, pb.b, pb.ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if pb.g == nil || pb.g != current.bf16 {
		sgemmBF16Impl(transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc)
		return
	}
	pb.g.sgemmPB(transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, pb, beta, c, ldc)
}

// checkMatrix panics unless b holds a rows×cols row-major matrix with
// leading dimension ld (the B operand a kernel prepares ahead of its
// products).
func checkMatrix(kernel string, rows, cols int, b []float32, ld int) {
	if rows < 0 || cols < 0 {
		panicShape(kernel, "negative size %dx%d", rows, cols)
	}
	if ld < max(1, cols) {
		panicShape(kernel, "leading dimension too small: ldb=%d (cols %d)", ld, cols)
	}
	if rows > 0 && cols > 0 {
		checkLen(kernel, "b", len(b), (rows-1)*ld+cols)
	}
}
