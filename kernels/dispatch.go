package kernels

// Implementation slots, filled with the pure-Go kernels here and replaced at
// start-up by faster ones where the CPU supports them.
var (
	sgemmImpl = func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		sgemmGeneric(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, true)
	}
	sgemmBatchedImpl = sgemmBatchedGeneric
)
