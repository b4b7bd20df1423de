//go:build !purego

package kernels

// gemmNEON8x12 is the NEON level's packed micro-kernel (gemmPackedFunc, 8×12
// tile, gemm_neon_arm64.s).
//
//go:noescape
func gemmNEON8x12(k int, a, b, c *float32, ldc int, alpha, beta float32)

// fmaPeakNEON runs n iterations of 24 independent 4-lane FMLAs.
//
//go:noescape
func fmaPeakNEON(n int)

// The element-wise row primitives (rows_neon_arm64.s), under the simdOps
// contract with 4 lanes.

//go:noescape
func axpyNEON(y, x *float32, n int, alpha float32)

//go:noescape
func scaleNEON(x *float32, n int, s float32)

//go:noescape
func addNEON(dst, a, b *float32, n int)

//go:noescape
func mulNEON(dst, a, b *float32, n int)

//go:noescape
func mulAccNEON(dst, a, b *float32, n int)

//go:noescape
func adamWNEON(param, grad, m1, m2 *float32, n int, c *[8]float32)

//go:noescape
func lnApplyNEON(y, x, w, b *float32, n int, mean, rstd float32)

//go:noescape
func dotNEON(x, y *float32, n int) float32
