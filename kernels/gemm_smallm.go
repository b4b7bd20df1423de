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
		var d4 [4]float32
		for j := lo; j < hi; j++ {
			bj := b[j*ldb : j*ldb+k]
			i := 0
			if simd.dot4 != nil { // four rows of A per pass over the row of B
				for ; i+4 <= m; i += 4 {
					a0 := a[i*lda:]
					simd.dot4(&a0[0], &a0[lda], &a0[2*lda], &a0[3*lda], &bj[0], nv, &d4)
					for r := 0; r < 4; r++ {
						ar := a[(i+r)*lda : (i+r)*lda+k]
						d := d4[r]
						for p := nv; p < k; p++ {
							d += ar[p] * bj[p]
						}
						store(c, (i+r)*ldc+j, alpha, beta, d)
					}
				}
			}
			for ; i < m; i++ {
				ai := a[i*lda : i*lda+k]
				d := simd.dot(&ai[0], &bj[0], nv)
				for p := nv; p < k; p++ {
					d += ai[p] * bj[p]
				}
				store(c, i*ldc+j, alpha, beta, d)
			}
		}
	})
}

// store sets c[idx] = alpha*d + beta*c[idx], not reading c when beta is 0.
func store(c []float32, idx int, alpha, beta, d float32) {
	if beta == 0 {
		c[idx] = alpha * d
	} else {
		c[idx] = alpha*d + beta*c[idx]
	}
}
