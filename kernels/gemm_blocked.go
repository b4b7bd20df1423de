package kernels

import (
	"math"
	"sync"
	"unsafe"
)

// The blocked SGEMM driver (GotoBLAS/BLIS structure) around an assembly
// micro-kernel that computes one mr×nr tile of C from packed panels.
//
// Large products: for each nc-wide column block of B and kc-deep slice of K,
// B is packed into kc×nr panels; for each mc-high row block of A, A is
// packed into mr×kc panels; then every (jr, ir) tile runs the micro-kernel.
// The B micro-panel (kc×nr) stays in L1 while the loop over ir streams the
// A block (mc×kc) from L2; the packed B block (kc×nc) lives in L2/L3.
//
// Small products (attention heads): the micro-kernel reads A and a
// non-transposed B in place (its A addressing takes any row and column
// stride), so only a transposed B, and the partial tiles at the edges, are
// packed.
//
// Edge tiles are computed into a scratch tile and merged, so the kernel
// always runs full mr×nr tiles; packed panels are zero-padded.

// gemmKernelFunc is the micro-kernel contract: for i < mr, j < nr,
//
//	c[i*ldc+j] = alpha * sum_{p<k} a[i*rsa+p*csa] * b[p*rsb+j] + beta*c[i*ldc+j]
//
// with beta == 0 storing without reading c.
type gemmKernelFunc func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32)

// gemmPackedFunc is the micro-kernel of the blocked path: gemmKernelFunc
// with A and B packed (rsa = 1, csa = mr, rsb = nr).
type gemmPackedFunc func(k int, a, b, c *float32, ldc int, alpha, beta float32)

// gemmConfig is one level's micro-kernels and cache blocking.
type gemmConfig struct {
	name       string
	mr, nr     int            // micro-tile
	kc, mc, nc int            // cache blocks: kc deep, mc rows of A, nc columns of B
	kernel     gemmKernelFunc // nil: small products are packed too
	packed     gemmPackedFunc
	// packers are the level's panel packers (nil: Go loops); see
	// _asm/pack.go.
	packers *gemmPackers
	// jrInner swaps the two innermost loops: each A micro-panel (mr×kc)
	// stays in L1 while the B block (kc×nc) streams from L2, instead of
	// each B micro-panel staying in L1 while the A block streams.
	jrInner bool
}

// gemmPackers are one level's assembly panel packers, for vectors of lanes
// floats; each writes whole vectors, up to lanes-1 floats past a panel.
type gemmPackers struct {
	lanes  int
	gather func(dst, src *float32, sp, sj, k, w, valid, nvec int)
	copy   func(dst, src *float32, ld, k, w, valid, nvec int)
	trans  func(dst, src *float32, ld, k, w, valid, nvec, ahead int)
}

// packCopy sets panel[p*w+j] = src[p*ld+j] for j < valid, 0 up to w.
func (g *gemmConfig) packCopy(panel, src []float32, ld, k, w, valid int) {
	if pk := g.packers; pk != nil && w <= 4*pk.lanes {
		pk.copy(&panel[0], &src[0], ld, k, w, valid, (w+pk.lanes-1)/pk.lanes)
		return
	}
	if w == 1 { // the generic level's one-column panels: no copy call per element
		if valid == 0 {
			clear(panel[:k])
			return
		}
		for p := range panel[:k] {
			panel[p] = src[p*ld]
		}
		return
	}
	for p := 0; p < k; p++ {
		d := panel[p*w : p*w+w]
		copy(d, src[p*ld:p*ld+valid])
		clear(d[valid:])
	}
}

// packTranspose sets panel[p*w+j] = src[j*ld+p] for j < valid, 0 up to w.
func (g *gemmConfig) packTranspose(panel, src []float32, ld, k, w, valid, ahead int) {
	if pk := g.packers; pk != nil && w <= 4*pk.lanes && (valid-1)*ld <= math.MaxInt32 {
		nvec := (w + pk.lanes - 1) / pk.lanes
		kb := 0
		if nvec == 1 || w%pk.lanes == 0 {
			kb = k &^ (pk.lanes - 1) // whole lanes×lanes blocks by transposes
			if kb > 0 {
				pk.trans(&panel[0], &src[0], ld, kb, w, valid, nvec, ahead)
			}
		}
		if kb < k { // the rest by gathers
			pk.gather(&panel[kb*w], &src[kb], 1, ld, k-kb, w, valid, nvec)
		}
		return
	}
	for j := 0; j < valid; j++ {
		for p, v := range src[j*ld : j*ld+k] {
			panel[p*w+j] = v
		}
	}
	for j := valid; j < w; j++ {
		for p := 0; p < k; p++ {
			panel[p*w+j] = 0
		}
	}
}

