package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// dot4Func emits dot4: four rows x_i dotted with one row y, loading each
// vector of y once for four FMAs (dot would load it four times: the
// small-M SGEMM path is bound by loads, not FMAs).
func dot4Func(v isa) {
	name := text(v, "dot4", "func(x0, x1, x2, x3, y *float32, n int, out *[4]float32)", "sets out[i] = sum(x_i*y) for four rows, accumulated in float32")
	xs := []reg.GPVirtual{ptr("x0"), ptr("x1"), ptr("x2"), ptr("x3")}
	y, n := ptr("y"), ptr("n")
	const unroll = 2
	acc := zeros(v, unroll*len(xs))
	elementLoop(name, v, n, append(append([]reg.GPVirtual{}, xs...), y), unroll, func(u, off int) {
		t := v.vec()
		VMOVUPS(Mem{Base: y, Disp: off}, t)
		for i, x := range xs {
			VFMADD231PS(Mem{Base: x, Disp: off}, t, acc[u*len(xs)+i])
		}
	})
	out := ptr("out")
	for i := range xs {
		VADDPS(acc[len(xs)+i], acc[i], acc[i])
		VMOVSS(hreduce(v, acc[i], VADDPS), Mem{Base: out, Disp: 4 * i})
	}
	ret(v)
}

func text(v isa, base, sig, doc string) string {
	name := base + v.name
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s %s (%s); n is a multiple of %d.", name, doc, v.name, v.lanes))
	return name
}

func ptr(name string) reg.GPVirtual { return Load(Param(name), GP64()).(reg.GPVirtual) }

func ret(v isa) {
	VZEROUPPER()
	RET()
}

func expFunc(v isa) {
	name := text(v, "exp", "func(dst, src *float32, n int)", "computes dst = exp(src), about 1 ULP, 0 below -87")
	dst, src, n := ptr("dst"), ptr("src"), ptr("n")
	elementLoop(name, v, n, []reg.GPVirtual{dst, src}, 2, func(u, off int) {
		x := v.vec()
		VMOVUPS(Mem{Base: src, Disp: off}, x)
		VMOVUPS(expVec(v, x), Mem{Base: dst, Disp: off})
	})
	ret(v)
}

