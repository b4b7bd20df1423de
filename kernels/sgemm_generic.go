package kernels

// The pure-Go SGEMM: the same blocked driver as the assembly levels
// (gemm_blocked.go) around a 4×4 micro-kernel written in Go, so that the
// generic level needs no per-call allocation either.

var genericGemm = &gemmConfig{name: "generic 4x4", mr: 4, nr: 4, kc: 256, mc: 64, nc: 1024, kernel: gemmKernelGo, packed: gemmPackedGo}

func gemmPackedGo(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	gemmKernelGo(k, a, 1, 4, b, 4, c, ldc, alpha, beta)
}

func sgemmGenericParallel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	genericGemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmBatchedGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	genericGemm.sgemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// gemmKernelGo is the 4×4 micro-kernel of the generic level, under the
// gemmKernelFunc contract. It walks A and B by offsets and forms pointers
// only to elements it reads (a pointer past an allocation would be invalid
// for the garbage collector).
func gemmKernelGo(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	ao, bo := 0, 0
	for p := 0; p < k; p++ {
		a0 := *ptrAt(a, ao)
		a1 := *ptrAt(a, ao+rsa)
		a2 := *ptrAt(a, ao+2*rsa)
		a3 := *ptrAt(a, ao+3*rsa)
		b0, b1, b2, b3 := *ptrAt(b, bo), *ptrAt(b, bo+1), *ptrAt(b, bo+2), *ptrAt(b, bo+3)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		ao += csa
		bo += rsb
	}
	acc := [4][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}}
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
