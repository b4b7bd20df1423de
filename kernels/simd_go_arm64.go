//go:build !purego

package kernels

import (
	"math"
	"unsafe"
)

// The NEON level's row primitives. The plain arithmetic ones (axpy,
// scale, add, mul, mulAcc, AdamW, the layer-norm apply, the float32 dot
// product) are NEON assembly (rows_neon_arm64.s); the others, whose vector
// forms need an exp/erf polynomial in NEON (softmax, GELU, cross-entropy)
// or float64 sums, are these Go loops under the simdOps contract. They
// perform the generic level's operations in its order (explicit float32
// conversions keep the compiler from fusing multiply-adds), so the NEON
// level matches the generic one for them.

// expFlush is exp under the vector kernels' contract: expf, and exactly 0
// below -87 (where the vector exp flushes subnormal results).
func expFlush(x float32) float32 {
	if x < -87 {
		return 0
	}
	return expf(x)
}

// f32s is the n floats at p as a slice (n > 0: the wrappers pass &s[0]).
func f32s(p *float32, n int) []float32 { return unsafe.Slice(p, n) }

var neonOps = &simdOps{
	lanes: 4,
	exp: func(dst, src *float32, n int) {
		d, s := f32s(dst, n), f32s(src, n)
		for i, v := range s {
			d[i] = expFlush(v)
		}
	},
	smScaleMax: func(y, x *float32, n int, scale float32) float32 {
		ys, xs := f32s(y, n), f32s(x, n)
		mx := float32(math.Inf(-1))
		for i, v := range xs {
			v *= scale
			ys[i] = v
			if v > mx {
				mx = v
			}
		}
		return mx
	},
	smScaleMaskMax: func(y, x, mask *float32, n int, scale float32) float32 {
		ys, xs, ms := f32s(y, n), f32s(x, n), f32s(mask, n)
		mx := float32(math.Inf(-1))
		for i, v := range xs {
			v *= scale
			if ms[i] <= MaskedOut {
				v = MaskedOut
			} else {
				v += ms[i]
			}
			ys[i] = v
			if v > mx {
				mx = v
			}
		}
		return mx
	},
	smExpSum: func(y *float32, n int, mx float32) float32 {
		ys := f32s(y, n)
		var sum float32
		for i, v := range ys {
			e := expFlush(v - mx)
			ys[i] = e
			sum += e
		}
		return sum
	},
	dot: dotNEON,
	smBackward: func(d, y, dy *float32, n int, scale, dot float32) {
		ds, ys, gs := f32s(d, n), f32s(y, n), f32s(dy, n)
		for i, v := range ys {
			ds[i] += float32(float32(scale*v) * (gs[i] - dot))
		}
	},
	smBackwardMask: func(d, y, dy, mask *float32, n int, scale, dot float32) {
		ds, ys, gs, ms := f32s(d, n), f32s(y, n), f32s(dy, n), f32s(mask, n)
		for i, v := range ys {
			if ms[i] <= MaskedOut {
				continue
			}
			ds[i] += float32(float32(scale*v) * (gs[i] - dot))
		}
	},
	scale: scaleNEON,
	max: func(x *float32, n int) float32 {
		mx := float32(math.Inf(-1))
		for _, v := range f32s(x, n) {
			if v > mx {
				mx = v
			}
		}
		return mx
	},
	expSum: func(x *float32, n int, mx float32) float32 {
		var s float32
		for _, v := range f32s(x, n) {
			s += expFlush(v - mx)
		}
		return s
	},
	expScale: func(d, x *float32, n int, mx, s float32) {
		ds := f32s(d, n)
		for i, v := range f32s(x, n) {
			ds[i] = s * expFlush(v-mx)
		}
	},
	gelu: func(y, x *float32, n int) {
		ys := f32s(y, n)
		for i, v := range f32s(x, n) {
			ys[i] = geluRef(v)
		}
	},
	geluBackward: func(dx, x, dy *float32, n int) {
		ds, gs := f32s(dx, n), f32s(dy, n)
		for i, v := range f32s(x, n) {
			ds[i] += geluBackwardRef(v, gs[i])
		}
	},
	adamW:  adamWNEON,
	axpy:   axpyNEON,
	add:    addNEON,
	mul:    mulNEON,
	mulAcc: mulAccNEON,
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
