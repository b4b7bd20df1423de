package kernels

import (
	"sync"
	"unsafe"
)

// The blocked bf16 GEMM driver: the structure of gemm_blocked.go, with
// panels of bf16 pairs. Bf16 dot-product instructions (VDPBF16PS) multiply
// two consecutive k of A and B per 32-bit lane and add both products into one
// float32 lane, so a packed panel holds 32-bit words, each the bf16 pair
// (k = 2q, 2q+1) of one row of A or one column of B:
//
//	A panel (mr rows):    word[q*mr + i] = (A(i,2q), A(i,2q+1))
//	B panel (nr columns): word[q*nr + j] = (B(2q,j), B(2q+1,j))
//
// with the low half the even k. An odd k pads its last pair with a zero;
// missing rows and columns at the edges are zero words. The float32 operands
// are rounded to bf16 while they are packed (VCVTNE2PS2BF16), so a product
// stores no bf16 copy of a matrix: weights cost their conversion once per
// product at most, within the packing that the float32 path pays as well
// (a whole packed copy of a weight, read by several products, is
// bf16_packed.go's BF16PackedB).
//
// Where a pair lies along a contiguous run (rows of a row-major A, rows of a
// transposed B) the run is converted into words (cvtRow) and the words are
// transposed into the panel by the float32 packers (a word moves like a
// float). Where a pair spans two rows (a row-major B, a transposed A) the two
// rows are converted and interleaved straight into the panel (cvtPairs; for
// a transposed A across the whole block, then cut into panels: packPairsA).
//
// A future AMX level packs differently (tiles of 16 rows × 32 bf16) and
// would sit above this one with its own bf16Config fields.

// bf16KernelFunc is the micro-kernel contract: for i < mr, j < nr,
//
//	c[i*ldc+j] = alpha * sum_{q<kp} dot2(a[q*mr+i], b[q*nr+j]) + beta*c[i*ldc+j]
//
// with dot2 the float32 dot product of two bf16 pairs, beta == 0 storing
// without reading c.
type bf16KernelFunc func(kp int, a, b *uint32, c *float32, ldc int, alpha, beta float32)

// bf16Config is one level's bf16 GEMM: micro-kernel, converters and blocking.
type bf16Config struct {
	name       string
	mr, nr     int
	kc, mc, nc int // kc counts k (even), not pairs
	kernel     bf16KernelFunc
	// cvtRow writes the ceil(n/2) words of n floats (odd n: zero last half).
	cvtRow func(dst *uint32, src *float32, n int)
	// cvtPairs sets dst[j] = (s0[j], s1[j]) for j < valid, 0 for valid ≤ j < w.
	cvtPairs func(dst *uint32, s0, s1 *float32, valid, w int)
	// words transposes 32-bit words with its float32 packTranspose.
	words   *gemmConfig
	jrInner bool
	// nb (0: nc; a multiple of nr) is how many columns of the packed B
	// block the jrInner loop runs over all of A's panels before moving
	// on: a part of B that stays in L2 while the A panels stream past it,
	// where the whole block (kc/2·nc words, 1.5 MiB for 12×32) would be
	// read from L3 by every A panel. Only the order of C's tiles changes,
	// not any sum.
	nb int
	// cvtPanel (nil: cvtPairs per pair) converts kp pairs of rows of
	// stride ld into a panel of w ≤ 48 words per pair, zero past valid.
	cvtPanel func(dst *uint32, src *float32, ld, kp, valid, w int)
	// cvtPanels12 (nil: none; only for mr = 12) converts a pair of rows
	// of n floats into consecutive 12-word panels pstride words apart,
	// zero to the end of the last one, prefetching the same columns ahead
	// bytes on: a transposed A's pairs.
	cvtPanels12 func(dst *uint32, s0, s1 *float32, n, pstride, ahead int)
	// dot4 (nil: none) dots four rows of A words with a row of B floats
	// rounded as read, over n = 32·j floats: the small-M path.
	dot4 func(a0, a1, a2, a3 *uint32, b *float32, n int, out *[4]float32)
	// dot4w (nil: none) is dot4 with the row of B already in words
	// (cvtRow): a weight kept in bf16 (BF16Rows). The same bits as dot4.
	dot4w func(a0, a1, a2, a3 *uint32, b *uint32, n int, out *[4]float32)
}