func softmaxFuncs(v isa) {
	const unroll = 4
	// y = scale*x (masked), returning the max.
	for _, masked := range []bool{false, true} {
		base, sig := "smScaleMax", "func(y, x *float32, n int, scale float32) float32"
		doc := "sets y = scale*x and returns max(y)"
		if masked {
			base, sig = "smScaleMaskMax", "func(y, x, mask *float32, n int, scale float32) float32"
			doc = "sets y = scale*x + mask (MaskedOut where mask <= MaskedOut) and returns max(y)"
		}
		name := text(v, base, sig, doc)
		y, x, n := ptr("y"), ptr("x"), ptr("n")
		ptrs := []reg.GPVirtual{y, x}
		var mk reg.GPVirtual
		if masked {
			mk = ptr("mask")
			ptrs = append(ptrs, mk)
		}
		scale := v.vec()
		VBROADCASTSS(paramAddr("scale"), scale)
		var maskedOut reg.VecVirtual
		if masked {
			maskedOut = bcst(v, "maskedOut", -3.4028234663852886e38)
		}
		acc := make([]reg.VecVirtual, unroll)
		for i := range acc {
			acc[i] = bcst(v, "negInf", float32NegInf())
		}
		elementLoop(name, v, n, ptrs, unroll, func(u, off int) {
			t := v.vec()
			VMULPS(Mem{Base: x, Disp: off}, scale, t)
			if masked {
				m := v.vec()
				VMOVUPS(Mem{Base: mk, Disp: off}, m)
				VADDPS(m, t, t)
				selectInto(v, compare(v, cmpLEOQ, m, maskedOut), maskedOut, t)
			}
			VMOVUPS(t, Mem{Base: y, Disp: off})
			VMAXPS(t, acc[u], acc[u])
		})
		for i := 1; i < unroll; i++ {
			VMAXPS(acc[i], acc[0], acc[0])
		}
		Store(hreduce(v, acc[0], VMAXPS), ReturnIndex(0))
		ret(v)
	}

	// y = exp(y - mx), returning the sum.
	{
		name := text(v, "smExpSum", "func(y *float32, n int, mx float32) float32", "sets y = exp(y - mx) and returns sum(y)")
		y, n := ptr("y"), ptr("n")
		mx := v.vec()
		VBROADCASTSS(paramAddr("mx"), mx)
		acc := zeros(v, 2)
		elementLoop(name, v, n, []reg.GPVirtual{y}, 2, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: y, Disp: off}, t)
			VSUBPS(mx, t, t)
			e := expVec(v, t)
			VMOVUPS(e, Mem{Base: y, Disp: off})
			VADDPS(e, acc[u], acc[u])
		})
		VADDPS(acc[1], acc[0], acc[0])
		Store(hreduce(v, acc[0], VADDPS), ReturnIndex(0))
		ret(v)
	}

	// Backward: dsrc += scale*y*(dy - dot), skipping masked positions.
	{
		name := text(v, "dot", "func(x, y *float32, n int) float32", "returns sum(x*y) accumulated in float32")
		x, y, n := ptr("x"), ptr("y"), ptr("n")
		acc := zeros(v, unroll)
		elementLoop(name, v, n, []reg.GPVirtual{x, y}, unroll, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, t)
			VFMADD231PS(Mem{Base: y, Disp: off}, t, acc[u])
		})
		for i := 1; i < unroll; i++ {
			VADDPS(acc[i], acc[0], acc[0])
		}
		Store(hreduce(v, acc[0], VADDPS), ReturnIndex(0))
		ret(v)
	}
	for _, masked := range []bool{false, true} {
		base, sig := "smBackward", "func(d, y, dy *float32, n int, scale, dot float32)"
		if masked {
			base, sig = "smBackwardMask", "func(d, y, dy, mask *float32, n int, scale, dot float32)"
		}
		name := text(v, base, sig, "accumulates d += (scale*y)*(dy - dot), nothing where mask <= MaskedOut")
		d, y, dy, n := ptr("d"), ptr("y"), ptr("dy"), ptr("n")
		ptrs := []reg.GPVirtual{d, y, dy}
		var mk reg.GPVirtual
		var maskedOut reg.VecVirtual
		if masked {
			mk = ptr("mask")
			ptrs = append(ptrs, mk)
			maskedOut = bcst(v, "maskedOut", -3.4028234663852886e38)
		}
		scale, dot := v.vec(), v.vec()
		VBROADCASTSS(paramAddr("scale"), scale)
		VBROADCASTSS(paramAddr("dot"), dot)
		elementLoop(name, v, n, ptrs, 2, func(u, off int) {
			g := v.vec()
			VMOVUPS(Mem{Base: dy, Disp: off}, g)
			VSUBPS(dot, g, g)
			s := v.vec()
			VMULPS(Mem{Base: y, Disp: off}, scale, s)
			VMULPS(g, s, s)
			if masked {
				m := v.vec()
				VMOVUPS(Mem{Base: mk, Disp: off}, m)
				zeroWhere(v, compare(v, cmpLEOQ, m, maskedOut), s)
			}
			VADDPS(Mem{Base: d, Disp: off}, s, s)
			VMOVUPS(s, Mem{Base: d, Disp: off})
		})
		ret(v)
	}
	{
		name := text(v, "scale", "func(x *float32, n int, s float32)", "sets x *= s")
		x, n := ptr("x"), ptr("n")
		s := v.vec()
		VBROADCASTSS(paramAddr("s"), s)
		elementLoop(name, v, n, []reg.GPVirtual{x}, unroll, func(u, off int) {
			t := v.vec()
			VMULPS(Mem{Base: x, Disp: off}, s, t)
			VMOVUPS(t, Mem{Base: x, Disp: off})
		})
		ret(v)
	}
}

