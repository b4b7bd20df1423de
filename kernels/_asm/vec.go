package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Element-wise and row kernels. Every function processes n elements with n a
// multiple of the vector width (Go handles the tails), so AVX2 and AVX-512
// variants share one generator: only the vector registers, the horizontal
// reductions and the compare/select instructions differ.

// consts holds 64-byte tables of one replicated float32 or uint32, usable as
// a full-width memory operand by both ymm (first 32 bytes) and zmm code.
var consts = map[string]Mem{}

func cst(name string, val float32) Mem { return cstBits(name, math.Float32bits(val)) }

func cstBits(name string, bits uint32) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL("c_"+name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(bits))
	}
	consts[name] = m
	return m
}

// bcst loads a float32 constant into every lane of a new register.
func bcst(v isa, name string, val float32) reg.VecVirtual {
	r := v.vec()
	VBROADCASTSS(cst(name, val), r)
	return r
}

// elementLoop emits a loop over n elements, unroll vectors per step and then
// one vector per step; body(u, off) emits the work of vector u at byte
// offset off from the pointers, which the loop advances.
func elementLoop(name string, v isa, n reg.GPVirtual, ptrs []reg.GPVirtual, unroll int, body func(u, off int)) {
	Label(name + "_block")
	CMPQ(n, U32(unroll*v.lanes))
	JL(LabelRef(name + "_single"))
	for u := 0; u < unroll; u++ {
		body(u, u*v.bytes())
	}
	for _, p := range ptrs {
		ADDQ(U32(unroll*v.bytes()), p)
	}
	SUBQ(U32(unroll*v.lanes), n)
	JMP(LabelRef(name + "_block"))
	Label(name + "_single")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	body(0, 0)
	for _, p := range ptrs {
		ADDQ(U32(v.bytes()), p)
	}
	SUBQ(U32(v.lanes), n)
	JMP(LabelRef(name + "_single"))
	Label(name + "_done")
}

// hreduce folds the lanes of x with op (VADDPS or VMAXPS) and returns an xmm
// register holding the result in lane 0.
func hreduce(v isa, x reg.VecVirtual, op func(...Op)) reg.Register {
	var y reg.Register = x
	if v.lanes == 16 {
		hi := YMM()
		VEXTRACTF32X8(U8(1), x, hi)
		lo := YMM()
		op(hi, x.AsY(), lo)
		y = lo
	}
	hi := XMM()
	if v.lanes == 16 {
		VEXTRACTF32X4(U8(1), y, hi) // EVEX: y may be Y16-Y31
	} else {
		VEXTRACTF128(U8(1), y, hi)
	}
	lo := XMM()
	op(hi, y.(reg.Vec).AsX(), lo)
	t := XMM()
	VMOVHLPS(lo, lo, t)
	op(t, lo, lo)
	VMOVSHDUP(lo, t)
	op(t, lo, lo)
	return lo
}

// mask is the result of a lane-wise compare: a vector on AVX2, a k register
// on AVX-512.
type mask struct {
	vec reg.VecVirtual
	k   reg.OpmaskVirtual
}

// Compare predicates (the VCMPPS immediate).
const (
	cmpLTOQ  = 0x11 // a < b, false on NaN
	cmpLEOQ  = 0x12 // a <= b, false on NaN
	cmpNLTUQ = 0x15 // !(a < b), true on NaN
)

// compare returns the lanes where pred(a, b) holds; b may be memory.
func compare(v isa, pred uint8, a reg.VecVirtual, b Op) mask {
	if v.lanes == 16 {
		k := K()
		VCMPPS(U8(pred), b, a, k)
		return mask{k: k}
	}
	m := YMM()
	VCMPPS(U8(pred), b, a, m)
	return mask{vec: m}
}

// selectInto sets x = val in the lanes of m.
func selectInto(v isa, m mask, val, x reg.VecVirtual) {
	if v.lanes == 16 {
		VMOVAPS(val, m.k, x) // merge-masked move
		return
	}
	VBLENDVPS(m.vec, val, x, x)
}

// zeroWhere sets x = 0 in the lanes of m.
func zeroWhere(v isa, m mask, x reg.VecVirtual) {
	if v.lanes == 16 {
		k := K()
		KNOTW(m.k, k)
		VMOVAPS_Z(x, k, x)
		return
	}
	VANDNPS(x, m.vec, x)
}

