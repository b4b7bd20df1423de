package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/kernels"
	"github.com/distilgo/distilgo/tensor"
	"github.com/google/go-cmp/cmp"
)

// mlp is a two-layer perceptron used to test that the pieces train together.
type mlp struct {
	Fc1, Fc2 *Linear
	Drop     *Dropout
}

func newMLP(r *rand.Rand) *mlp {
	m := &mlp{Fc1: NewLinear(2, 32, true), Fc2: NewLinear(32, 2, true), Drop: NewDropout(0)}
	initUniform(m.Fc1.Weight, kaimingBound(2), r)
	initUniform(m.Fc2.Weight, kaimingBound(32), r)
	return m
}

func (m *mlp) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	m.Fc1.VisitParams(Join(prefix, "fc1"), visit)
	m.Fc2.VisitParams(Join(prefix, "fc2"), visit)
}

func (m *mlp) Train(on bool) { m.Drop.Train(on) }

func (m *mlp) forward(tp *tensor.Tape, x *tensor.Tensor) *tensor.Tensor {
	return m.Fc2.Forward(tp, m.Drop.Forward(tp, tp.Gelu(m.Fc1.Forward(tp, x))))
}

// xorData: points in [-1,1)², class 1 where x·y > 0 (not linearly separable).
func xorData(r *rand.Rand, n int) (*tensor.Tensor, []int32) {
	x := tensor.New(n, 2)
	y := make([]int32, n)
	for i := 0; i < n; i++ {
		a, b := 2*r.Float32()-1, 2*r.Float32()-1
		x.Host()[2*i], x.Host()[2*i+1] = a, b
		if a*b > 0 {
			y[i] = 1
		}
	}
	return x, y
}

