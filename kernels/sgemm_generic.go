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
// the objdump of each candidate); 6x1, 3x2 and 2x3 stay in registers. 6x1
// (k unrolled by four) needs no register copies either: each product loads
// its element of A into the register that MULSS overwrites. Its loop is
// about 3.2 instructions per multiply-add, close to the 2 MULSS + 2 ADDSS
// per cycle of a Zen core; scalar code cannot reach gonum's SSE kernels on
// amd64 (see BENCHMARKS.md). On arm64 the compiler fuses a*b+c into FMADDS
// and has 32 registers; there the NEON level replaces this kernel anyway.
//
// The kernels walk A and B by offsets and form pointers only to elements
// they read (a pointer past an allocation would be invalid for the garbage
// collector and for checkptr).

var genericGemm = &gemmConfig{name: "generic 6x1", mr: 6, nr: 1, kc: 256, mc: 96, nc: 1024, kernel: gemmGoStrided6x1, packed: gemmGo6x1}

// genericGemmVariants are the candidate tiles, tested through the driver
// and compared by BenchmarkGemmGeneric.
var genericGemmVariants = []*gemmConfig{
	genericGemm,
	{name: "generic 2x3", mr: 2, nr: 3, kc: 256, mc: 128, nc: 1023, kernel: gemmGoStrided2x3, packed: gemmGo2x3},
	{name: "generic 3x2", mr: 3, nr: 2, kc: 256, mc: 96, nc: 1024, kernel: gemmGoStrided3x2, packed: gemmGo3x2},
}

func init() { gemmVariants[LevelGeneric] = genericGemmVariants }

func sgemmGenericParallel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	genericGemm.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmBatchedGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	genericGemm.sgemmBatched(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// gemmGo6x1 is the packed micro-kernel (gemmPackedFunc) of the generic
// level: a 6×1 tile, k unrolled by four. Each product reads its element of
// A straight from memory into the register that MULSS overwrites, so no
// register copies are needed; the one element of B per step stays in a
// register.
func gemmGo6x1(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	var c0, c1, c2, c3, c4, c5 float32
	ao, bo := 0, 0
	for ; k >= 4; k -= 4 {
		b0 := *ptrAt(b, bo+0)
		c0 += *ptrAt(a, ao+0) * b0
		c1 += *ptrAt(a, ao+1) * b0
		c2 += *ptrAt(a, ao+2) * b0
		c3 += *ptrAt(a, ao+3) * b0
		c4 += *ptrAt(a, ao+4) * b0
		c5 += *ptrAt(a, ao+5) * b0
		b1 := *ptrAt(b, bo+1)
		c0 += *ptrAt(a, ao+6) * b1
		c1 += *ptrAt(a, ao+7) * b1
		c2 += *ptrAt(a, ao+8) * b1
		c3 += *ptrAt(a, ao+9) * b1
		c4 += *ptrAt(a, ao+10) * b1
		c5 += *ptrAt(a, ao+11) * b1
		b2 := *ptrAt(b, bo+2)
		c0 += *ptrAt(a, ao+12) * b2
		c1 += *ptrAt(a, ao+13) * b2
		c2 += *ptrAt(a, ao+14) * b2
		c3 += *ptrAt(a, ao+15) * b2
		c4 += *ptrAt(a, ao+16) * b2
		c5 += *ptrAt(a, ao+17) * b2
		b3 := *ptrAt(b, bo+3)
		c0 += *ptrAt(a, ao+18) * b3
		c1 += *ptrAt(a, ao+19) * b3
		c2 += *ptrAt(a, ao+20) * b3
		c3 += *ptrAt(a, ao+21) * b3
		c4 += *ptrAt(a, ao+22) * b3
		c5 += *ptrAt(a, ao+23) * b3
		ao += 24
		bo += 4
	}
	for ; k > 0; k-- {
		b0 := *ptrAt(b, bo)
		c0 += *ptrAt(a, ao+0) * b0
		c1 += *ptrAt(a, ao+1) * b0
		c2 += *ptrAt(a, ao+2) * b0
		c3 += *ptrAt(a, ao+3) * b0
		c4 += *ptrAt(a, ao+4) * b0
		c5 += *ptrAt(a, ao+5) * b0
		ao += 6
		bo++
	}
	storeTile6x1(c, ldc, alpha, beta, c0, c1, c2, c3, c4, c5)
}

// gemmGoStrided6x1 is the same tile under gemmKernelFunc (A with any
// strides, B by rows: the small-product path).
func gemmGoStrided6x1(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	var c0, c1, c2, c3, c4, c5 float32
	o1, o2, o3, o4, o5 := rsa, 2*rsa, 3*rsa, 4*rsa, 5*rsa
	ao, bo := 0, 0
	for ; k > 0; k-- {
		b0 := *ptrAt(b, bo)
		c0 += *ptrAt(a, ao) * b0
		c1 += *ptrAt(a, ao+o1) * b0
		c2 += *ptrAt(a, ao+o2) * b0
		c3 += *ptrAt(a, ao+o3) * b0
		c4 += *ptrAt(a, ao+o4) * b0
		c5 += *ptrAt(a, ao+o5) * b0
		ao += csa
		bo += rsb
	}
	storeTile6x1(c, ldc, alpha, beta, c0, c1, c2, c3, c4, c5)
}

// storeTile6x1 sets C = alpha*acc + beta*C for the 6×1 tile (beta == 0:
// C is not read).
func storeTile6x1(c *float32, ldc int, alpha, beta float32, c0, c1, c2, c3, c4, c5 float32) {
	acc := [6]float32{c0, c1, c2, c3, c4, c5}
	for i, v := range acc {
		d := ptrAt(c, i*ldc)
		if beta == 0 {
			*d = alpha * v
		} else {
			*d = alpha*v + beta**d
		}
	}
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
