package kernels

// The pure-Go SGEMM: the same blocked driver as the assembly levels
// (gemm_blocked.go: packed panels, cache blocks, threads over the pool)
// around a micro-kernel written in Go. It is what -tags purego and every
// platform without an assembly level run.
//
// The micro-kernel is shaped by what the Go compiler does with it on amd64
// (GOAMD64=v1: scalar SSE, 15 usable XMM registers, two-operand MULSS):
// the scheduler issues every product of a k step before the additions into
// the accumulators (values used within the block go first), so a step
// holds mr*nr accumulators plus mr*nr products in registers at once. Tiles
// of 4x4, 4x3, 3x3 and 4x2 spill to the stack on every step (counted in
// the objdump of each candidate); 3x2 and 2x3 are the largest that stay
// in registers, and unrolling k by two halves the loop overhead. On arm64
// the compiler fuses a*b+c into FMADDS and has 32 registers; there the NEON
// level replaces this kernel anyway.
//
// The kernels walk A and B by offsets and form pointers only to elements
// they read (a pointer past an allocation would be invalid for the garbage
// collector and for checkptr).

var genericGemm = &gemmConfig{name: "generic 2x3", mr: 2, nr: 3, kc: 256, mc: 128, nc: 1023, kernel: gemmGoStrided2x3, packed: gemmGo2x3}

// genericGemmVariants are the candidate tiles, tested through the driver
// and compared by BenchmarkGemmGeneric.
var genericGemmVariants = []*gemmConfig{
	genericGemm,
	{name: "generic 3x2", mr: 3, nr: 2, kc: 256, mc: 96, nc: 1024, kernel: gemmGoStrided3x2, packed: gemmGo3x2},
}

func init() { gemmVariants[LevelGeneric] = genericGemmVariants }

func sgemmGenericParallel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	genericGemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmBatchedGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	genericGemm.sgemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// gemmGo3x2 is the packed micro-kernel (gemmPackedFunc) of the generic
// level; gemmGoStrided3x2 the same tile under gemmKernelFunc, reading A
// with any strides and B by rows (the small-product path); storeTile3x2
// merges the accumulators into C.
func gemmGo3x2(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	var c00, c01, c10, c11, c20, c21 float32
	ao, bo := 0, 0
	for ; k >= 2; k -= 2 {
		a0, a1, a2 := *ptrAt(a, ao), *ptrAt(a, ao+1), *ptrAt(a, ao+2)
		b0, b1 := *ptrAt(b, bo), *ptrAt(b, bo+1)
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		a0, a1, a2 = *ptrAt(a, ao+3), *ptrAt(a, ao+4), *ptrAt(a, ao+5)
		b0, b1 = *ptrAt(b, bo+2), *ptrAt(b, bo+3)
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		ao += 6
		bo += 4
	}
	if k == 1 {
		a0, a1, a2 := *ptrAt(a, ao), *ptrAt(a, ao+1), *ptrAt(a, ao+2)
		b0, b1 := *ptrAt(b, bo), *ptrAt(b, bo+1)
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
	}
	storeTile3x2(c, ldc, alpha, beta, c00, c01, c10, c11, c20, c21)
}

func gemmGoStrided3x2(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	var c00, c01, c10, c11, c20, c21 float32
	ao, bo := 0, 0
	for ; k > 0; k-- {
		a0, a1, a2 := *ptrAt(a, ao), *ptrAt(a, ao+rsa), *ptrAt(a, ao+2*rsa)
		b0, b1 := *ptrAt(b, bo), *ptrAt(b, bo+1)
		c00 += a0 * b0
		c01 += a0 * b1
		c10 += a1 * b0
		c11 += a1 * b1
		c20 += a2 * b0
		c21 += a2 * b1
		ao += csa
		bo += rsb
	}
	storeTile3x2(c, ldc, alpha, beta, c00, c01, c10, c11, c20, c21)
}

