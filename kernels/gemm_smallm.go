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
	if simd == nil { // the generic level: the Go dot products below
		return !transA && transB && m <= smallMRows && k >= 16
	}
	return !transA && transB && m <= smallMRows && k >= 4*simd.lanes
}

// sgemmSmallMNT computes C = alpha*A·Bᵀ + beta*C for m ≤ smallMRows with
// row-major A (m×k) and B (n×k), splitting the rows of B over the pool.
func sgemmSmallMNT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if simd == nil {
		sgemmSmallMNTGo(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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

// sgemmSmallMNTGo is sgemmSmallMNT in Go (the generic level): two rows of
// A per pass over a row of B, each dot product in four partial sums (six
// accumulators with the two-row pass: no register spills on amd64).
func sgemmSmallMNTGo(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ParallelFor(n, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			bj := b[j*ldb : j*ldb+k]
			i := 0
			for ; i+2 <= m; i += 2 {
				d0, d1 := dot2Go(a[i*lda:i*lda+k], a[(i+1)*lda:(i+1)*lda+k], bj)
				store(c, i*ldc+j, alpha, beta, d0)
				store(c, (i+1)*ldc+j, alpha, beta, d1)
			}
			if i < m {
				store(c, i*ldc+j, alpha, beta, dotGo(a[i*lda:i*lda+k], bj))
			}
		}
	})
}

// dotGo returns x·y (len(y) ≥ len(x)) summed in four interleaved partial
// sums, which hide the latency of the additions. Like the GEMM kernels it
// walks by offsets (no per-step slice updates, no bounds checks).
func dotGo(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 float32
	i := 0
	if n >= 4 {
		px, py := &x[0], &y[0]
		for ; i+4 <= n; i += 4 {
			s0 += *ptrAt(px, i) * *ptrAt(py, i)
			s1 += *ptrAt(px, i+1) * *ptrAt(py, i+1)
			s2 += *ptrAt(px, i+2) * *ptrAt(py, i+2)
			s3 += *ptrAt(px, i+3) * *ptrAt(py, i+3)
		}
	}
	for ; i < n; i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot2Go returns x0·y and x1·y (len(x1), len(y) ≥ len(x0)) in one pass
// over y, each in three interleaved partial sums.
func dot2Go(x0, x1, y []float32) (float32, float32) {
	n := len(x0)
	x1, y = x1[:n], y[:n]
	var s00, s01, s02, s10, s11, s12 float32
	i := 0
	if n >= 3 {
		p0, p1, py := &x0[0], &x1[0], &y[0]
		for ; i+3 <= n; i += 3 {
			y0, y1, y2 := *ptrAt(py, i), *ptrAt(py, i+1), *ptrAt(py, i+2)
			s00 += *ptrAt(p0, i) * y0
			s01 += *ptrAt(p0, i+1) * y1
			s02 += *ptrAt(p0, i+2) * y2
			s10 += *ptrAt(p1, i) * y0
			s11 += *ptrAt(p1, i+1) * y1
			s12 += *ptrAt(p1, i+2) * y2
		}
	}
	for ; i < n; i++ {
		s00 += x0[i] * y[i]
		s10 += x1[i] * y[i]
	}
	return (s00 + s01) + s02, (s10 + s11) + s12
}
