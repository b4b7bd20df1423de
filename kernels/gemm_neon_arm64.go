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
