package trainer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/distilgo/distilgo/nn"
	"github.com/distilgo/distilgo/tensor"
)

// namedModule is an nn.Module made of named tensors, for optimizer tests.
type namedModule struct {
	names []string
	ts    []*tensor.Tensor
}

func (m *namedModule) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	for i, n := range m.names {
		visit(nn.Join(prefix, n), m.ts[i])
	}
}
func (m *namedModule) Train(bool) {}

func newNamed(sizes map[string]int, order []string, r *rand.Rand) *nn.ParamSet {
	m := &namedModule{}
	for _, n := range order {
		t := tensor.New(sizes[n]).SetRequiresGrad(true)
		for i := range t.Host() {
			t.Host()[i] = float32(r.NormFloat64())
		}
		m.names, m.ts = append(m.names, n), append(m.ts, t)
	}
	return nn.Pack(m)
}

var groupNames = []string{
	"distilbert.embeddings.word_embeddings.weight",
	"distilbert.embeddings.LayerNorm.weight",
	"distilbert.embeddings.LayerNorm.bias",
	"distilbert.transformer.layer.0.attention.q_lin.weight",
	"distilbert.transformer.layer.0.attention.q_lin.bias",
	"distilbert.transformer.layer.0.sa_layer_norm.weight",
	"distilbert.transformer.layer.0.output_layer_norm.weight",
	"vocab_transform.weight",
	"vocab_layer_norm.weight",
	"vocab_projector.bias",
}

// With zero gradients and zero moments the Adam term is exactly 0/(0+eps)
// = 0, so a step only applies the decoupled decay: decayed parameters are
// multiplied by float32(1 - lr*wd) and the others must not change at all.
// This checks the grouping over ParamSet ranges exactly.
func TestAdamWDecayOnlyWhereDue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := map[string]int{}
	for i, n := range groupNames {
		sizes[n] = 3 + i
	}
	ps := newNamed(sizes, groupNames, r)
	before := append([]float32(nil), ps.Data...)
	opt := NewAdamW(ps, DefaultAdamWConfig(0.1))
	const lr = 0.01
	opt.Step(lr)
	factor := 1 - float32(lr)*float32(0.1)
	for i, name := range ps.Names {
		lo, hi := ps.Offsets[i], ps.Offsets[i]+ps.Params[i].Size()
		for j := lo; j < hi; j++ {
			want := before[j]
			if !nn.NoDecay(name) {
				want = before[j] * factor
			}
			if ps.Data[j] != want {
				t.Fatalf("%s[%d] = %v after a zero-gradient step, want %v (decay %v)", name, j-lo, ps.Data[j], want, !nn.NoDecay(name))
			}
		}
	}
}

// adamWRef is torch.optim.AdamW's single-tensor update in float64, with
// the constants rounded as kernels.AdamW rounds them: beta1, beta2 to
// float32 and 1-beta formed in float32. (Torch instead rounds the float64
// 1-beta2 = 0.001 to float32; kernels' 1-float32(0.999) = 0.99998713e-3 is
// 1.3e-5 smaller, a difference that belongs to package kernels and that the
// PyTorch golden test bounds.)
// adamWRef is torch.optim.AdamW on float32 tensors, in float64: the Python
// float hyper-parameters multiply float32 tensors as float32 scalars
// (beta, 1-beta formed in double first), and the bias corrections are
// formed in double from the exact betas.
func adamWRef(p, g, m, v []float64, lr, b1, b2, eps, wd float64, step int) {
	b1f, b2f := float64(float32(b1)), float64(float32(b2))
	c1, c2 := float64(float32(1-b1)), float64(float32(1-b2))
	bc1 := 1 - math.Pow(b1, float64(step))
	bc2 := 1 - math.Pow(b2, float64(step))
	for i := range p {
		p[i] *= 1 - lr*wd
		m[i] = b1f*m[i] + c1*g[i]
		v[i] = b2f*v[i] + c2*g[i]*g[i]
		p[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + eps)
	}
}

