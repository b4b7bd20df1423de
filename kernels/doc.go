// Package kernels holds the engine's math: SGEMM, softmax, layer norm, GELU,
// cross-entropy, embedding gather/scatter, AdamW and small vector routines,
// all on float32 slices in row-major layout.
//
// Every kernel has a naive pure-Go twin (the *Ref functions and the generic
// implementations) that serves as the test oracle and as the fallback on
// machines without the SIMD level a fast kernel needs.
//
// Implementation levels (impl.go): "generic" (pure Go, every platform),
// "avx2" (AVX2+FMA), "avx512" (AVX-512 F/DQ/BW/VL) and "avx512bf16" (avx512
// plus AVX512_BF16 for SgemmBF16), the assembly ones generated with avo by
// the module in kernels/_asm (kernels_amd64.s). The best level the CPU
// supports is chosen at start-up (github.com/klauspost/cpuid/v2);
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
//   - Element-wise kernels built from IEEE basic operations (axpy, scale,
//     AdamW) give bitwise-identical results at every level
//     (same operations in the same order, no FMA). GELU is the exception: every
//     level evaluates the same float32 exp and erf polynomials, the vector
//     levels with FMA (avx2, avx512 and neon give the same bits), the
//     generic level without (the same bits on every architecture), so
//     generic and vector levels agree to about 1e-7 relative, not bit for
//     bit.
//     Reductions (softmax, cross-entropy, layer-norm statistics, SGEMM)
//     differ across levels only by rounding, within the bounds their tests
//     state.
package kernels
