package tensor

import (
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/kernels"
)

// A training step that records the ops allocates nothing once the tape has
// seen it: the arena, the gradient free list and the per-kind node pools
// (ops.go) are reused by Reset. A design that allocated per op (a closure,
// a boxed saved state) or a kernel that passed ParallelFor a new closure
// (the dropout mask, Permute) would fail here.
func TestStepAllocatesNothing(t *testing.T) {
	const B, T, NH, HS, V = 2, 4, 2, 3, 7
	C := NH * HS
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
	mask[3] = kernels.MaskedOut
	tp := NewTape()
	step := func(seed uint64) {
		tp.Reset()
		tp.Seed(seed)
		x := tp.Gather(emb, ids, 0)
		h := tp.LayerNorm(tp.Add(tp.Dropout(x, 0.1), tp.Linear(x, w, bias)), lnW, lnB, 1e-12)
		q := tp.Linear(h, wq, nil)
		a := tp.Attention(q, h, h, B, T, NH, 0.5, mask, 0.1)
		g := tp.Gelu(tp.AddBias(tp.Sub(a, tp.Scale(h, 0.5)), bias))
		p := tp.Permute(tp.Reshape(g, B, T, C), 1, 0, 2)
		s := tp.Softmax(tp.MatMul(p, p, false, true), 0.3, nil, 0)
		logits := tp.Linear(tp.Mul(h, h), emb, nil)
		loss := tp.Add(tp.CrossEntropy(logits, labels), tp.Add(tp.Mean(s), tp.Sum(tp.Scale(g, 1e-3))))
		tp.Backward(loss)
	}
	step(1)
	seed := uint64(2)
	if n := testing.AllocsPerRun(10, func() { step(seed); seed++ }); n != 0 {
		t.Errorf("a repeated training step allocates %v times, want 0", n)
	}
}
