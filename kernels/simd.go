package kernels

import "math"

// simdOps is one level's set of vector primitives, written in assembly
// (the generated *_amd64.s files). Each processes n elements with n a multiple of lanes;
// the Go wrappers below handle the remaining tail elements in Go.
type simdOps struct {
	lanes          int
	exp            func(dst, src *float32, n int)
	smScaleMax     func(y, x *float32, n int, scale float32) float32
	smScaleMaskMax func(y, x, mask *float32, n int, scale float32) float32
	smExpSum       func(y *float32, n int, mx float32) float32
	dot            func(x, y *float32, n int) float32
	dot4           func(x0, x1, x2, x3, y *float32, n int, out *[4]float32) // nil: use dot
	smBackward     func(d, y, dy *float32, n int, scale, dot float32)
	smBackwardMask func(d, y, dy, mask *float32, n int, scale, dot float32)
	scale          func(x *float32, n int, s float32)
	max            func(x *float32, n int) float32
	expSum         func(x *float32, n int, mx float32) float32
	expScale       func(d, x *float32, n int, mx, s float32)
	gelu           func(y, x *float32, n int)
	geluBackward   func(dx, x, dy *float32, n int)
	adamW          func(p, g, m, v *float32, n int, c *[8]float32)
	axpy           func(y, x *float32, n int, alpha float32)
	add            func(dst, a, b *float32, n int)
	mul            func(dst, a, b *float32, n int)
	mulAcc         func(dst, a, b *float32, n int)
	sumF64         func(x *float32, n int) float64
	sumSqDevF64    func(x *float32, n int, mean float64) float64
	lnApply        func(y, x, w, b *float32, n int, mean, rstd float32)
	lnBackwardSums func(dy, w, x *float32, n int, mean, rstd float32) (sumG, sumGX float64)
	lnBackwardDx   func(dx, dy, w, x *float32, n int, mean, rstd, mG, mGX float32)
	lnBackwardPar  func(dw, db, dy, x *float32, n int, mean, rstd float32)
	dropout        func(m *float32, n int, z0 uint64, thr uint32, keep float32) // nil: DropoutWords in Go; z0 is the first word's mix input
}

// simd is the current level's primitives, nil at the generic level.
var simd *simdOps

// vlen is the part of n that the vector primitives take (0 without them).
func vlen(n int) int {
	if simd == nil {
		return 0
	}
	return n &^ (simd.lanes - 1)
}

// useSIMDSlots installs the vector implementations of the row and
// element-wise kernels.
func useSIMDSlots(o *simdOps) {
	simd = o
	softmaxRowsImpl = softmaxRowsSIMD
	softmaxRowsBackwardImpl = softmaxRowsBackwardSIMD
	geluImpl = geluSIMD
	geluBackwardImpl = geluBackwardSIMD
	crossEntropyImpl = crossEntropySIMD
	adamWImpl = adamWSIMD
	layerNormImpl = layerNormSIMD
	layerNormBackwardImpl = layerNormBackwardSIMD
}

// The element-wise rows below dispatch to the vector primitive when one is
// installed and finish the tail with the generic code; both perform the same
// IEEE operations in the same order, so results are identical at every level.

func axpyRow(alpha float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	if nv := vlen(n); nv > 0 {
		simd.axpy(&y[0], &x[0], nv, alpha)
		x, y = x[nv:], y[nv:]
	}
	axpyGeneric(alpha, x, y)
}

func scaleRow(alpha float32, x []float32) {
	if nv := vlen(len(x)); nv > 0 {
		simd.scale(&x[0], nv, alpha)
		x = x[nv:]
	}
	for i := range x {
		x[i] *= alpha
	}
}

func addRow(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	if nv := vlen(n); nv > 0 {
		simd.add(&dst[0], &a[0], &b[0], nv)
		dst, a, b = dst[nv:], a[nv:], b[nv:]
	}
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func mulRow(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	if nv := vlen(n); nv > 0 {
		simd.mul(&dst[0], &a[0], &b[0], nv)
		dst, a, b = dst[nv:], a[nv:], b[nv:]
	}
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func mulAccRow(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	if nv := vlen(n); nv > 0 {
		simd.mulAcc(&dst[0], &a[0], &b[0], nv)
		dst, a, b = dst[nv:], a[nv:], b[nv:]
	}
	for i := range dst {
		dst[i] += float32(a[i] * b[i])
	}
}

// expf is the scalar exp used for tails: float64 exp rounded to float32.
func expf(x float32) float32 { return float32(math.Exp(float64(x))) }
