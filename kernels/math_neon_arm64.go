//go:build !purego

package kernels

// The NEON level's exp-based row primitives (math_neon_arm64.s), under the
// simdOps contract with 4 lanes. exp and erf are the AVX levels' float32
// approximations (kernels/_asm/vec.go), so their error bounds are the same.

//go:noescape
func expNEON(dst, src *float32, n int)

//go:noescape
func smScaleMaxNEON(y, x *float32, n int, scale float32) float32

//go:noescape
func smScaleMaskMaxNEON(y, x, mask *float32, n int, scale float32) float32

//go:noescape
func smExpSumNEON(y *float32, n int, mx float32) float32

//go:noescape
func smBackwardNEON(d, y, dy *float32, n int, scale, dot float32)

//go:noescape
func smBackwardMaskNEON(d, y, dy, mask *float32, n int, scale, dot float32)

//go:noescape
func maxNEON(x *float32, n int) float32

//go:noescape
func expSumNEON(x *float32, n int, mx float32) float32

//go:noescape
func expScaleNEON(d, x *float32, n int, mx, s float32)

//go:noescape
func geluNEON(y, x *float32, n int)

//go:noescape
func geluBackwardNEON(dx, x, dy *float32, n int)
