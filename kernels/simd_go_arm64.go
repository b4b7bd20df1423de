//go:build !purego

package kernels

import "unsafe"

// The NEON level's row primitives. The element-wise ones (axpy, scale,
// add, mul, mulAcc, AdamW, the layer-norm apply, the float32 dot product)
// are NEON assembly in rows_neon_arm64.s, the exp-based ones (softmax,
// cross-entropy's softmax, GELU and its backward) in math_neon_arm64.s;
// the layer norm's float64 sums and its backward are these Go loops under
// the simdOps contract. They perform the generic level's operations in its
// order (explicit float32 conversions keep the compiler from fusing
// multiply-adds), so the NEON level matches the generic one for them.

// f32s is the n floats at p as a slice (n > 0: the wrappers pass &s[0]).
func f32s(p *float32, n int) []float32 { return unsafe.Slice(p, n) }

var neonOps = &simdOps{
	lanes:          4,
	exp:            expNEON,
	smScaleMax:     smScaleMaxNEON,
	smScaleMaskMax: smScaleMaskMaxNEON,
	smExpSum:       smExpSumNEON,
	dot:            dotNEON,
	smBackward:     smBackwardNEON,
	smBackwardMask: smBackwardMaskNEON,
	scale:          scaleNEON,
	max:            maxNEON,
	expSum:         expSumNEON,
	expScale:       expScaleNEON,
	gelu:           geluNEON,
	geluBackward:   geluBackwardNEON,
	adamW:          adamWNEON,
	axpy:           axpyNEON,
	add:            addNEON,
	mul:            mulNEON,
	mulAcc:         mulAccNEON,
	sumF64: func(x *float32, n int) float64 {
		var s float64
		for _, v := range f32s(x, n) {
			s += float64(v)
		}
		return s
	},
	sumSqDevF64: func(x *float32, n int, mean float64) float64 {
		var ss float64
		for _, v := range f32s(x, n) {
			d := float64(v) - mean
			ss += d * d
		}
		return ss
	},
	lnApply: lnApplyNEON,
	lnBackwardSums: func(dy, w, x *float32, n int, mean, rstd float32) (sumG, sumGX float64) {
		gs, ws, xs := f32s(dy, n), f32s(w, n), f32s(x, n)
		for j, v := range xs {
			g := float64(float32(gs[j] * ws[j]))
			sumG += g
			sumGX += g * float64(float32((v-mean)*rstd))
		}
		return sumG, sumGX
	},
	lnBackwardDx: func(dx, dy, w, x *float32, n int, mean, rstd, mG, mGX float32) {
		ds, gs, ws, xs := f32s(dx, n), f32s(dy, n), f32s(w, n), f32s(x, n)
		for j, v := range xs {
			xh := float32((v - mean) * rstd)
			ds[j] += float32(rstd * (float32(gs[j]*ws[j]) - mG - float32(xh*mGX)))
		}
	},
	lnBackwardPar: func(dw, db, dy, x *float32, n int, mean, rstd float32) {
		dws, dbs, gs, xs := f32s(dw, n), f32s(db, n), f32s(dy, n), f32s(x, n)
		for j, v := range xs {
			dws[j] += float32(float32(gs[j]*(v-mean)) * rstd)
			dbs[j] += gs[j]
		}
	},
}
