package tensor

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of tape ops at DistilBERT's shapes (one layer, batch 8 × 128
// tokens): forward and backward, with allocations per step (the arena and
// the gradient free list make them constant after the first step).

func benchTensor(r *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = 2*r.Float32() - 1
	}
	return t
}

func BenchmarkLinearForwardBackward(b *testing.B) {
	const rows, in, out = 8 * 128, 768, 3072
	r := rand.New(rand.NewPCG(1, 1))
	x := benchTensor(r, rows, in).SetRequiresGrad(true)
	w := benchTensor(r, out, in).SetRequiresGrad(true)
	bias := benchTensor(r, out).SetRequiresGrad(true)
	tp := NewTape()
	b.ReportAllocs()
	for b.Loop() {
		tp.Reset()
		tp.Backward(tp.Sum(tp.Linear(x, w, bias)))
	}
	b.ReportMetric(3*2*rows*in*out*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkAttentionForwardBackward(b *testing.B) {
	const B, T, NH, HS = 8, 128, 12, 64
	r := rand.New(rand.NewPCG(2, 2))
	q := benchTensor(r, B*T, NH*HS).SetRequiresGrad(true)
	k := benchTensor(r, B*T, NH*HS).SetRequiresGrad(true)
	v := benchTensor(r, B*T, NH*HS).SetRequiresGrad(true)
	mask := make([]float32, B*T)
	tp := NewTape()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tp.Reset()
		tp.Seed(uint64(i))
		tp.Backward(tp.Sum(tp.Attention(q, k, v, B, T, NH, 0.125, mask, 0.1)))
	}
	b.ReportMetric(3*4*B*NH*T*T*HS*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkLayerNormGeluForwardBackward(b *testing.B) {
	const rows, cols = 8 * 128, 768
	r := rand.New(rand.NewPCG(3, 3))
	x := benchTensor(r, rows, cols).SetRequiresGrad(true)
	w := benchTensor(r, cols).SetRequiresGrad(true)
	bias := benchTensor(r, cols).SetRequiresGrad(true)
	tp := NewTape()
	b.ReportAllocs()
	b.SetBytes(rows * cols * 4)
	for b.Loop() {
		tp.Reset()
		tp.Backward(tp.Sum(tp.Gelu(tp.LayerNorm(x, w, bias, 1e-12))))
	}
}
