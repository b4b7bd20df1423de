package kernels

import "math"

// AdamWParams are the hyper-parameters of one AdamW step.
type AdamWParams struct {
	LR, Beta1, Beta2, Eps, WeightDecay float32
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

func adamWGeneric(p, g, m, v []float32, hp AdamWParams) {
	bc1 := 1 - math.Pow(float64(hp.Beta1), float64(hp.Step))
	bc2 := 1 - math.Pow(float64(hp.Beta2), float64(hp.Step))
	stepSize := float32(float64(hp.LR) / bc1)
	bc2Sqrt := float32(math.Sqrt(bc2))
	decay := 1 - hp.LR*hp.WeightDecay
	b1, b2 := hp.Beta1, hp.Beta2
	ParallelFor(len(p), grain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := g[i]
			p[i] *= decay
			m[i] = m[i]*b1 + (1-b1)*gi
			v[i] = v[i]*b2 + (1-b2)*gi*gi
			denom := float32(math.Sqrt(float64(v[i])))/bc2Sqrt + hp.Eps
			p[i] -= stepSize * (m[i] / denom)
		}
	})
}
