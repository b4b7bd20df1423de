package tensor

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The grad-ready hook reports each leaf once, after its last contribution:
// the gradient it sees then is the final one. w1 is read twice (by the
// first and the last layer), so it is reported last although its last
// layer's backward runs first; w3 is never read and never reported.
func TestGradReadyHook(t *testing.T) {
	leaf := func(n int) *Tensor {
		x := New(n, n)
		for i := range x.data {
			x.data[i] = float32(i%7) / 7
		}
		x.SetRequiresGrad(true)
		x.Grad = New(n, n)
		return x
	}
	w1, w2, w3 := leaf(3), leaf(3), leaf(3)
	names := map[*Tensor]string{w1: "w1", w2: "w2", w3: "w3"}
	x := New(2, 3)
	for i := range x.data {
		x.data[i] = float32(i) - 2
	}
	forward := func(tp *Tape) *Tensor {
		h := tp.Gelu(tp.MatMul(x, w1, false, false))
		h = tp.Gelu(tp.MatMul(h, w2, false, false))
		return tp.Sum(tp.MatMul(h, w1, false, true))
	}

	tp := NewTape()
	var order []string
	seen := map[string][]float32{}
	tp.SetGradReadyHook(func(p *Tensor) {
		order = append(order, names[p])
		seen[names[p]] = slices.Clone(p.Grad.data)
	})
	tp.Backward(forward(tp))
	if d := cmp.Diff([]string{"w2", "w1"}, order); d != "" {
		t.Errorf("ready order (-want +got):\n%s", d)
	}
	for _, w := range []*Tensor{w1, w2} {
		if d := cmp.Diff(w.Grad.data, seen[names[w]]); d != "" {
			t.Errorf("%s: gradient when reported differs from the final one (-final +reported):\n%s", names[w], d)
		}
	}

	// The hook changes nothing in the gradients, and nil removes it.
	want := [][]float32{slices.Clone(w1.Grad.data), slices.Clone(w2.Grad.data)}
	clear(w1.Grad.data)
	clear(w2.Grad.data)
	tp.Reset()
	tp.SetGradReadyHook(nil)
	order = nil
	tp.Backward(forward(tp))
	if d := cmp.Diff(want, [][]float32{w1.Grad.data, w2.Grad.data}); d != "" || order != nil {
		t.Errorf("without the hook: gradients differ (%s) or hook called %v", d, order)
	}
}
