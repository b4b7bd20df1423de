package kernels

// Parallel SGEMM over the worker pool. A large product is cut into Threads()
// contiguous blocks of rows of C (columns when C has few rows), whole
// micro-tiles each, and every block runs the single-threaded blocked driver
// with its own packing buffers: each core then packs and keeps its own B
// block in its own L2, and no synchronization happens inside the product.
// Batched products (attention heads) run whole products per thread.

// gemmParallelMinFlops is the size (2*m*n*k) under which a product stays on
// the calling goroutine: waking a worker costs a few microseconds.
const gemmParallelMinFlops = 1 << 22

// gemmArgs is one parallel SGEMM call (pooled to avoid per-call allocation).
type gemmArgs struct {
	g                         *gemmConfig
	transA, transB            bool
	m, n, k                   int
	alpha, beta               float32
	a, b, c                   []float32
	lda, ldb, ldc             int
	strideA, strideB, strideC int
	batched                   bool
	splitN                    bool // split columns instead of rows
	chunk                     int  // rows or columns per part
}

var gemmArgsPool argPool[gemmArgs]

func (x *gemmArgs) runRange(lo, hi int) {
	w := x.g.getWork()
	for p := lo; p < hi; p++ {
		if x.batched {
			x.g.gemm(w, x.transA, x.transB, x.m, x.n, x.k, x.alpha, x.a[p*x.strideA:], x.lda, x.b[p*x.strideB:], x.ldb, x.beta, x.c[p*x.strideC:], x.ldc)
			continue
		}
		m, n, _, a, b, c := splitPart(p, x.chunk, x.splitN, x.transA, x.transB, x.m, x.n, x.a, x.b, x.c, x.lda, x.ldb, x.ldc)
		x.g.gemm(w, x.transA, x.transB, m, n, x.k, x.alpha, a, x.lda, b, x.ldb, x.beta, c, x.ldc)
	}
	putWork(w)
}

// sgemm is the level's Sgemm: validated operands, m, n > 0.
func (g *gemmConfig) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if useSmallMNT(transA, transB, m, k) {
		sgemmSmallMNT(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	threads := Threads()
	if threads == 1 || 2*m*n*k < gemmParallelMinFlops {
		w := g.getWork()
		g.gemm(w, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		putWork(w)
		return
	}
	x := gemmArgsPool.get()
	*x = gemmArgs{g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	var parts int
	x.splitN, x.chunk, parts = splitLonger(m, n, threads, g.mr, g.nr)
	parallelRange(parts, 1, x)
	gemmArgsPool.put(x)
}

// splitLonger splits an m×n product over threads along its longer side
// (columns when n > m) in chunks of whole mr-row or nr-column tiles, and
// returns the chunk and the number of parts. Every thread packs all of the
// operand it does not split, so the shorter one is the one packed twice.
// (Splitting rows whenever there were enough of them had both threads pack
// every weight of a served batch's products, M a few hundred tokens and
// N ≥ M: a quarter of the server's CPU time, BENCHMARKS.md, serve.)
func splitLonger(m, n, threads, mr, nr int) (splitN bool, chunk, parts int) {
	splitN = n > m
	size, tile := m, mr
	if splitN {
		size, tile = n, nr
	}
	chunk = roundUp((size+threads-1)/threads, tile)
	return splitN, chunk, (size + chunk - 1) / chunk
}

// sgemmBatched is the level's SgemmBatched: validated operands, batch, m, n > 0.
func (g *gemmConfig) sgemmBatched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < Threads() {
		// Too few products to occupy every thread: parallelize each one.
		for i := 0; i < batch; i++ {
			g.sgemm(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
		}
		return
	}
	x := gemmArgsPool.get()
	*x = gemmArgs{g: g, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc,
		strideA: strideA, strideB: strideB, strideC: strideC, batched: true}
	parallelRange(batch, 1, x)
	gemmArgsPool.put(x)
}

// splitPart returns the operands of part p of a product split chunk at a
// time along M (rows of A and C) or, with splitN, along N (columns of B and
// C): its sizes, the first row or column it starts at, and the slices of a,
// b and c it starts from.
func splitPart(p, chunk int, splitN, transA, transB bool, m, n int, a, b, c []float32, lda, ldb, ldc int) (pm, pn, lo int, pa, pb, pc []float32) {
	lo = p * chunk
	if splitN {
		if transB {
			b = b[lo*ldb:]
		} else {
			b = b[lo:]
		}
		return m, min(n-lo, chunk), lo, a, b, c[lo:]
	}
	if transA {
		a = a[lo:]
	} else {
		a = a[lo*lda:]
	}
	return min(m-lo, chunk), n, lo, a, b, c[lo*ldc:]
}
