package kernels

import "math"

// Float32 exp and erf by polynomials: the scalar Go form of the vector
// levels' approximations (kernels/_asm/vec.go expVec and onePlusErfVec,
// math_neon_arm64.s), with the same coefficients and range reduction. The
// generic level uses them for softmax and GELU (faster than float64
// math.Exp and math.Erf; BENCHMARKS.md, issue 21). Every product is rounded
// before its sum (explicit float32 conversions: no fused multiply-add), so
// the results are the same on every architecture; the vector levels fuse,
// so they differ from these by rounding only. Errors against float64 are
// stated and tested in polyf32_test.go.

// The exp constants: the Cephes expf scheme. x is clamped to [-87, 88],
// n = round(x/ln2) by adding and subtracting 1.5·2^23, r = x - n·ln2 in two
// parts (Cody-Waite: n·expNegLn2Hi is exact), exp(r) = 1 + r + r²·P(r).
const (
	expLo       = -87
	expHi       = 88
	expLog2e    = float32(math.Log2E)
	expMagic    = 1.5 * (1 << 23)
	expNegLn2Hi = -0.693359375
	expNegLn2Lo = 2.12194440e-4
)

// expP are the coefficients of P, highest degree first (Horner order).
var expP = [6]float32{1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1}

// The erf coefficients, fitted in float64 by kernels/_asm/erf_fit.py and
// rounded to float32, lowest degree first: erf(a) = a·S(a²) for
// a < erfSplit, erfc(a) = exp(L(a)) for erfSplit <= a <= 4.
const erfSplit = 0.921875

var (
	erfSmall = [6]float32{1.12837911, -0.376123071, 0.112806171, -0.0267348774, 0.00495628966, -0.000583453279}
	erfLarge = [9]float32{0.000302538043, -1.13016391, -0.631941676, -0.109974019, 0.0263623651, -0.00473941211, 0.000592600438, -4.55710287e-05, 1.61309379e-06}
)

// expPoly is exp(x) in float32: within 2 ULP of exp for -87 <= x <= 88,
// 0 below -87 (where the vector levels flush), exp(88) above 88, NaN for
// NaN.
func expPoly(x float32) float32 {
	if !(x >= expLo) {
		if x != x {
			return x
		}
		return 0
	}
	x = min(x, expHi)
	t := float32(x*expLog2e) + expMagic // n in the low mantissa bits of t
	n := t - expMagic
	r := x + float32(n*expNegLn2Hi)
	r += float32(n * expNegLn2Lo)
	p := float32(expP[0]*r) + expP[1] // Horner, unrolled
	p = float32(p*r) + expP[2]
	p = float32(p*r) + expP[3]
	p = float32(p*r) + expP[4]
	p = float32(p*r) + expP[5]
	p = float32(p*float32(r*r)) + r
	p++
	// p·2^n: add n to the exponent (t's bits shifted by 23 leave n's low
	// bits, the magic's shift out).
	return math.Float32frombits(math.Float32bits(p) + math.Float32bits(t)<<23)
}

// onePlusErfPoly is 1 + erf(z) in float32, without the cancellation of
// 1 + erf for negative z: erfc(|z|) directly there. 0 below z = -4, 2 above
// 4 (where erfc(4) = 1.5e-8 rounds away), NaN for NaN.
func onePlusErfPoly(z float32) float32 {
	a := math.Float32frombits(math.Float32bits(z) &^ (1 << 31))
	if a < erfSplit {
		s := a * a
		p := float32(erfSmall[5]*s) + erfSmall[4] // Horner, unrolled
		p = float32(p*s) + erfSmall[3]
		p = float32(p*s) + erfSmall[2]
		p = float32(p*s) + erfSmall[1]
		p = float32(p*s) + erfSmall[0]
		return float32(z*p) + 1
	}
	if !(a < 4) {
		switch {
		case a != a:
			return z
		case z < 0:
			return 0
		}
		return 2
	}
	q := float32(erfLarge[8]*a) + erfLarge[7] // Horner, unrolled
	q = float32(q*a) + erfLarge[6]
	q = float32(q*a) + erfLarge[5]
	q = float32(q*a) + erfLarge[4]
	q = float32(q*a) + erfLarge[3]
	q = float32(q*a) + erfLarge[2]
	q = float32(q*a) + erfLarge[1]
	q = float32(q*a) + erfLarge[0]
	e := expPoly(q) // erfc(a)
	if z < 0 {
		return e
	}
	return 2 - e
}

// geluPoly is GELU(x) = x/2·(1 + erf(x/√2)) with onePlusErfPoly.
func geluPoly(x float32) float32 {
	e := onePlusErfPoly(x * invSqrt2f)
	return float32(x*0.5) * e
}

// geluBackwardPoly is dy·(Φ(x) + x·φ(x)) with the polynomials, in the
// vector levels' order of operations.
func geluBackwardPoly(x, dy float32) float32 {
	cdf := onePlusErfPoly(x*invSqrt2f) * 0.5
	pdf := expPoly(float32(x*x)*-0.5) * invSqrt2Pif
	// (The product is rounded explicitly: callers accumulate it.)
	return float32(float32(cdf+float32(x*pdf)) * dy)
}

const (
	invSqrt2f   = float32(1 / math.Sqrt2)
	invSqrt2Pif = float32(0.3989422804014327)
)