// bf16Zeros is the second row of the last pair when k is odd.
var bf16Zeros [64]float32

// bf16Work holds one thread's packing buffers.
type bf16Work struct {
	a, b []uint32  // packed A block and B block, 64-byte aligned, with slack
	rows []uint32  // words of up to max(mr, nr) rows before their transpose
	tile []float32 // mr×nr scratch tile for edges
	pair []uint32  // one pair of rows of a transposed A block, as words
}

var bf16WorkFree struct {
	sync.Mutex
	ws []*bf16Work
}

func (g *bf16Config) getWork() *bf16Work {
	var w *bf16Work
	bf16WorkFree.Lock()
	if n := len(bf16WorkFree.ws); n > 0 {
		w = bf16WorkFree.ws[n-1]
		bf16WorkFree.ws = bf16WorkFree.ws[:n-1]
	}
	bf16WorkFree.Unlock()
	if w == nil {
		w = new(bf16Work)
	}
	kp := g.kc / 2
	if na := roundUp(g.mc, g.mr)*kp + packSlack; len(w.a) < na {
		w.a = asWords(alignedFloats(na))
	}
	if nb := kp*roundUp(g.nc, g.nr) + packSlack; len(w.b) < nb {
		w.b = asWords(alignedFloats(nb))
	}
	if nr := max(g.mr, g.nr)*kp + packSlack; len(w.rows) < nr {
		w.rows = asWords(alignedFloats(nr))
	}
	if len(w.tile) < g.mr*g.nr {
		w.tile = alignedFloats(g.mr * g.nr)
	}
	return w
}

func putBF16Work(w *bf16Work) {
	bf16WorkFree.Lock()
	bf16WorkFree.ws = append(bf16WorkFree.ws, w)
	bf16WorkFree.Unlock()
}

func asWords(f []float32) []uint32 { return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f)) }
func asFloats(w []uint32) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(&w[0])), len(w))
}

// gemm runs C = alpha*op(A)*op(B) + beta*C on the calling goroutine.
func (g *bf16Config) gemm(w *bf16Work, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.gemmPB(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, 0, beta, c, ldc)
}

// gemmPB is gemm reading op(B)'s panels from pb (packed by g, columns
// pbCol.. of pb are this product's columns 0..) instead of packing b, when
// pb is not nil. The panels are the ones packB would make, so the products
// are bit for bit the same.
func (g *bf16Config) gemmPB(w *bf16Work, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, pb *BF16PackedB, pbCol int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	mr, nr := g.mr, g.nr
	for jc := 0; jc < n; jc += g.nc {
		nc := min(g.nc, n-jc)
		for pc := 0; pc < k; pc += g.kc {
			kc := min(g.kc, k-pc)
			kp := (kc + 1) / 2
			bet := beta
			if pc > 0 {
				bet = 1
			}
			bb := w.b
			if pb != nil {
				bb = pb.words[pb.blocks[pc/g.kc]+(pbCol+jc)*kp:]
			} else {
				g.packB(w, w.b, transB, b, ldb, pc, jc, kc, nc)
			}
			for ic := 0; ic < m; ic += g.mc {
				mc := min(g.mc, m-ic)
				g.packA(w, transA, a, lda, ic, pc, mc, kc)
				if g.jrInner {
					jb := nc
					if g.nb > 0 {
						jb = g.nb
					}
					for j0 := 0; j0 < nc; j0 += jb {
						for ir := 0; ir < mc; ir += mr {
							for jr := j0; jr < min(j0+jb, nc); jr += nr {
								g.tile(w, bb, ir, jr, mc, nc, kp, alpha, bet, c, (ic+ir)*ldc+jc+jr, ldc)
							}
						}
					}
				} else {
					for jr := 0; jr < nc; jr += nr {
						for ir := 0; ir < mc; ir += mr {
							g.tile(w, bb, ir, jr, mc, nc, kp, alpha, bet, c, (ic+ir)*ldc+jc+jr, ldc)
						}
					}
				}
			}
		}
	}
}

