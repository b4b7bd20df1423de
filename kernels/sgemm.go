package kernels

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n. With transA, A is stored k×m
// (lda ≥ m), else m×k (lda ≥ k); likewise B is stored n×k with transB (ldb ≥ k),
// else k×n (ldb ≥ n). ldc ≥ n. As in BLAS, beta == 0 overwrites C without
// reading it (NaNs already in C do not propagate).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("Sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemmImpl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmBatched runs batch independent Sgemm calls whose operands start at
// i*strideA, i*strideB and i*strideC (the attention products over B×NH heads).
func SgemmBatched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < 0 {
		panicShape("SgemmBatched", "batch=%d < 0", batch)
	}
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	last := batch - 1
	checkGemm("SgemmBatched", transA, transB, m, n, k, a[min(len(a), last*strideA):], lda, b[min(len(b), last*strideB):], ldb, c[min(len(c), last*strideC):], ldc)
	sgemmBatchedImpl(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// checkGemm validates sizes and slice lengths; all violations are programmer errors.
func checkGemm(kernel string, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panicShape(kernel, "negative size m=%d n=%d k=%d", m, n, k)
	}
	ar, ac := m, k // stored rows, cols of A
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	if lda < max(1, ac) || ldb < max(1, bc) || ldc < max(1, n) {
		panicShape(kernel, "leading dimension too small: lda=%d (cols %d) ldb=%d (cols %d) ldc=%d (n %d)", lda, ac, ldb, bc, ldc, n)
	}
	if ar > 0 && ac > 0 {
		checkLen(kernel, "a", len(a), (ar-1)*lda+ac)
	}
	if br > 0 && bc > 0 {
		checkLen(kernel, "b", len(b), (br-1)*ldb+bc)
	}
	if m > 0 && n > 0 {
		checkLen(kernel, "c", len(c), (m-1)*ldc+n)
	}
}

// SgemmRef is the naive reference: float64 accumulation, no blocking. It is
// the oracle that every fast Sgemm is tested against.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("SgemmRef", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			r := float64(alpha) * s
			if beta != 0 {
				r += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(r)
		}
	}
}