func crossEntropyFuncs(v isa) {
	const unroll = 4
	{
		name := text(v, "max", "func(x *float32, n int) float32", "returns max(x)")
		x, n := ptr("x"), ptr("n")
		acc := make([]reg.VecVirtual, unroll)
		for i := range acc {
			acc[i] = bcst(v, "negInf", float32NegInf())
		}
		elementLoop(name, v, n, []reg.GPVirtual{x}, unroll, func(u, off int) {
			VMAXPS(Mem{Base: x, Disp: off}, acc[u], acc[u])
		})
		for i := 1; i < unroll; i++ {
			VMAXPS(acc[i], acc[0], acc[0])
		}
		Store(hreduce(v, acc[0], VMAXPS), ReturnIndex(0))
		ret(v)
	}
	{
		name := text(v, "expSum", "func(x *float32, n int, mx float32) float32", "returns sum(exp(x - mx))")
		x, n := ptr("x"), ptr("n")
		mx := v.vec()
		VBROADCASTSS(paramAddr("mx"), mx)
		acc := zeros(v, 2)
		elementLoop(name, v, n, []reg.GPVirtual{x}, 2, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, t)
			VSUBPS(mx, t, t)
			VADDPS(expVec(v, t), acc[u], acc[u])
		})
		VADDPS(acc[1], acc[0], acc[0])
		Store(hreduce(v, acc[0], VADDPS), ReturnIndex(0))
		ret(v)
	}
	{
		name := text(v, "expScale", "func(d, x *float32, n int, mx, s float32)", "sets d = s*exp(x - mx)")
		d, x, n := ptr("d"), ptr("x"), ptr("n")
		mx, s := v.vec(), v.vec()
		VBROADCASTSS(paramAddr("mx"), mx)
		VBROADCASTSS(paramAddr("s"), s)
		elementLoop(name, v, n, []reg.GPVirtual{d, x}, 2, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, t)
			VSUBPS(mx, t, t)
			e := expVec(v, t)
			VMULPS(s, e, e)
			VMOVUPS(e, Mem{Base: d, Disp: off})
		})
		ret(v)
	}
}

func geluFuncs(v isa) {
	{
		name := text(v, "gelu", "func(y, x *float32, n int)", "sets y = x/2·(1 + erf(x/√2))")
		y, x, n := ptr("y"), ptr("x"), ptr("n")
		elementLoop(name, v, n, []reg.GPVirtual{y, x}, 1, func(u, off int) {
			xv := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, xv)
			z := v.vec()
			VMULPS(cst("invSqrt2", 0.70710678118654752), xv, z)
			e := onePlusErfVec(v, z)
			VMULPS(cst("half", 0.5), xv, xv)
			VMULPS(xv, e, e)
			VMOVUPS(e, Mem{Base: y, Disp: off})
		})
		ret(v)
	}
	{
		name := text(v, "geluBackward", "func(dx, x, dy *float32, n int)", "accumulates dx += dy·(Φ(x) + x·φ(x))")
		dx, x, dy, n := ptr("dx"), ptr("x"), ptr("dy"), ptr("n")
		elementLoop(name, v, n, []reg.GPVirtual{dx, x, dy}, 1, func(u, off int) {
			xv := v.vec()
			VMOVUPS(Mem{Base: x, Disp: off}, xv)
			z := v.vec()
			VMULPS(cst("invSqrt2", 0.70710678118654752), xv, z)
			cdf := onePlusErfVec(v, z)
			VMULPS(cst("half", 0.5), cdf, cdf)
			h := v.vec()
			VMULPS(xv, xv, h)
			VMULPS(cst("negHalf", -0.5), h, h)
			pdf := expVec(v, h)
			VMULPS(cst("invSqrt2Pi", 0.3989422804014327), pdf, pdf)
			VFMADD231PS(pdf, xv, cdf) // cdf + x·pdf
			VMULPS(Mem{Base: dy, Disp: off}, cdf, cdf)
			VADDPS(Mem{Base: dx, Disp: off}, cdf, cdf)
			VMOVUPS(cdf, Mem{Base: dx, Disp: off})
		})
		ret(v)
	}
}

