package tensor

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkTapeOverhead: a training step of tiny tensors through most ops
// (forward, backward), where the tape's own work (recording, dispatch,
// buffers) rather than the math dominates.
func BenchmarkTapeOverhead(b *testing.B) {
	const B, T, NH, V = 2, 4, 2, 7
	C := NH * 3
	r := rand.New(rand.NewPCG(5, 5))
	param := func(shape ...int) *Tensor {
		x := New(shape...)
		for i := range x.data {
			x.data[i] = 2*r.Float32() - 1
		}
		return x.SetRequiresGrad(true)
	}
	emb, w, bias, lnW, lnB, wq := param(V, C), param(C, C), param(C), param(C), param(C), param(C, C)
	ids := []int32{1, 2, 3, 0, 6, 5, 4, 1}
	labels := []int32{3, IgnoreIndex, 1, 0, IgnoreIndex, 6, 2, 2}
	mask := make([]float32, B*T)
	tp := NewTape()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tp.Reset()
		tp.Seed(uint64(i))
		x := tp.Gather(emb, ids, 0)
		h := tp.LayerNorm(tp.Add(x, tp.Linear(x, w, bias)), lnW, lnB, 1e-12)
		q := tp.Linear(h, wq, nil)
		a := tp.Attention(q, h, h, B, T, NH, 0.5, mask, 0)
		g := tp.Gelu(tp.AddBias(tp.Sub(a, tp.Scale(h, 0.5)), bias))
		p := tp.Reshape(g, B, T, C)
		s := tp.Softmax(tp.MatMul(p, p, false, true), 0.3, nil, 0)
		logits := tp.Linear(tp.Mul(h, h), emb, nil)
		loss := tp.Add(tp.CrossEntropy(logits, labels), tp.Add(tp.Mean(s), tp.Sum(tp.Scale(g, 1e-3))))
		tp.Backward(loss)
	}
}
