package kernels

import "math"

// AdamWParams are the hyper-parameters of one AdamW step.
type AdamWParams struct {
	// Hyper-parameters are float64, as PyTorch keeps them (Python floats):
	// derived scalars such as 1-beta2 and 1-lr*wd are formed in float64 and
	// rounded to float32 once, as torch does when it applies them to float32
	// tensors (1-float32(0.999) would be off by 1.3e-5 relative).
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int // 1-based step count, for bias correction
}

// AdamW updates parameters p in place from gradients g and moments m, v,
// exactly in the order of torch.optim.AdamW (torch 1.13, single-tensor path):
//
//	p  *= 1 - lr*wd
//	m   = beta1*m + (1-beta1)*g
//	v   = beta2*v + (1-beta2)*g*g
//	p  -= (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps)
//
// with bc1 = 1-beta1^step and bc2 = 1-beta2^step.
func AdamW(p, g, m, v []float32, hp AdamWParams) {
	n := len(p)
	checkLen("AdamW", "g", len(g), n)
	checkLen("AdamW", "m", len(m), n)
	checkLen("AdamW", "v", len(v), n)
	if hp.Step < 1 {
		panicShape("AdamW", "step=%d, must be >= 1", hp.Step)
	}
	adamWImpl(p, g[:n], m[:n], v[:n], hp)
}

var adamWImpl = adamWGeneric

// adamArgs are the arguments of an AdamW call; c holds the constants in the
// order the assembly expects: decay, beta1, 1-beta1, beta2, 1-beta2,
// sqrt(bc2), eps, stepSize.
type adamArgs struct {
	p, g, m, v []float32
	c          [8]float32
}

var adamJobs argPool[job[adamArgs]]

func adamConsts(hp AdamWParams) [8]float32 {
	bc1 := 1 - math.Pow(hp.Beta1, float64(hp.Step))
	bc2 := 1 - math.Pow(hp.Beta2, float64(hp.Step))
	stepSize := float32(hp.LR / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	decay := float32(1 - hp.LR*hp.WeightDecay)
	return [8]float32{decay, float32(hp.Beta1), float32(1 - hp.Beta1), float32(hp.Beta2), float32(1 - hp.Beta2), bc2Sqrt, float32(hp.Eps), stepSize}
}

func adamWGeneric(p, g, m, v []float32, hp AdamWParams) {
	parallel(&adamJobs, len(p), grain, adamArgs{p: p, g: g, m: m, v: v, c: adamConsts(hp)}, adamRangeGeneric)
}

func adamWSIMD(p, g, m, v []float32, hp AdamWParams) {
	parallel(&adamJobs, len(p), grain, adamArgs{p: p, g: g, m: m, v: v, c: adamConsts(hp)}, adamRangeSIMD)
}

func adamRangeSIMD(a *adamArgs, lo, hi int) {
	if nv := vlen(hi - lo); nv > 0 {
		simd.adamW(&a.p[lo], &a.g[lo], &a.m[lo], &a.v[lo], nv, &a.c)
		lo += nv
	}
	adamRangeGeneric(a, lo, hi)
}

// adamRangeGeneric updates [lo, hi). The explicit float32 conversions forbid
// the compiler from fusing multiply-adds (GOAMD64=v3), keeping the exact
// operation order that the assembly reproduces.
func adamRangeGeneric(a *adamArgs, lo, hi int) {
	decay, b1, ob1, b2, ob2, bc2Sqrt, eps, stepSize := a.c[0], a.c[1], a.c[2], a.c[3], a.c[4], a.c[5], a.c[6], a.c[7]
	p, g, m, v := a.p[lo:hi], a.g[lo:hi], a.m[lo:hi], a.v[lo:hi]
	for i := range p {
		gi := g[i]
		pi := float32(p[i] * decay) // float32(): arm64 would fuse it into the subtraction below
		mi := float32(m[i]*b1) + float32(ob1*gi)
		vi := float32(v[i]*b2) + float32(float32(ob2*gi)*gi)
		m[i], v[i] = mi, vi
		denom := float32(math.Sqrt(float64(vi)))/bc2Sqrt + eps
		p[i] = pi - float32(stepSize*(mi/denom))
	}
}
