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
	s := newTinyStep()
	tp := NewTape()
	step := func(seed uint64) { s.run(tp, seed, true) }
	step(1)
	seed := uint64(2)
	if n := testing.AllocsPerRun(10, func() { step(seed); seed++ }); n != 0 {
		t.Errorf("a repeated training step allocates %v times, want 0", n)
	}
}

// tinyStep is a training step of tiny tensors through most ops (forward
// and backward), where the tape's own work (recording, dispatch, buffers)
// rather than the math dominates: TestStepAllocatesNothing and
// BenchmarkTapeOverhead.
type tinyStep struct {
	emb, w, bias, lnW, lnB, wq *Tensor
	ids, labels                []int32
	mask, maskedKey            []float32 // no key masked; key 3 masked
}

const tinyB, tinyT, tinyNH, tinyC = 2, 4, 2, 6

func newTinyStep() *tinyStep {
	r := rand.New(rand.NewPCG(5, 5))
	param := func(shape ...int) *Tensor {
		x := New(shape...)
		for i := range x.data {
			x.data[i] = 2*r.Float32() - 1
		}
		return x.SetRequiresGrad(true)
	}
	const V, C = 7, tinyC
	s := &tinyStep{
		ids:       []int32{1, 2, 3, 0, 6, 5, 4, 1},
		labels:    []int32{3, IgnoreIndex, 1, 0, IgnoreIndex, 6, 2, 2},
		mask:      make([]float32, tinyB*tinyT),
		maskedKey: make([]float32, tinyB*tinyT),
	}
	s.emb, s.w, s.bias, s.lnW, s.lnB, s.wq = param(V, C), param(C, C), param(C), param(C), param(C), param(C, C)
	s.maskedKey[3] = kernels.MaskedOut
	return s
}

// run resets tp and records and backpropagates one step. With regularise,
// it also runs what the overhead benchmark leaves out: dropout (after the
// embedding and in the attention), a masked key and a permute.
func (s *tinyStep) run(tp *Tape, seed uint64, regularise bool) {
	const B, T, NH, C = tinyB, tinyT, tinyNH, tinyC
	tp.Reset()
	tp.Seed(seed)
	x := tp.Gather(s.emb, s.ids, 0)
	res, mask, pAttn := x, s.mask, float32(0)
	if regularise {
		res, mask, pAttn = tp.Dropout(x, 0.1), s.maskedKey, 0.1
	}
	h := tp.LayerNorm(tp.Add(res, tp.Linear(x, s.w, s.bias)), s.lnW, s.lnB, 1e-12)
	q := tp.Linear(h, s.wq, nil)
	a := tp.Attention(q, h, h, B, T, NH, 0.5, mask, pAttn)
	g := tp.Gelu(tp.AddBias(tp.Sub(a, tp.Scale(h, 0.5)), s.bias))
	p := tp.Reshape(g, B, T, C)
	if regularise {
		p = tp.Permute(p, 1, 0, 2)
	}
	sc := tp.Softmax(tp.MatMul(p, p, false, true), 0.3, nil, 0)
	logits := tp.Linear(tp.Mul(h, h), s.emb, nil)
	loss := tp.Add(tp.CrossEntropy(logits, s.labels), tp.Add(tp.Mean(sc), tp.Sum(tp.Scale(g, 1e-3))))
	tp.Backward(loss)
}