// adamWFunc emits the AdamW update in exactly the operation order of
// adamWGeneric (no FMA), so both levels agree bit for bit. c points to
// decay, beta1, 1-beta1, beta2, 1-beta2, sqrt(bc2), eps, stepSize.
func adamWFunc(v isa) {
	// (Parameter names avoid g, the goroutine register in Go assembly.)
	name := text(v, "adamW", "func(param, grad, m1, m2 *float32, n int, c *[8]float32)", "applies one AdamW step")
	p, g, m, vv, n := ptr("param"), ptr("grad"), ptr("m1"), ptr("m2"), ptr("n")
	c := ptr("c")
	k := make([]reg.VecVirtual, 8)
	for i := range k {
		k[i] = v.vec()
		VBROADCASTSS(Mem{Base: c, Disp: 4 * i}, k[i])
	}
	decay, b1, ob1, b2, ob2, bc2, eps, step := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7]
	elementLoop(name, v, n, []reg.GPVirtual{p, g, m, vv}, 1, func(u, off int) {
		gi := v.vec()
		VMOVUPS(Mem{Base: g, Disp: off}, gi)
		pi := v.vec()
		VMULPS(Mem{Base: p, Disp: off}, decay, pi)
		// m = m*b1 + (1-b1)*g
		mi, t := v.vec(), v.vec()
		VMULPS(Mem{Base: m, Disp: off}, b1, mi)
		VMULPS(gi, ob1, t)
		VADDPS(t, mi, mi)
		VMOVUPS(mi, Mem{Base: m, Disp: off})
		// v = v*b2 + ((1-b2)*g)*g
		vi := v.vec()
		VMULPS(Mem{Base: vv, Disp: off}, b2, vi)
		VMULPS(gi, ob2, t)
		VMULPS(gi, t, t)
		VADDPS(t, vi, vi)
		VMOVUPS(vi, Mem{Base: vv, Disp: off})
		// p -= step * (m / (sqrt(v)/sqrt(bc2) + eps))
		VSQRTPS(vi, t)
		VDIVPS(bc2, t, t)
		VADDPS(eps, t, t)
		VDIVPS(t, mi, mi)
		VMULPS(mi, step, mi)
		VSUBPS(mi, pi, pi)
		VMOVUPS(pi, Mem{Base: p, Disp: off})
	})
	ret(v)
}

// binaryFuncs emits dst = a op b style kernels with the operation order of
// the generic ones (no FMA), so the levels agree bit for bit.
func binaryFuncs(v isa) {
	const unroll = 4
	{
		name := text(v, "axpy", "func(y, x *float32, n int, alpha float32)", "accumulates y += alpha*x")
		y, x, n := ptr("y"), ptr("x"), ptr("n")
		alpha := v.vec()
		VBROADCASTSS(paramAddr("alpha"), alpha)
		elementLoop(name, v, n, []reg.GPVirtual{y, x}, unroll, func(u, off int) {
			t := v.vec()
			VMULPS(Mem{Base: x, Disp: off}, alpha, t)
			VADDPS(Mem{Base: y, Disp: off}, t, t)
			VMOVUPS(t, Mem{Base: y, Disp: off})
		})
		ret(v)
	}
	for _, op := range []struct {
		base, doc string
		acc       bool
		ins       func(...Op)
	}{
		{"add", "sets dst = a + b", false, VADDPS},
		{"mul", "sets dst = a * b", false, VMULPS},
		{"mulAcc", "accumulates dst += a * b", true, VMULPS},
	} {
		name := text(v, op.base, "func(dst, a, b *float32, n int)", op.doc)
		dst, a, b, n := ptr("dst"), ptr("a"), ptr("b"), ptr("n")
		elementLoop(name, v, n, []reg.GPVirtual{dst, a, b}, unroll, func(u, off int) {
			t := v.vec()
			VMOVUPS(Mem{Base: a, Disp: off}, t)
			op.ins(Mem{Base: b, Disp: off}, t, t)
			if op.acc {
				VADDPS(Mem{Base: dst, Disp: off}, t, t)
			}
			VMOVUPS(t, Mem{Base: dst, Disp: off})
		})
		ret(v)
	}
}

func zeros(v isa, n int) []reg.VecVirtual {
	acc := make([]reg.VecVirtual, n)
	for i := range acc {
		acc[i] = v.vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	return acc
}

func float32NegInf() float32 {
	var zero float32
	return -1 / zero
}