func storeTile3x2(c *float32, ldc int, alpha, beta float32, c00, c01, c10, c11, c20, c21 float32) {
	if beta == 0 {
		*ptrAt(c, 0*ldc+0) = alpha * c00
		*ptrAt(c, 0*ldc+1) = alpha * c01
		*ptrAt(c, 1*ldc+0) = alpha * c10
		*ptrAt(c, 1*ldc+1) = alpha * c11
		*ptrAt(c, 2*ldc+0) = alpha * c20
		*ptrAt(c, 2*ldc+1) = alpha * c21
		return
	}
	d00 := ptrAt(c, 0*ldc+0)
	*d00 = alpha*c00 + beta**d00
	d01 := ptrAt(c, 0*ldc+1)
	*d01 = alpha*c01 + beta**d01
	d10 := ptrAt(c, 1*ldc+0)
	*d10 = alpha*c10 + beta**d10
	d11 := ptrAt(c, 1*ldc+1)
	*d11 = alpha*c11 + beta**d11
	d20 := ptrAt(c, 2*ldc+0)
	*d20 = alpha*c20 + beta**d20
	d21 := ptrAt(c, 2*ldc+1)
	*d21 = alpha*c21 + beta**d21
}

func gemmGo2x3(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c10, c11, c12 float32
	ao, bo := 0, 0
	for ; k >= 2; k -= 2 {
		a0, a1 := *ptrAt(a, ao), *ptrAt(a, ao+1)
		b0, b1, b2 := *ptrAt(b, bo), *ptrAt(b, bo+1), *ptrAt(b, bo+2)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a0, a1 = *ptrAt(a, ao+2), *ptrAt(a, ao+3)
		b0, b1, b2 = *ptrAt(b, bo+3), *ptrAt(b, bo+4), *ptrAt(b, bo+5)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		ao += 4
		bo += 6
	}
	if k == 1 {
		a0, a1 := *ptrAt(a, ao), *ptrAt(a, ao+1)
		b0, b1, b2 := *ptrAt(b, bo), *ptrAt(b, bo+1), *ptrAt(b, bo+2)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
	}
	storeTile2x3(c, ldc, alpha, beta, c00, c01, c02, c10, c11, c12)
}

func gemmGoStrided2x3(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c10, c11, c12 float32
	ao, bo := 0, 0
	for ; k > 0; k-- {
		a0, a1 := *ptrAt(a, ao), *ptrAt(a, ao+rsa)
		b0, b1, b2 := *ptrAt(b, bo), *ptrAt(b, bo+1), *ptrAt(b, bo+2)
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		ao += csa
		bo += rsb
	}
	storeTile2x3(c, ldc, alpha, beta, c00, c01, c02, c10, c11, c12)
}

func storeTile2x3(c *float32, ldc int, alpha, beta float32, c00, c01, c02, c10, c11, c12 float32) {
	if beta == 0 {
		*ptrAt(c, 0*ldc+0) = alpha * c00
		*ptrAt(c, 0*ldc+1) = alpha * c01
		*ptrAt(c, 0*ldc+2) = alpha * c02
		*ptrAt(c, 1*ldc+0) = alpha * c10
		*ptrAt(c, 1*ldc+1) = alpha * c11
		*ptrAt(c, 1*ldc+2) = alpha * c12
		return
	}
	d00 := ptrAt(c, 0*ldc+0)
	*d00 = alpha*c00 + beta**d00
	d01 := ptrAt(c, 0*ldc+1)
	*d01 = alpha*c01 + beta**d01
	d02 := ptrAt(c, 0*ldc+2)
	*d02 = alpha*c02 + beta**d02
	d10 := ptrAt(c, 1*ldc+0)
	*d10 = alpha*c10 + beta**d10
	d11 := ptrAt(c, 1*ldc+1)
	*d11 = alpha*c11 + beta**d11
	d12 := ptrAt(c, 1*ldc+2)
	*d12 = alpha*c12 + beta**d12
}