func TestMLPLearnsXOR(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	m := newMLP(r)
	ps := Pack(m)
	mom, vel := make([]float32, ps.Len()), make([]float32, ps.Len())
	x, y := xorData(r, 256)
	tp := tensor.NewTape()
	var first, last float32
	for step := 1; step <= 400; step++ {
		tp.Reset()
		ps.ZeroGrad()
		loss := tp.CrossEntropy(m.forward(tp, x), y)
		tp.Backward(loss)
		kernels.AdamW(ps.Data, ps.Grad, mom, vel, kernels.AdamWParams{LR: 0.02, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: step})
		if step == 1 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	// Chance level is ln 2 = 0.69; a 32-unit MLP fits XOR on 256 points to
	// well under 0.2 in 400 full-batch Adam steps. A broken gradient stalls
	// near 0.69.
	if last > 0.2 || last > first/3 {
		t.Fatalf("loss went from %.4f to %.4f, want below 0.2", first, last)
	}
}

// nested checks dotted names through two levels, with a tied parameter.
type block struct {
	QLin *Linear
	Norm *LayerNorm
}

type model struct {
	Emb    *Embedding
	Layers []*block
	Head   *Linear // Weight tied to Emb.Weight
}

func (m *model) VisitParams(prefix string, visit func(string, *tensor.Tensor)) {
	m.Emb.VisitParams(Join(prefix, "embeddings.word_embeddings"), visit)
	for i, b := range m.Layers {
		p := Join(prefix, "layer."+string(rune('0'+i)))
		b.QLin.VisitParams(Join(p, "attention.q_lin"), visit)
		b.Norm.VisitParams(Join(p, "sa_layer_norm"), visit)
	}
	m.Head.VisitParams(Join(prefix, "vocab_projector"), visit)
}

func (m *model) Train(bool) {}

func TestParamNamesAndPacking(t *testing.T) {
	emb := NewEmbedding(10, 4, 0)
	for i := range emb.Weight.Host() {
		emb.Weight.Host()[i] = float32(i)
	}
	head := NewLinear(4, 10, true)
	head.Weight = emb.Weight
	m := &model{Emb: emb, Head: head}
	for i := 0; i < 2; i++ {
		m.Layers = append(m.Layers, &block{QLin: NewLinear(4, 4, true), Norm: NewLayerNorm(4, 1e-12)})
	}
	ps := Pack(m)
	wantNames := []string{
		"embeddings.word_embeddings.weight",
		"layer.0.attention.q_lin.weight", "layer.0.attention.q_lin.bias",
		"layer.0.sa_layer_norm.weight", "layer.0.sa_layer_norm.bias",
		"layer.1.attention.q_lin.weight", "layer.1.attention.q_lin.bias",
		"layer.1.sa_layer_norm.weight", "layer.1.sa_layer_norm.bias",
		"vocab_projector.bias",
	}
	if diff := cmp.Diff(wantNames, ps.Names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if got, want := ps.Len(), 40+2*(16+4+4+4)+10; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	tied, ok := ps.Lookup("vocab_projector.weight")
	if !ok || tied != emb.Weight {
		t.Fatalf("tied name vocab_projector.weight does not resolve to the embedding")
	}
	// Values moved into the contiguous buffer, views alias it.
	if emb.Weight.Host()[5] != 5 || ps.Data[5] != 5 {
		t.Fatalf("embedding values not preserved by Pack")
	}
	ps.Data[5] = 42
	if emb.Weight.Host()[5] != 42 {
		t.Fatalf("parameter is not a view of ParamSet.Data")
	}
	// Gradients land in ParamSet.Grad.
	r := rand.New(rand.NewPCG(5, 6))
	for _, b := range m.Layers {
		InitNormal(b.QLin.Weight, 0.5, r)
	}
	tp := tensor.NewTape()
	out := m.Layers[1].Norm.Forward(tp, m.Layers[1].QLin.Forward(tp, m.Emb.Forward(tp, []int32{1, 2})))
	w := tensor.New(out.Shape()...)
	InitNormal(w, 1, r)
	tp.Backward(tp.Sum(tp.Mul(out, w)))
	if kernels.SumSquares(ps.Grad) == 0 {
		t.Fatalf("no gradient reached ParamSet.Grad")
	}
	ps.ZeroGrad()
	if kernels.SumSquares(ps.Grad) != 0 || kernels.SumSquares(emb.Weight.Grad.Host()) != 0 {
		t.Fatalf("ZeroGrad left gradients")
	}
}

func TestDropoutModes(t *testing.T) {
	d := NewDropout(0.5)
	x := tensor.New(1000)
	for i := range x.Host() {
		x.Host()[i] = 1
	}
	tp := tensor.NewTape()
	if got := d.Forward(tp, x); got == x {
		t.Fatalf("training-mode dropout returned its input")
	}
	d.Train(false)
	if got := d.Forward(tp, x); got != x {
		t.Fatalf("eval-mode dropout changed its input")
	}
}

// BenchmarkMLPStep reports allocations per training step after the first:
// the tape's arena recycles every activation and gradient buffer.
func BenchmarkMLPStep(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	m := newMLP(r)
	m.Drop.P = 0.1
	ps := Pack(m)
	mom, vel := make([]float32, ps.Len()), make([]float32, ps.Len())
	x, y := xorData(r, 512)
	tp := tensor.NewTape()
	step := func(i int) {
		tp.Reset()
		tp.Seed(uint64(i))
		ps.ZeroGrad()
		loss := tp.CrossEntropy(m.forward(tp, x), y)
		tp.Backward(loss)
		kernels.AdamW(ps.Data, ps.Grad, mom, vel, kernels.AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: i + 1})
	}
	step(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(i + 1)
	}
}

// initUniform fills t with samples of U(-bound, bound) from r.
func initUniform(t *tensor.Tensor, bound float64, r *rand.Rand) {
	for i := range t.Host() {
		t.Host()[i] = float32((2*r.Float64() - 1) * bound)
	}
}

// kaimingBound is the bound torch.nn.Linear's default initialisation uses
// for fan-in n (kaiming_uniform with a=√5 gives 1/√n).
func kaimingBound(fanIn int) float64 { return 1 / math.Sqrt(float64(fanIn)) }