// tile runs the micro-kernel on tile (ir, jr) of the current block, whose C
// corner is c[co], with B's panels in bb; edge tiles go through the scratch
// tile.
func (g *bf16Config) tile(w *bf16Work, bb []uint32, ir, jr, mc, nc, kp int, alpha, beta float32, c []float32, co, ldc int) {
	mr, nr := g.mr, g.nr
	ap, bp := &w.a[ir*kp], &bb[jr*kp]
	mt, nt := min(mr, mc-ir), min(nr, nc-jr)
	if mt == mr && nt == nr {
		g.kernel(kp, ap, bp, at(c, co), ldc, alpha, beta)
		return
	}
	g.kernel(kp, ap, bp, &w.tile[0], nr, 1, 0)
	mergeTile(c[co:], ldc, w.tile, nr, mt, nt, alpha, beta)
}

// packA packs op(A)[ic:ic+mc, pc:pc+kc] into mr-row panels of kp words each.
func (g *bf16Config) packA(w *bf16Work, transA bool, a []float32, lda, ic, pc, mc, kc int) {
	mr, kp := g.mr, (kc+1)/2
	for ir := 0; ir < mc; ir += mr {
		mt := min(mr, mc-ir)
		panel := w.a[ir*kp : ir*kp+kp*mr]
		if transA { // op(A)(i,p) = a[p*lda+i]: a pair spans rows p, p+1
			if kc/2 > 0 {
				g.packPairsA(w, a, lda, ic, pc, mc, kc)
				return
			}
			g.packPairs(panel, a, lda, pc*lda+ic+ir, kc, mr, mt)
		} else {
			g.packRuns(w, panel, a, lda, (ic+ir)*lda+pc, kc, mr, mt)
		}
	}
}

// packPairsA packs a transposed A block (its pairs span two rows of a) into
// mr-row panels: each full pair of rows is converted across the block's
// whole width mc and cut into the panels, by cvtPanels12 straight into
// them where the level has it, else into w.pair and then copied. This
// streams along the rows of a; converting panel by panel (packPairs) reads
// mr floats of a row at a time, an mr-wide masked vector per pair and row,
// and cost the TN form a quarter of its time (the copies, another 3%). An
// odd kc's last row goes panel by panel (its zero partner row, bf16Zeros,
// is only 64 wide).
func (g *bf16Config) packPairsA(w *bf16Work, a []float32, lda, ic, pc, mc, kc int) {
	mr, kp, full := g.mr, (kc+1)/2, kc/2
	if g.cvtPanels12 != nil && mr == 12 {
		ahead := 4 * 2 * lda * pairsAheadA // bytes: pairsAheadA pairs of rows on
		for q := 0; q < full; q++ {
			off := (pc+2*q)*lda + ic
			g.cvtPanels12(&w.a[q*mr], &a[off], &a[off+lda], mc, kp*mr, ahead)
		}
		g.packLastRowA(w, a, lda, ic, pc, mc, kc)
		return
	}
	wd := roundUp(mc, mr)
	if len(w.pair) < wd {
		w.pair = make([]uint32, wd)
	}
	row := w.pair[:wd]
	for q := 0; q < full; q++ {
		off := (pc+2*q)*lda + ic
		g.cvtPairs(&row[0], &a[off], &a[off+lda], mc, wd)
		for ir := 0; ir < mc; ir += mr {
			o := ir*kp + q*mr
			copy(w.a[o:o+mr], row[ir:ir+mr])
		}
	}
	g.packLastRowA(w, a, lda, ic, pc, mc, kc)
}

// pairsAheadA is how many pairs of rows on packPairsA prefetches: 2 and 4
// measured alike (+1-1.5% at the TN weight gradients with M = 768 on a
// quiet Zen 5), 8 sometimes slower.
const pairsAheadA = 2

// packLastRowA packs an odd kc's last row of a transposed A block (paired
// with zeros) into the last word of each panel; for an even kc it does
// nothing.
func (g *bf16Config) packLastRowA(w *bf16Work, a []float32, lda, ic, pc, mc, kc int) {
	mr, kp, full := g.mr, (kc+1)/2, kc/2
	if full == kp {
		return
	}
	for ir := 0; ir < mc; ir += mr {
		o := ir*kp + full*mr
		g.cvtPairs(&w.a[o], &a[(pc+kc-1)*lda+ic+ir], &bf16Zeros[0], min(mr, mc-ir), mr)
	}
}

