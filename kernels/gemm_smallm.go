package kernels

// Products with a handful of rows of C and a transposed B — a Linear layer
// at inference on a few tokens (fill-mask: x·Wᵀ with W [out, in]) — are
// memory bound: the whole weight streams through once while the rows of A
// stay in L1. The blocked driver would first pack B, doubling that traffic;
// here each row of B is read once and dotted with every row of A.

// smallMRows is the most rows of C that take the dot-product path.
const smallMRows = 8

// useSmallMNT reports whether sgemm should take the dot-product path.
func useSmallMNT(transA, transB bool, m, k int) bool {
	return !transA && transB && m <= smallMRows && simd != nil && k >= 4*simd.lanes
}

// sgemmSmallMNT computes C = alpha*A·Bᵀ + beta*C for m ≤ smallMRows with
// row-major A (m×k) and B (n×k), splitting the rows of B over the pool.
func sgemmSmallMNT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	nv := vlen(k)
	ParallelFor(n, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			bj := b[j*ldb : j*ldb+k]
			for i := 0; i < m; i++ {
				ai := a[i*lda : i*lda+k]
				d := simd.dot(&ai[0], &bj[0], nv)
				for p := nv; p < k; p++ {
					d += ai[p] * bj[p]
				}
				ci := &c[i*ldc+j]
				if beta == 0 {
					*ci = alpha * d
				} else {
					*ci = alpha*d + beta**ci
				}
			}
		}
	})
}