// Several steps with random gradients and a decaying learning rate agree
// with a float64 reference of torch's formula. Tolerance: parameters are
// O(1) and each step moves them by O(lr) = 1e-3; float32 rounding of p (6e-8
// relative) and of the update (1e-7 relative of 1e-3) over 8 steps stays
// below 1e-6 absolute. Moments agree to 1e-6 relative plus an absolute
// 1e-8 for exp_avg (its terms are O(0.1) gradients, so cancellation can leave
// a small m with a few float32 ulps of its terms as error) and 1e-12 for
// exp_avg_sq (terms O(1e-5)).
func TestAdamWMatchesFloat64Reference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := map[string]int{}
	for i, n := range groupNames {
		sizes[n] = 50 + 7*i
	}
	ps := newNamed(sizes, groupNames, r)
	n := len(ps.Data)
	p, m, v := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range p {
		p[i] = float64(ps.Data[i])
	}
	cfg := AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	opt := NewAdamW(ps, cfg)
	sched := LinearSchedule{Warmup: 2, Total: 8}
	g := make([]float64, n)
	for step := 0; step < 8; step++ {
		for i := range ps.Grad {
			ps.Grad[i] = float32(r.NormFloat64() * 0.1)
			g[i] = float64(ps.Grad[i])
		}
		lr := sched.LR(1e-3, step)
		opt.Step(lr)
		for i, name := range ps.Names {
			lo, hi := ps.Offsets[i], ps.Offsets[i]+ps.Params[i].Size()
			wd := cfg.WeightDecay
			if nn.NoDecay(name) {
				wd = 0
			}
			adamWRef(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], lr, 0.9, 0.999, float64(float32(1e-8)), wd, step+1)
		}
	}
	if opt.Steps != 8 {
		t.Fatalf("Steps = %d, want 8", opt.Steps)
	}
	for i := range p {
		if d := math.Abs(float64(ps.Data[i]) - p[i]); d > 1e-6 {
			t.Fatalf("param %d = %v, reference %v (diff %g > 1e-6)", i, ps.Data[i], p[i], d)
		}
		if d := math.Abs(float64(opt.M[i]) - m[i]); d > 1e-6*math.Abs(m[i])+1e-8 {
			t.Fatalf("exp_avg %d = %v, reference %v", i, opt.M[i], m[i])
		}
		if d := math.Abs(float64(opt.V[i]) - v[i]); d > 1e-6*math.Abs(v[i])+1e-12 {
			t.Fatalf("exp_avg_sq %d = %v, reference %v", i, opt.V[i], v[i])
		}
	}
}

func TestLinearSchedule(t *testing.T) {
	tests := []struct {
		warmup, total int
		want          []float64 // Factor(0..)
	}{
		{0, 4, []float64{1, 0.75, 0.5, 0.25, 0, 0}},
		{2, 6, []float64{0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0}},
		{1, 1, []float64{0, 0}},
		{0, 0, []float64{0}},
	}
	for _, tc := range tests {
		var got []float64
		for s := range tc.want {
			got = append(got, LinearSchedule{tc.warmup, tc.total}.Factor(s))
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("warmup %d total %d (-want +got):\n%s", tc.warmup, tc.total, d)
		}
	}
	if got := (LinearSchedule{0, 10}).LR(2e-5, 5); got != 1e-5 {
		t.Errorf("LR(2e-5, 5) of 10 = %v, want 1e-5", got)
	}
}

// Clipping is compared with the float64 formula of torch: coef =
// max/(norm+1e-6), applied when < 1. Tolerance 1e-6 relative: the norm is
// accumulated in float64, the scaling rounds once to float32.
func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name    string
		g       []float32
		maxNorm float64
	}{
		{"above", []float32{3, 4, 0, -12}, 1},
		{"below", []float32{0.3, 0.4}, 1},
		{"equal", []float32{0.6, 0.8}, 1}, // coef = 1/(1+1e-6) < 1: torch scales too
		{"disabled", []float32{30, 40}, 0},
		{"zero", []float32{0, 0, 0}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := append([]float32(nil), tc.g...)
			var ss float64
			for _, x := range tc.g {
				ss += float64(x) * float64(x)
			}
			norm := math.Sqrt(ss)
			got := ClipGradNorm(g, tc.maxNorm)
			if math.Abs(got-norm) > 1e-12*norm {
				t.Errorf("norm = %v, want %v", got, norm)
			}
			coef := 1.0
			if c := tc.maxNorm / (norm + 1e-6); tc.maxNorm > 0 && c < 1 {
				coef = c
			}
			for i, x := range tc.g {
				want := float64(x) * coef
				if math.Abs(float64(g[i])-want) > 1e-6*math.Abs(want) {
					t.Errorf("g[%d] = %v, want %v", i, g[i], want)
				}
			}
		})
	}
	nan := []float32{1, float32(math.NaN())}
	if n := ClipGradNorm(nan, 1); !math.IsNaN(n) || nan[0] != 1 {
		t.Errorf("NaN gradient: norm %v, g %v; want NaN and g untouched", n, nan)
	}
}

func TestEpochOrder(t *testing.T) {
	a := EpochOrder(42, 0, 100)
	seen := make([]bool, 100)
	for _, i := range a {
		if i < 0 || i >= 100 || seen[i] {
			t.Fatalf("not a permutation: %v", a)
		}
		seen[i] = true
	}
	if d := cmp.Diff(a, EpochOrder(42, 0, 100)); d != "" {
		t.Errorf("same seed and epoch give another order:\n%s", d)
	}
	if cmp.Equal(a, EpochOrder(42, 1, 100)) || cmp.Equal(a, EpochOrder(43, 0, 100)) {
		t.Error("other epoch or seed gives the same order")
	}
	// Pin the stream: a change would silently change every run's data order.
	if got, want := EpochOrder(42, 0, 10), []int{1, 0, 9, 4, 7, 3, 6, 5, 8, 2}; !cmp.Equal(got, want) {
		t.Errorf("EpochOrder(42, 0, 10) = %v, want %v", got, want)
	}
	if DropoutSeed(1, 2, 3) == DropoutSeed(1, 3, 2) || DropoutSeed(1, 2, 3) == DropoutSeed(2, 2, 3) {
		t.Error("dropout seeds collide")
	}
}
