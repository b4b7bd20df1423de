// Package kernels holds the engine's math: SGEMM, softmax, layer norm, GELU,
// cross-entropy, embedding gather/scatter, AdamW and small vector routines,
// all on float32 slices in row-major layout.
//
// Every kernel has a naive pure-Go twin (the *Ref functions and the generic
// implementations) that serves as the test oracle and as the fallback on
// machines without the SIMD level a fast kernel needs.
//
// Conventions:
//   - Shapes and slice lengths are validated in Go before any work runs; a
//     mismatch is a programmer error and panics with a one-line message that
//     names the kernel and the sizes (see errors.go).
//   - Backward kernels accumulate (+=) into their gradient outputs, so that a
//     tensor used twice receives the sum of both gradients.
//   - Work is split over the engine's persistent worker pool (pool.go); small
//     calls stay on the calling goroutine.
package kernels
