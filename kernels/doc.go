// Package kernels holds the engine's math: SGEMM, softmax, layer norm, GELU,
// cross-entropy, embedding gather/scatter, AdamW, dropout masks
// (DropoutWords) and small vector routines, all on float32 slices in
// row-major layout.
//
// Every kernel has a naive pure-Go twin (the *Ref functions and the generic
// implementations) that serves as the test oracle and as the fallback on
// machines without the SIMD level a fast kernel needs.
//
// Implementation levels (impl.go): "generic" (pure Go, every platform),
// "avx2" (AVX2+FMA), "avx512" (AVX-512 F/DQ/BW/VL) and "avx512bf16" (avx512
// plus AVX512_BF16 for SgemmBF16), the assembly ones generated with avo by
// the module in kernels/_asm, one file per kernel family (gemm_amd64.s,
// pack_amd64.s, rows_amd64.s, vec_amd64.s, bf16_amd64.s, rand_amd64.s, each with its
// *_stubs_amd64.go declarations). The best level the CPU supports is chosen
// at start-up (github.com/klauspost/cpuid/v2);
// DISTILGO_KERNELS=avx512bf16|avx512|avx2|generic forces one, Levels, Level
// and Use list and switch them (tests run every level), and the purego build
// tag or a target other than amd64 and arm64 leaves only generic. On arm64
// the "neon" level (impl_arm64.go, hand-written Go assembly in
// gemm_neon_arm64.s and rows_neon_arm64.s, the instructions Go's assembler
// lacks WORD-encoded) comes before generic; DISTILGO_KERNELS=neon|generic
// there.
//
// SGEMM (gemm_blocked.go, gemm_parallel.go) follows GotoBLAS/BLIS: panels of
// A and B packed by assembly packers, blocked for L1/L2, and a register-tiled
// micro-kernel (6×16 on AVX2, 12×32 on AVX-512, 8×12 on NEON, 6×1 in Go
// for generic: sgemm_generic.go); large products are split
// over threads by rows of C, batched products (attention heads) by product.
//
// SgemmBF16 (bf16.go, gemm_bf16.go) is the mixed-precision product: float32
// operands rounded to bf16 (nearest even) while they are packed into panels
// of bf16 pairs, VDPBF16PS products accumulated in float32, a 12×32
// micro-kernel. Below the avx512bf16 level it rounds copies of the operands
// and runs the float32 SGEMM: the same rounding, so the same results up to
// summation order on every machine.
//
// Conventions:
//   - Shapes and slice lengths are validated in Go before any work runs; a
//     mismatch is a programmer error and panics with a one-line message that
//     names the kernel and the sizes (see errors.go).
//   - Backward kernels accumulate (+=) into their gradient outputs, so that a
//     tensor used twice receives the sum of both gradients.
//   - Work is split over the engine's persistent worker pool (pool.go); small
//     calls stay on the calling goroutine. Kernels do not allocate in steady
//     state, and ParallelFor may be nested.
//   - Agreement across levels, kernel by kernel (a vector level runs the
//     multiple-of-lanes part of each row in assembly and the tail with the
//     generic code):
//     Axpy, Scale, Add, Mul, MulAcc and AdamW are bitwise identical at
//     every level, NEON included: the same IEEE operations in the same
//     order, no FMA (tested bit for bit: TestElementwise,
//     TestAdamWLevels). SumSquares and Dot are one pure-Go loop at every
//     level, with exact float64 products.
//     DropoutWords is bitwise identical at every level (integer
//     SplitMix64 arithmetic: 8 words per vector with VPMULLQ at avx512
//     and avx512bf16, 4 with VPMULUDQ-built 64-bit products at avx2; the
//     Go loop at generic and NEON; TestDropoutWordsLevels).
//     GELU and its backward are not: every level evaluates the same float32
//     erf fit and Cephes-style exp polynomial, the vector levels with FMA
//     (AVX2, AVX-512 and NEON give the same bits: digests in
//     testdata/vector_math.sha256), the generic level without (the same
//     bits on every architecture: testdata/generic_math.sha256), so generic
//     and vector levels agree to about 1e-7 relative (and at a vector level
//     an element's bits depend on whether it falls in the generic tail).
//     Softmax and cross-entropy are not either: every level's softmax uses
//     the float32 exp polynomial (within 2 ULP, TestExpAccuracy); generic
//     sums in order, the vector levels (NEON included) in float32 lanes;
//     generic cross-entropy still uses float64 exp and float64 sums, the
//     vector levels the polynomial and float32 lane sums; softmax's
//     backward sums its row dot product in lanes. They agree within the
//     bounds their tests state.
//     Layer norm: the element-wise parts (apply, dx, dw and db) are the
//     generic float32 operations without FMA, but at AVX2/AVX-512 the row
//     statistics and backward sums are float64 sums in another order
//     (lanes), so outputs can differ by the rounding of those statistics.
//     SGEMM and SgemmBF16 differ by summation order and blocking (the
//     vector micro-kernels use FMA): bounds in their tests.
package kernels
