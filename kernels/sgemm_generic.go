package kernels

// The pure-Go SGEMM: rows of C split over the worker pool; for each row, an
// axpy-style inner loop over a contiguous row of op(B). Transposed operands
// are handled by packing a transposed copy of the needed panel first, so that
// the inner loop is always unit-stride.

const gemmRowGrain = 4 // rows of C per parallel task at least

func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, parallel bool) {
	// B as k×n row-major (bt, ldbt): pack when transposed.
	bt, ldbt := b, ldb
	if transB && k > 0 {
		bt = make([]float32, k*n)
		for j := 0; j < n; j++ {
			row := b[j*ldb : j*ldb+k]
			for p, v := range row {
				bt[p*n+j] = v
			}
		}
		ldbt = n
	}
	rows := func(lo, hi int) {
		arow := make([]float32, k)
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(crow)
			} else if beta != 1 {
				for j := range crow {
					crow[j] *= beta
				}
			}
			if transA {
				for p := 0; p < k; p++ {
					arow[p] = a[p*lda+i]
				}
			} else {
				copy(arow, a[i*lda:i*lda+k])
			}
			for p, av := range arow {
				s := alpha * av
				brow := bt[p*ldbt : p*ldbt+n]
				axpyGeneric(s, brow, crow)
			}
		}
	}
	if parallel && m*n*k >= 1<<15 {
		ParallelFor(m, gemmRowGrain, rows)
	} else {
		rows(0, m)
	}
}

func sgemmBatchedGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	ParallelFor(batch, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sgemmGeneric(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc, false)
		}
	})
}

// axpyGeneric: y += alpha*x, unrolled by 4.
func axpyGeneric(alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < n; i++ {
		y[i] += alpha * x[i]
	}
}