// packB packs op(B)[pc:pc+kc, jc:jc+nc] into dst as nr-column panels of kp
// words each (w.rows is its scratch).
func (g *bf16Config) packB(w *bf16Work, dst []uint32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
	nr, kp := g.nr, (kc+1)/2
	for jr := 0; jr < nc; jr += nr {
		nt := min(nr, nc-jr)
		panel := dst[jr*kp : jr*kp+kp*nr]
		if transB { // op(B)(p,j) = b[j*ldb+p]: pairs along rows of b
			g.packRuns(w, panel, b, ldb, (jc+jr)*ldb+pc, kc, nr, nt)
		} else {
			g.packPairs(panel, b, ldb, pc*ldb+jc+jr, kc, nr, nt)
		}
	}
}

// packPairs packs a panel of width wd whose pairs span two rows: row p of
// the kc rows starts at src[off + p*ld], and holds valid values.
func (g *bf16Config) packPairs(panel []uint32, src []float32, ld, off, kc, wd, valid int) {
	full := kc / 2 // pairs of two rows; an odd kc leaves a last row alone
	q := 0
	if g.cvtPanel != nil && wd <= 48 && full > 0 {
		g.cvtPanel(&panel[0], &src[off], ld, full, valid, wd)
		q = full
	}
	for ; q < (kc+1)/2; q++ {
		s0 := &src[off+2*q*ld]
		s1 := &bf16Zeros[0]
		if 2*q+1 < kc {
			s1 = &src[off+(2*q+1)*ld]
		}
		g.cvtPairs(&panel[q*wd], s0, s1, valid, wd)
	}
}

// packRuns packs a panel of width wd from valid contiguous runs of kc floats
// starting at src[off + r*ld]: each run becomes kp words, then the words are
// transposed into panel[q*wd + r] (zero for r ≥ valid).
func (g *bf16Config) packRuns(w *bf16Work, panel []uint32, src []float32, ld, off, kc, wd, valid int) {
	kp := (kc + 1) / 2
	buf := w.rows[:valid*kp]
	for r := 0; r < valid; r++ {
		g.cvtRow(&buf[r*kp], &src[off+r*ld], kc)
	}
	g.words.packTranspose(asFloats(panel), asFloats(buf), kp, kp, wd, valid, 0)
}

// Parallel products over the worker pool, split as gemm_parallel.go does.

type bf16Args struct {
	g                         *bf16Config
	transA, transB            bool
	m, n, k                   int
	alpha, beta               float32
	a, b, c                   []float32
	lda, ldb, ldc             int
	strideA, strideB, strideC int
	batched, splitN           bool
	chunk                     int
	pb                        *BF16PackedB // nil: pack b
}

var bf16ArgsPool argPool[bf16Args]

func (x *bf16Args) runRange(lo, hi int) {
	w := x.g.getWork()
	for p := lo; p < hi; p++ {
		if x.batched {
			x.g.gemm(w, x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a[p*x.strideA:], x.lda, x.b[p*x.strideB:], x.ldb, x.beta, x.c[p*x.strideC:], x.ldc)
			continue
		}
		m, n, lo, a, b, c := splitPart(p, x.chunk, x.splitN, x.transA, x.transB, x.m, x.n, x.a, x.b, x.c, x.lda, x.ldb, x.ldc)
		col := 0 // the first column of the part in the packed B
		if x.splitN {
			col = lo
		}
		x.g.gemmPB(w, x.transA, x.transB, m, n, x.k, x.alpha, a, x.lda, b, x.ldb, x.pb, col, x.beta, c, x.ldc)
	}
	putBF16Work(w)
}