// gemmWork holds one thread's packing buffers.
type gemmWork struct {
	a, b []float32 // packed A block (mc×kc) and B block (kc×nc), 64-byte aligned
	tile []float32 // mr×nr scratch tile for edges
}

// gemmWorkFree keeps idle workspaces. Not a sync.Pool: that is emptied by
// every garbage collection, and the ~1 MB buffers would then be allocated
// again as garbage by the next products. Their number is bounded by the
// products running at once (threads, plus nesting).
var gemmWorkFree struct {
	sync.Mutex
	ws []*gemmWork
}

// getWork returns a workspace big enough for g.
func (g *gemmConfig) getWork() *gemmWork {
	var w *gemmWork
	gemmWorkFree.Lock()
	if n := len(gemmWorkFree.ws); n > 0 {
		w = gemmWorkFree.ws[n-1]
		gemmWorkFree.ws = gemmWorkFree.ws[:n-1]
	}
	gemmWorkFree.Unlock()
	if w == nil {
		w = new(gemmWork)
	}
	// packSlack floats after each buffer absorb the whole-vector writes of
	// the assembly packer past the last panel row.
	na := roundUp(g.mc, g.mr)*g.kc + packSlack
	nb := g.kc*roundUp(g.nc, g.nr) + packSlack
	if len(w.a) < na {
		w.a = alignedFloats(na)
	}
	if len(w.b) < nb {
		w.b = alignedFloats(nb)
	}
	if len(w.tile) < g.mr*g.nr {
		w.tile = alignedFloats(g.mr * g.nr)
	}
	return w
}

func putWork(w *gemmWork) {
	gemmWorkFree.Lock()
	gemmWorkFree.ws = append(gemmWorkFree.ws, w)
	gemmWorkFree.Unlock()
}

const packSlack = 64

// alignedFloats allocates n float32s starting on a 64-byte boundary (a cache
// line, and one zmm vector).
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := int(uintptr(unsafe.Pointer(&s[0]))&63) / 4
	if off != 0 {
		off = 16 - off
	}
	return s[off : off+n : off+n]
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// at is &s[i] without a bounds check; callers have validated the extent.
func at(s []float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), uintptr(i)*4))
}

// ptrAt is p advanced by i float32s (i may be negative).
func ptrAt(p *float32, i int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(p), i*4))
}

