package kernels

import (
	"math"
	"sync"
)

// bf16 ("brain float") keeps float32's sign and 8-bit exponent and the top
// 7 of its 23 mantissa bits: the same range, 8 significant bits. The bf16
// products here take float32 operands, round them to bf16 (nearest, ties to
// even) while packing, multiply in bf16 and accumulate in float32, as
// PyTorch's autocast does for matmuls on CPU.
//
// Conversion follows VCVTNE2PS2BF16 exactly, so that the hardware level and
// the pure-Go emulation round every operand to the same bits: round to
// nearest even; NaN stays NaN (made quiet); ±Inf stays ±Inf; a finite value
// that rounds past the largest bf16 becomes ±Inf; denormal inputs count as
// zero (the instruction treats them as zero and flushes denormal results,
// DAZ/FTZ). PyTorch's scalar conversion keeps denormals instead: the two
// differ only for |x| < 2^-126.

// Implementation slots of SgemmBF16 (set by Use).
var (
	sgemmBF16Impl        = sgemmBF16Emulated
	sgemmBF16BatchedImpl = sgemmBF16BatchedEmulated
)

// BF16FromFloat32 rounds x to bf16 bits (see the rules above).
func BF16FromFloat32(x float32) uint16 {
	b := math.Float32bits(x)
	switch {
	case b&0x7fffffff > 0x7f800000: // NaN: keep sign and payload top, quiet
		return uint16(b>>16) | 0x40
	case b&0x7f800000 == 0: // zero or denormal: signed zero
		return uint16(b>>16) & 0x8000
	}
	b += 0x7fff + (b>>16)&1 // round to nearest, ties to even (carries into the exponent: up to Inf)
	return uint16(b >> 16)
}

// Float32FromBF16 widens bf16 bits to float32 (exactly).
func Float32FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// RoundBF16 is x rounded to the nearest bf16 value, as a float32.
func RoundBF16(x float32) float32 { return Float32FromBF16(BF16FromFloat32(x)) }

// RoundBF16Slice sets dst[i] = RoundBF16(src[i]) (dst may be src).
func RoundBF16Slice(dst, src []float32) {
	if len(dst) != len(src) {
		panicShape("RoundBF16Slice", "len(dst)=%d != len(src)=%d", len(dst), len(src))
	}
	for i, v := range src {
		dst[i] = RoundBF16(v)
	}
}

// SgemmBF16 is Sgemm with bf16 products: C = alpha*bf16(op(A))*bf16(op(B)) +
// beta*C, each operand element rounded to bf16 (BF16FromFloat32), products
// and sums in float32. With the AVX512-BF16 level it runs VDPBF16PS on
// panels converted while packing; otherwise (BF16Hardware false) it rounds
// copies of the operands and runs the float32 Sgemm: the same numbers up to
// summation order, slower.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("SgemmBF16", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemmBF16Impl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmBF16Batched is SgemmBatched with bf16 products (see SgemmBF16).
func SgemmBF16Batched(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if batch < 0 {
		panicShape("SgemmBF16Batched", "batch=%d < 0", batch)
	}
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	last := batch - 1
	checkGemm("SgemmBF16Batched", transA, transB, m, n, k, a[min(len(a), last*strideA):], lda, b[min(len(b), last*strideB):], ldb, c[min(len(c), last*strideC):], ldc)
	sgemmBF16BatchedImpl(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
}

// BF16Hardware reports whether the current level runs SgemmBF16 on bf16
// dot-product instructions (false: the float32 emulation).
func BF16Hardware() bool { return current.bf16 != nil }

// SgemmBF16Ref is the reference of SgemmBF16: operands rounded to bf16, then
// SgemmRef's float64 accumulation. A correct SgemmBF16 differs from it only
// by float32 summation order.
func SgemmBF16Ref(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm("SgemmBF16Ref", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	ra := make([]float32, len(a))
	rb := make([]float32, len(b))
	RoundBF16Slice(ra, a)
	RoundBF16Slice(rb, b)
	SgemmRef(transA, transB, m, n, k, alpha, ra, lda, rb, ldb, beta, c, ldc)
}

// Emulation: round compact copies of the operands, then the level's
// float32 Sgemm.

var bf16ScratchFree struct {
	sync.Mutex
	bufs [][]float32
}

func getScratch(n int) []float32 {
	bf16ScratchFree.Lock()
	defer bf16ScratchFree.Unlock()
	for i, s := range bf16ScratchFree.bufs {
		if cap(s) >= n {
			last := len(bf16ScratchFree.bufs) - 1
			bf16ScratchFree.bufs[i] = bf16ScratchFree.bufs[last]
			bf16ScratchFree.bufs = bf16ScratchFree.bufs[:last]
			return s[:n]
		}
	}
	return make([]float32, n)
}

func putScratch(s []float32) {
	bf16ScratchFree.Lock()
	bf16ScratchFree.bufs = append(bf16ScratchFree.bufs, s)
	bf16ScratchFree.Unlock()
}

// roundCompact copies the rows×cols matrix at src (leading dimension ld)
// into a compact scratch buffer, rounded to bf16.
func roundCompact(src []float32, rows, cols, ld int) []float32 {
	dst := getScratch(rows * cols)
	ParallelFor(rows, max(1, 4096/max(cols, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			RoundBF16Slice(dst[r*cols:(r+1)*cols], src[r*ld:r*ld+cols])
		}
	})
	return dst
}

func sgemmBF16Emulated(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	ra := roundCompact(a, ar, ac, lda)
	rb := roundCompact(b, br, bc, ldb)
	sgemmImpl(transA, transB, m, n, k, alpha, ra, max(1, ac), rb, max(1, bc), beta, c, ldc)
	putScratch(ra)
	putScratch(rb)
}

func sgemmBF16BatchedEmulated(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	ParallelFor(batch, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			sgemmBF16Emulated(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
		}
	})
}
