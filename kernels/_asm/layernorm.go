package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Layer-norm row kernels (parameters avoid the name g, the goroutine
// register in Go assembly). Statistics are accumulated in float64 lanes (as
// the generic code does sequentially); the element-wise parts perform the
// generic code's float32 operations in its order, without FMA.

// toF64 converts the float32 half-vector at m (lanes/2 values) to float64
// lanes in a register of the same width.
func toF64(v isa, m Mem) reg.VecVirtual {
	d := v.vec()
	VCVTPS2PD(m, d)
	return d
}

// hsumF64 folds float64 lanes and returns an xmm holding the sum in lane 0.
func hsumF64(v isa, x reg.VecVirtual) reg.Register {
	var y reg.Register = x
	if v.lanes == 16 {
		hi := YMM()
		VEXTRACTF64X4(U8(1), x, hi)
		lo := YMM()
		VADDPD(hi, x.AsY(), lo)
		y = lo
	}
	hi := XMM()
	if v.lanes == 16 {
		VEXTRACTF64X2(U8(1), y, hi)
	} else {
		VEXTRACTF128(U8(1), y, hi)
	}
	lo := XMM()
	VADDPD(hi, y.(reg.Vec).AsX(), lo)
	t := XMM()
	VUNPCKHPD(lo, lo, t)
	VADDSD(t, lo, lo)
	return lo
}

func layerNormFuncs(v isa) {
	half := v.bytes() / 2
	{
		name := text(v, "sumF64", "func(x *float32, n int) float64", "returns the float64 sum of x")
		x, n := ptr("x"), ptr("n")
		acc := zeros(v, 4)
		elementLoop(name, v, n, []reg.GPVirtual{x}, 2, func(u, off int) {
			VADDPD(toF64(v, Mem{Base: x, Disp: off}), acc[2*u], acc[2*u])
			VADDPD(toF64(v, Mem{Base: x, Disp: off + half}), acc[2*u+1], acc[2*u+1])
		})
		VADDPD(acc[1], acc[0], acc[0])
		VADDPD(acc[3], acc[2], acc[2])
		VADDPD(acc[2], acc[0], acc[0])
		Store(hsumF64(v, acc[0]), ReturnIndex(0))
		ret(v)
	}
	{
		name := text(v, "sumSqDevF64", "func(x *float32, n int, mean float64) float64", "returns the float64 sum of (x - mean)²")
		x, n := ptr("x"), ptr("n")
		mean := v.vec()
		VBROADCASTSD(paramAddr("mean"), mean)
		acc := zeros(v, 4)
		elementLoop(name, v, n, []reg.GPVirtual{x}, 2, func(u, off int) {
			for h := 0; h < 2; h++ {
				d := toF64(v, Mem{Base: x, Disp: off + h*half})
				VSUBPD(mean, d, d)
				VFMADD231PD(d, d, acc[2*u+h])
			}
		})
		VADDPD(acc[1], acc[0], acc[0])
		VADDPD(acc[3], acc[2], acc[2])
		VADDPD(acc[2], acc[0], acc[0])
		Store(hsumF64(v, acc[0]), ReturnIndex(0))
		ret(v)
	}
	{
		name := text(v, "lnApply", "func(y, x, w, b *float32, n int, mean, rstd float32)", "sets y = ((x - mean)·rstd)·w + b")
		y, x, w, b, n := ptr("y"), ptr("x"), ptr("w"), ptr("b"), ptr("n")
		mean, rstd := v.vec(), v.vec()
		VBROADCASTSS(paramAddr("mean"), mean)
		VBROADCASTSS(paramAddr("rstd"), rstd)
		elementLoop(name, v, n, []reg.GPVirtual{y, x, w, b}, 2, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, t)
			VSUBPS(mean, t, t)
			VMULPS(rstd, t, t)
			VMULPS(Mem{Base: w, Disp: off}, t, t)
			VADDPS(Mem{Base: b, Disp: off}, t, t)
			VMOVUPS(t, Mem{Base: y, Disp: off})
		})
		ret(v)
	}
	{
		name := text(v, "lnBackwardSums", "func(dy, w, x *float32, n int, mean, rstd float32) (sumG, sumGX float64)",
			"returns the float64 sums of dy·w and (dy·w)·((x - mean)·rstd), products rounded to float32 first")
		g, w, x, n := ptr("dy"), ptr("w"), ptr("x"), ptr("n")
		mean, rstd := v.vec(), v.vec()
		VBROADCASTSS(paramAddr("mean"), mean)
		VBROADCASTSS(paramAddr("rstd"), rstd)
		sg, sgx := zeros(v, 2), zeros(v, 2)
		elementLoop(name, v, n, []reg.GPVirtual{g, w, x}, 1, func(u, off int) {
			gw := v.vec()
			VMOVUPS(Mem{Base: g, Disp: off}, gw)
			VMULPS(Mem{Base: w, Disp: off}, gw, gw)
			xh := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, xh)
			VSUBPS(mean, xh, xh)
			VMULPS(rstd, xh, xh)
			for h := 0; h < 2; h++ {
				gt, xt := halfLow(v, gw), halfLow(v, xh)
				if h == 1 {
					gt, xt = halfHigh(v, gw), halfHigh(v, xh)
				}
				gh, xhh := v.vec(), v.vec()
				VCVTPS2PD(gt, gh)
				VCVTPS2PD(xt, xhh)
				VADDPD(gh, sg[h], sg[h])
				VFMADD231PD(xhh, gh, sgx[h])
			}
		})
		VADDPD(sg[1], sg[0], sg[0])
		VADDPD(sgx[1], sgx[0], sgx[0])
		Store(hsumF64(v, sg[0]), ReturnIndex(0))
		Store(hsumF64(v, sgx[0]), ReturnIndex(1))
		ret(v)
	}
	{
		name := text(v, "lnBackwardDx", "func(dx, dy, w, x *float32, n int, mean, rstd, mG, mGX float32)",
			"accumulates dx += rstd·((dy·w - mG) - ((x - mean)·rstd)·mGX)")
		dx, g, w, x, n := ptr("dx"), ptr("dy"), ptr("w"), ptr("x"), ptr("n")
		mean, rstd, mG, mGX := v.vec(), v.vec(), v.vec(), v.vec()
		VBROADCASTSS(paramAddr("mean"), mean)
		VBROADCASTSS(paramAddr("rstd"), rstd)
		VBROADCASTSS(paramAddr("mG"), mG)
		VBROADCASTSS(paramAddr("mGX"), mGX)
		elementLoop(name, v, n, []reg.GPVirtual{dx, g, w, x}, 2, func(u, off int) {
			xh := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, xh)
			VSUBPS(mean, xh, xh)
			VMULPS(rstd, xh, xh)
			VMULPS(mGX, xh, xh)
			t := v.vec()
			VMOVUPS(Mem{Base: g, Disp: off}, t)
			VMULPS(Mem{Base: w, Disp: off}, t, t)
			VSUBPS(mG, t, t)
			VSUBPS(xh, t, t)
			VMULPS(rstd, t, t)
			VADDPS(Mem{Base: dx, Disp: off}, t, t)
			VMOVUPS(t, Mem{Base: dx, Disp: off})
		})
		ret(v)
	}
	{
		name := text(v, "lnBackwardParams", "func(dw, db, dy, x *float32, n int, mean, rstd float32)",
			"accumulates dw += (dy·(x - mean))·rstd and db += dy")
		dw, db, g, x, n := ptr("dw"), ptr("db"), ptr("dy"), ptr("x"), ptr("n")
		mean, rstd := v.vec(), v.vec()
		VBROADCASTSS(paramAddr("mean"), mean)
		VBROADCASTSS(paramAddr("rstd"), rstd)
		elementLoop(name, v, n, []reg.GPVirtual{dw, db, g, x}, 2, func(u, off int) {
			gv := v.vec()
			VMOVUPS(Mem{Base: g, Disp: off}, gv)
			t := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, t)
			VSUBPS(mean, t, t)
			VMULPS(gv, t, t)
			VMULPS(rstd, t, t)
			VADDPS(Mem{Base: dw, Disp: off}, t, t)
			VMOVUPS(t, Mem{Base: dw, Disp: off})
			VADDPS(Mem{Base: db, Disp: off}, gv, gv)
			VMOVUPS(gv, Mem{Base: db, Disp: off})
		})
		ret(v)
	}
}

// halfLow returns the lower half of a float32 vector as a register of half
// the width.
func halfLow(v isa, x reg.VecVirtual) reg.Register {
	if v.lanes == 16 {
		return x.AsY()
	}
	return x.AsX()
}

// halfHigh returns the upper half of a float32 vector as a register of half
// the width (xmm for ymm, ymm for zmm).
func halfHigh(v isa, x reg.VecVirtual) reg.Register {
	if v.lanes == 16 {
		h := YMM()
		VEXTRACTF32X8(U8(1), x, h)
		return h
	}
	h := XMM()
	VEXTRACTF128(U8(1), x, h)
	return h
}