// gemm runs C = alpha*op(A)*op(B) + beta*C on the calling goroutine. The
// operands have been validated by checkGemm.
func (g *gemmConfig) gemm(w *gemmWork, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if k <= g.kc && m <= g.mc && n <= g.nc && g.kernel != nil {
		g.gemmSmall(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	g.gemmPacked(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func (g *gemmConfig) gemmPacked(w *gemmWork, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := g.mr, g.nr
	for jc := 0; jc < n; jc += g.nc {
		nc := min(g.nc, n-jc)
		for pc := 0; pc < k; pc += g.kc {
			kc := min(g.kc, k-pc)
			bet := beta
			if pc > 0 {
				bet = 1
			}
			g.packB(w.b, transB, b, ldb, pc, jc, kc, nc)
			for ic := 0; ic < m; ic += g.mc {
				mc := min(g.mc, m-ic)
				g.packA(w.a, transA, a, lda, ic, pc, mc, kc)
				if g.jrInner {
					for ir := 0; ir < mc; ir += mr {
						for jr := 0; jr < nc; jr += nr {
							g.tile(w, ir, jr, mc, nc, kc, alpha, bet, c, (ic+ir)*ldc+jc+jr, ldc)
						}
					}
				} else {
					for jr := 0; jr < nc; jr += nr {
						for ir := 0; ir < mc; ir += mr {
							g.tile(w, ir, jr, mc, nc, kc, alpha, bet, c, (ic+ir)*ldc+jc+jr, ldc)
						}
					}
				}
			}
		}
	}
}

// tile runs the packed micro-kernel on tile (ir, jr) of the current block,
// whose C corner is c[co].
func (g *gemmConfig) tile(w *gemmWork, ir, jr, mc, nc, kc int, alpha, beta float32, c []float32, co, ldc int) {
	mr, nr := g.mr, g.nr
	ap, bp := at(w.a, ir*kc), at(w.b, jr*kc)
	mt, nt := min(mr, mc-ir), min(nr, nc-jr)
	if mt == mr && nt == nr {
		g.packed(kc, ap, bp, at(c, co), ldc, alpha, beta)
		return
	}
	g.packed(kc, ap, bp, &w.tile[0], nr, 1, 0)
	mergeTile(c[co:], ldc, w.tile, nr, mt, nt, alpha, beta)
}

// gemmSmall handles k ≤ kc, m ≤ mc, n ≤ nc (one cache block) with as little
// packing as possible: the kernel reads A in place for full row tiles and B
// in place for full column tiles when B is not transposed.
func (g *gemmConfig) gemmSmall(w *gemmWork, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := g.mr, g.nr
	rsa, csa := lda, 1
	if transA {
		rsa, csa = 1, lda
	}
	// B panels: in place (stride ldb) or packed into w.b (stride nr).
	nFull := n / nr * nr
	if transB {
		g.packB(w.b, true, b, ldb, 0, 0, k, n)
	} else if nFull < n {
		g.packB(w.b[nFull*k:], false, b, ldb, 0, nFull, k, n-nFull)
	}
	bPanel := func(jr int) (*float32, int) {
		if transB || jr >= nFull {
			return at(w.b, jr*k), nr
		}
		return at(b, jr), ldb
	}
	for ir := 0; ir < m; ir += mr {
		mt := min(mr, m-ir)
		var ap *float32
		ars, acs := rsa, csa
		if mt == mr {
			if transA {
				ap = at(a, ir)
			} else {
				ap = at(a, ir*lda)
			}
		} else {
			g.packA(w.a, transA, a, lda, ir, 0, mt, k)
			ap, ars, acs = &w.a[0], 1, mr
		}
		for jr := 0; jr < n; jr += nr {
			nt := min(nr, n-jr)
			bp, rsb := bPanel(jr)
			co := ir*ldc + jr
			if mt == mr && nt == nr {
				g.kernel(k, ap, ars, acs, bp, rsb, at(c, co), ldc, alpha, beta)
			} else {
				g.kernel(k, ap, ars, acs, bp, rsb, &w.tile[0], nr, 1, 0)
				mergeTile(c[co:], ldc, w.tile, nr, mt, nt, alpha, beta)
			}
		}
	}
}

// packA packs op(A)[ic:ic+mc, pc:pc+kc] into mr-row panels, each kc×mr
// (column p of the panel contiguous), zero-padding the last panel's rows.
func (g *gemmConfig) packA(dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc int) {
	mr := g.mr
	for ir := 0; ir < mc; ir += mr {
		mt := min(mr, mc-ir)
		panel := dst[ir*kc : ir*kc+kc*mr]
		if transA { // op(A)(i,p) = a[p*lda+i]: each p is a contiguous run
			g.packCopy(panel, a[pc*lda+ic+ir:], lda, kc, mr, mt)
		} else {
			g.packTranspose(panel, a[(ic+ir)*lda+pc:], lda, kc, mr, mt, 4*mr*lda)
		}
	}
}

// packB packs op(B)[pc:pc+kc, jc:jc+nc] into nr-column panels, each kc×nr
// (row p of the panel contiguous), zero-padding the last panel's columns.
func (g *gemmConfig) packB(dst []float32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
	nr := g.nr
	for jr := 0; jr < nc; jr += nr {
		nt := min(nr, nc-jr)
		panel := dst[jr*kc : jr*kc+kc*nr]
		if transB { // op(B)(p,j) = b[j*ldb+p]: each j is a contiguous run
			g.packTranspose(panel, b[(jc+jr)*ldb+pc:], ldb, kc, nr, nt, 4*nr*ldb)
		} else {
			g.packCopy(panel, b[pc*ldb+jc+jr:], ldb, kc, nr, nt)
		}
	}
}

// mergeTile writes the mt×nt corner of an edge tile t (computed with alpha=1,
// beta=0) into C: c = alpha*t + beta*c, not reading c when beta == 0.
func mergeTile(c []float32, ldc int, t []float32, ldt, mt, nt int, alpha, beta float32) {
	for i := 0; i < mt; i++ {
		cr := c[i*ldc : i*ldc+nt]
		tr := t[i*ldt : i*ldt+nt]
		if beta == 0 {
			for j, v := range tr {
				cr[j] = alpha * v
			}
		} else {
			for j, v := range tr {
				cr[j] = alpha*v + beta*cr[j]
			}
		}
	}
}

// scaleC sets C = beta*C (C = 0 when beta == 0): the k == 0 product.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		cr := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(cr)
		} else {
			for j := range cr {
				cr[j] *= beta
			}
		}
	}
}
