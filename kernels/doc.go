// Package kernels holds the engine's math: SGEMM, softmax, layer norm, GELU,
// cross-entropy, embedding gather/scatter, AdamW and small vector routines,
// all on float32 slices in row-major layout.
//
// Every kernel has a naive pure-Go twin (the *Ref functions and the generic
// implementations) that serves as the test oracle and as the fallback on
// machines without the SIMD level a fast kernel needs.
//
// Implementation levels (impl.go): "generic" (pure Go, every platform),
// "avx2" (AVX2+FMA) and "avx512" (AVX-512 F/DQ/BW/VL), the last two written
// in assembly generated with avo by the module in kernels/_asm
// (kernels_amd64.s). The best level the CPU supports is chosen at start-up
// (github.com/klauspost/cpuid/v2); DISTILGO_KERNELS=avx512|avx2|generic
// forces one, Levels, Level and Use list and switch them (tests run every
// level), and the purego build tag or a target other than amd64 and arm64
// leaves only generic. On arm64 the "neon" level (impl_arm64.go,
// hand-written Go assembly in gemm_neon_arm64.s and rows_neon_arm64.s, the
// instructions Go's assembler lacks WORD-encoded) comes before generic;
// DISTILGO_KERNELS=neon|generic there.
//
// SGEMM (gemm_blocked.go, gemm_parallel.go) follows GotoBLAS/BLIS: panels of
// A and B packed by assembly packers, blocked for L1/L2, and a register-tiled
// micro-kernel (6×16 on AVX2, 12×32 on AVX-512, 8×12 on NEON, 6×1 in Go
// for generic: sgemm_generic.go); large products are split
// over threads by rows of C, batched products (attention heads) by product.
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
//   - Element-wise kernels give bitwise-identical results at every level
//     (same IEEE operations in the same order, no FMA); reductions (softmax,
//     cross-entropy, layer-norm statistics, SGEMM) differ across levels only
//     by rounding, within the bounds their tests state.
package kernels
