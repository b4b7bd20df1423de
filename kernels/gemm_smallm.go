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
// sums, which hide the latency of the additions.
func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot2Go returns x0·y and x1·y (equal lengths) in one pass over y, each in
// three interleaved partial sums.
func dot2Go(x0, x1, y []float32) (float32, float32) {
	x1, y = x1[:len(x0)], y[:len(x0)]
	var s00, s01, s02, s10, s11, s12 float32
	for len(x0) >= 3 && len(x1) >= 3 && len(y) >= 3 {
		y0, y1, y2 := y[0], y[1], y[2]
		s00 += x0[0] * y0
		s01 += x0[1] * y1
		s02 += x0[2] * y2
		s10 += x1[0] * y0
		s11 += x1[1] * y1
		s12 += x1[2] * y2
		x0, x1, y = x0[3:], x1[3:], y[3:]
	}
	for i, v := range y {
		s00 += x0[i] * v
		s10 += x1[i] * v
	}
	return (s00 + s01) + s02, (s10 + s11) + s12
}
