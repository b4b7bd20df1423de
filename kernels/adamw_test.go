package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamWReference checks the generic update against a float64 evaluation
// of torch.optim.AdamW's formula over several steps. Tolerance: each step's
// float32 arithmetic (about 12 roundings) errs by a few u relative per
// quantity, and errors compound over the 5 steps: 64u·(|p| + lr) bounds it.
func TestAdamWReference(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	const n = 1000
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	fillUniform(r, p, 1)
	p64, m64, v64 := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range p {
		p64[i] = float64(p[i])
	}
	hp := AdamWParams{LR: 2e-5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	for step := 1; step <= 5; step++ {
		fillUniform(r, g, 0.1)
		hp.Step = step
		adamWGeneric(p, g, m, v, hp)
		b1, b2, lr := float64(hp.Beta1), float64(hp.Beta2), float64(hp.LR)
		bc1, bc2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
		for i := range p64 {
			gi := float64(g[i])
			p64[i] *= 1 - lr*float64(hp.WeightDecay)
			m64[i] = b1*m64[i] + (1-b1)*gi
			v64[i] = b2*v64[i] + (1-b2)*gi*gi
			p64[i] -= lr / bc1 * m64[i] / (math.Sqrt(v64[i])/math.Sqrt(bc2) + float64(hp.Eps))
		}
	}
	for i := range p {
		if d := math.Abs(float64(p[i]) - p64[i]); d > 64*u*(math.Abs(p64[i])+float64(hp.LR)) {
			t.Fatalf("p[%d] = %v, want %v (|diff| %.3g)", i, p[i], p64[i], d)
		}
	}
}

// TestAdamWLevels: every level performs the generic update's IEEE
// operations in the same order, so results must be bitwise identical.
func TestAdamWLevels(t *testing.T) {
	const n = 1037 // not a multiple of any vector width
	r := rand.New(rand.NewPCG(53, 54))
	p0, g := make([]float32, n), make([]float32, n)
	fillUniform(r, p0, 1)
	fillUniform(r, g, 0.1)
	g[5] = 0
	g[6] = float32(math.Inf(1))
	hp := AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 3}
	run := func() (p, m, v []float32) {
		p = append([]float32(nil), p0...)
		m, v = make([]float32, n), make([]float32, n)
		for i := range m {
			m[i], v[i] = float32(i%7)*0.01, float32(i%5)*0.001
		}
		AdamW(p, g, m, v, hp)
		return p, m, v
	}
	start := Level()
	defer Use(start)
	Use(LevelGeneric)
	wp, wm, wv := run()
	forEachLevel(t, func(t *testing.T) {
		p, m, v := run()
		sameBits(t, "p", p, wp)
		sameBits(t, "m", m, wm)
		sameBits(t, "v", v, wv)
	})
}