// sgemm is the level's SgemmBF16: validated operands, m, n > 0.
func (g *bf16Config) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.sgemmPB(transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// streamsB reports whether sgemm reads B without packing it (the small-M
// path): there a packed copy of B is not used.
func (g *bf16Config) streamsB(transA, transB bool, m, k int) bool {
	return !transA && transB && m <= smallMRows && k >= 32 && g.dot4 != nil
}

// sgemmPB is sgemm with op(B)'s panels read from pb (packed by g from b)
// when pb is not nil; the small-M path reads b itself, as sgemm does.
func (g *bf16Config) sgemmPB(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, pb *BF16PackedB, beta float32, c []float32, ldc int) {
	if g.streamsB(transA, transB, m, k) {
		g.sgemmSmallMNT(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	threads := Threads()
	if threads == 1 || 2*m*n*k < gemmParallelMinFlops {
		w := g.getWork()
		g.gemmPB(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, pb, 0, beta, c, ldc)
		putBF16Work(w)
		return
	}
	x := bf16ArgsPool.get()
	*x = bf16Args{g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, pb: pb}
	// Split the longer side (as BF16PackedBSaves assumes; the MLM head's
	// products with the 30522-row embedding have M of a few hundred masked
	// tokens). Each part packs and converts its own copy of the other
	// operand: one copy packed by all threads and read by every part
	// (tried for the weight gradients, where a part of 384 rows converts
	// all of B) was slower on a quiet Zen 5, 67-69% vs 80% of the
	// VDPBF16PS peak at TN 768×768×8192 on 2 threads: half of each block
	// crosses between the cores' caches, and every block costs two
	// barriers (BENCHMARKS.md).
	var parts int
	x.splitN, x.chunk, parts = splitLonger(m, n, threads, g.mr, g.nr)
	parallelRange(parts, 1, x)
	bf16ArgsPool.put(x)
}

// sgemmBatched is the level's SgemmBF16Batched: validated operands, batch, m, n > 0.
func (g *bf16Config) sgemmBatched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < Threads() {
		for i := 0; i < batch; i++ {
			g.sgemm(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
		}
		return
	}
	x := bf16ArgsPool.get()
	*x = bf16Args{g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		strideA: strideA, strideB: strideB, strideC: strideC, batched: true}
	parallelRange(batch, 1, x)
	bf16ArgsPool.put(x)
}

// sgemmSmallMNT is gemm_smallm.go's path in bf16: C = alpha*A·Bᵀ + beta*C
// for m ≤ smallMRows, each row of B (a weight row, at inference) read once
// and rounded as it streams instead of packed; the rows of A are converted
// to words first. The last k mod 32 products are summed in Go.
func (g *bf16Config) sgemmSmallMNT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g.smallMNT(m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
}

// smallMNT is sgemmSmallMNT reading B's rows from bw (ceil(k/2) words per
// row, converted by cvtRow: BF16Rows) when bw is not nil, else from b: the
// words are the bf16 values the float rows round to, so C has the same
// bits either way.
func (g *bf16Config) smallMNT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bw []uint32, beta float32, c []float32, ldc int) {
	kp, k32 := (k+1)/2, k&^31
	w := g.getWork()
	aw := w.rows[:0]
	if cap(aw) < m*kp {
		aw = make([]uint32, m*kp)
	}
	aw = aw[:m*kp]
	for i := 0; i < m; i++ {
		g.cvtRow(&aw[i*kp], &a[i*lda], k)
	}
	ParallelFor(n, 64, func(lo, hi int) {
		var d [4]float32
		for j := lo; j < hi; j++ {
			var bj []float32
			var wj []uint32
			if bw != nil {
				wj = bw[j*kp : j*kp+kp]
			} else {
				bj = b[j*ldb : j*ldb+k]
			}
			for i0 := 0; i0 < m; i0 += 4 {
				r := [4]int{i0, min(i0+1, m-1), min(i0+2, m-1), min(i0+3, m-1)}
				if bw != nil {
					g.dot4w(&aw[r[0]*kp], &aw[r[1]*kp], &aw[r[2]*kp], &aw[r[3]*kp], &wj[0], k32, &d)
				} else {
					g.dot4(&aw[r[0]*kp], &aw[r[1]*kp], &aw[r[2]*kp], &aw[r[3]*kp], &bj[0], k32, &d)
				}
				for x := 0; x < 4 && i0+x < m; x++ {
					i := i0 + x
					s := d[x]
					for p := k32; p < k; p++ {
						var v float32
						if bw != nil {
							v = bf16Half(wj[p/2], p)
						} else {
							v = RoundBF16(bj[p])
						}
						s += RoundBF16(a[i*lda+p]) * v
					}
					store(c, i*ldc+j, alpha, beta, s)
				}
			}
		}
	})
	putBF16Work(w)
}

// bf16Half returns the bf16 value of k index p held in word x (a pair
// (2q, 2q+1), the low half the even index) as a float32.
func bf16Half(x uint32, p int) float32 {
	if p&1 == 0 {
		return math32frombits(x << 16)
	}
	return math32frombits(x & 0xffff0000)
}

// The pure-Go twin of the packed path (converters and a 4×4 micro-kernel):
// it runs the driver and its packing on every machine, so their layout is
// tested where the bf16 instructions are missing.

var bf16GoConfig = &bf16Config{name: "bf16 go 4x4", mr: 4, nr: 4, kc: 64, mc: 16, nc: 32,
	kernel: bf16KernelGo, cvtRow: cvtRowBF16Go, cvtPairs: cvtPairsBF16Go, words: &gemmConfig{}, dot4: dotBF16x4Go, dot4w: dotBF16x4WordsGo}

// dotBF16x4WordsGo is dotBF16x4Go with b in words: the same products in
// the same order.
func dotBF16x4WordsGo(a0, a1, a2, a3 *uint32, b *uint32, n int, out *[4]float32) {
	bs := unsafe.Slice(b, n/2)
	for r, a := range [4]*uint32{a0, a1, a2, a3} {
		as := unsafe.Slice(a, n/2)
		var s float32
		for q, x := range as {
			s += math32frombits(x&0xffff0000) * math32frombits(bs[q]&0xffff0000)
			s += math32frombits(x<<16) * math32frombits(bs[q]<<16)
		}
		out[r] = s
	}
}

func dotBF16x4Go(a0, a1, a2, a3 *uint32, b *float32, n int, out *[4]float32) {
	bs := unsafe.Slice(b, n)
	for r, a := range [4]*uint32{a0, a1, a2, a3} {
		as := unsafe.Slice(a, n/2)
		var s float32
		for q, x := range as {
			s += math32frombits(x&0xffff0000) * RoundBF16(bs[2*q+1])
			s += math32frombits(x<<16) * RoundBF16(bs[2*q])
		}
		out[r] = s
	}
}

func cvtRowBF16Go(dst *uint32, src *float32, n int) {
	d := unsafe.Slice(dst, (n+1)/2)
	s := unsafe.Slice(src, n)
	for q := range d {
		lo := uint32(BF16FromFloat32(s[2*q]))
		var hi uint32
		if 2*q+1 < n {
			hi = uint32(BF16FromFloat32(s[2*q+1]))
		}
		d[q] = lo | hi<<16
	}
}

func cvtPairsBF16Go(dst *uint32, s0, s1 *float32, valid, w int) {
	d := unsafe.Slice(dst, w)
	a, b := unsafe.Slice(s0, valid), unsafe.Slice(s1, valid)
	for j := range d {
		if j < valid {
			d[j] = uint32(BF16FromFloat32(a[j])) | uint32(BF16FromFloat32(b[j]))<<16
		} else {
			d[j] = 0
		}
	}
}

// bf16KernelGo is the 4×4 micro-kernel of the Go twin: each pair's two
// products added in float32, the odd k first as VDPBF16PS is specified.
func bf16KernelGo(kp int, a, b *uint32, c *float32, ldc int, alpha, beta float32) {
	as, bs := unsafe.Slice(a, kp*4), unsafe.Slice(b, kp*4)
	var acc [4][4]float32
	for q := 0; q < kp; q++ {
		for i := 0; i < 4; i++ {
			x := as[q*4+i]
			xl, xh := math32frombits(x<<16), math32frombits(x&0xffff0000)
			for j := 0; j < 4; j++ {
				y := bs[q*4+j]
				acc[i][j] += xh * math32frombits(y&0xffff0000)
				acc[i][j] += xl * math32frombits(y<<16)
			}
		}
	}
	for i := range acc {
		for j, v := range acc[i] {
			d := ptrAt(c, i*ldc+j)
			if beta == 0 {
				*d = alpha * v
			} else {
				*d = alpha*v + beta**d
			}
		}
	}
}

func math32frombits(b uint32) float32 { return *(*float32)(unsafe.Pointer(&b)) }