// expVec returns exp(x) in a new register, for x <= 88 (larger values give
// exp(88)): the Cephes expf scheme, n = round(x/ln2) by the 1.5·2^23 trick,
// r = x - n·ln2 in two parts (Cody-Waite), exp(r) by a degree-7 polynomial
// evaluated with FMA, and 2^n added to the exponent bits. Accurate to about
// 1 ULP; NaN propagates; x < -87 (results below 1.6e-38, where 2^n would
// leave the normal range) gives 0.
func expVec(v isa, x reg.VecVirtual) reg.VecVirtual {
	lo := bcst(v, "expLo", -87)
	xc := v.vec()
	VMAXPS(x, lo, xc) // NaN in x propagates (second source)
	hi := bcst(v, "expHi", 88)
	VMINPS(xc, hi, xc)
	t := v.vec()
	VMOVUPS(cst("log2e", math.Log2E), t)
	VFMADD213PS(cst("magic", 1.5*(1<<23)), xc, t) // t = x*log2e + magic: n in the low mantissa bits
	n := v.vec()
	VSUBPS(cst("magic", 1.5*(1<<23)), t, n)
	r := v.vec()
	VMOVAPS(xc, r)
	VFMADD231PS(cst("negLn2Hi", -0.693359375), n, r)
	VFMADD231PS(cst("negLn2Lo", 2.12194440e-4), n, r)
	p := v.vec()
	VMOVUPS(cst("expP0", 1.9875691500e-4), p)
	for i, c := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		VFMADD213PS(cst(fmt.Sprintf("expP%d", i+1), c), r, p)
	}
	z := v.vec()
	VMULPS(r, r, z)
	VFMADD213PS(r, z, p) // p = p*r² + r
	VADDPS(cst("one", 1), p, p)
	VPSLLD(U8(23), t, t) // n << 23 (the magic's own bits shift out)
	VPADDD(t, p, p)
	zeroWhere(v, compare(v, cmpLTOQ, x, cst("expLo", -87)), p)
	return p
}

// erf coefficients, fitted in float64 by erf_fit.py and rounded to float32:
// erf(a) = a·P(a²) for a < erfSplit (minimax, |error| 4.6e-8), and
// erfc(a) = exp(Q(a)) for erfSplit <= a <= 4 (least squares, relative error
// 8.2e-8).
const erfSplit = 0.921875

var (
	erfSmall = []float32{1.12837911, -0.376123071, 0.112806171, -0.0267348774, 0.00495628966, -0.000583453279}
	erfLarge = []float32{0.000302538043, -1.13016391, -0.631941676, -0.109974019, 0.0263623651, -0.00473941211, 0.000592600438, -4.55710287e-05, 1.61309379e-06}
)

// horner evaluates sum c[i]·x^i with FMA; coefficient tables are named
// prefix0, prefix1, ...
func horner(v isa, prefix string, c []float32, x reg.VecVirtual) reg.VecVirtual {
	p := v.vec()
	last := len(c) - 1
	VMOVUPS(cst(fmt.Sprintf("%s%d", prefix, last), c[last]), p)
	for i := last - 1; i >= 0; i-- {
		VFMADD213PS(cst(fmt.Sprintf("%s%d", prefix, i), c[i]), x, p)
	}
	return p
}

// onePlusErfVec returns 1 + erf(z) without cancellation for negative z: for
// |z| >= erfSplit it is erfc(|z|) = exp(Q(|z|)) directly (0 beyond |z| = 4,
// where it is below 1.6e-8), else 1 ± |z|·P(z²).
func onePlusErfVec(v isa, z reg.VecVirtual) reg.VecVirtual {
	a := v.vec()
	VANDPS(cstBits("absMask", 0x7fffffff), z, a)
	s := v.vec()
	VMULPS(a, a, s)
	rs := horner(v, "erfS", erfSmall, s)
	VFMADD213PS(cst("one", 1), z, rs) // 1 + z·P(z²) = 1 + erf(z), small branch, one rounding
	four := bcst(v, "four", 4)
	t := v.vec()
	VMINPS(a, four, t) // NaN in a propagates (second source)
	q := horner(v, "erfL", erfLarge, t)
	eq := expVec(v, q) // erfc(min(|z|, 4))
	// z >= 0: 2 - erfc; z < 0: erfc, or 0 beyond 4.
	pos := v.vec()
	VMOVUPS(cst("two", 2), pos)
	VSUBPS(eq, pos, pos)
	zeroWhere(v, compare(v, cmpNLTUQ, a, cst("four", 4)), eq) // NaN: pos below carries it
	neg := compare(v, cmpLTOQ, z, cst("zero", 0))
	selectInto(v, neg, eq, pos) // large branch, by sign
	small := compare(v, cmpLTOQ, a, cst("erfSplit", erfSplit))
	selectInto(v, small, rs, pos)
	return pos
}
