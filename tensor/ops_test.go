package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The ops themselves are tested by the shared op table (internal/optest,
// run on every device by optable_test.go and package cuda); the tests here
// are of the CPU pieces behind them.

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*r.Float32() - 1
	}
	return s
}

// The padding row of an embedding gets no gradient from the lookup, as
// torch.nn.Embedding(padding_idx=0): its existing gradient is kept exactly.
func TestGatherPaddingIdx(t *testing.T) {
	table := FromData([]float32{1, 2, 3, 4, 5, 6}, 3, 2).SetRequiresGrad(true)
	table.Grad.data[0], table.Grad.data[1] = 0.25, -0.5 // e.g. from a tied projection
	tp := NewTape()
	out := tp.Gather(table, []int32{0, 2, 0, 1}, 0)
	tp.Backward(tp.Sum(out))
	want := []float32{0.25, -0.5, 1, 1, 1, 1}
	for i, w := range want {
		if table.Grad.data[i] != w {
			t.Fatalf("grad = %v, want %v", table.Grad.data, want)
		}
	}
}

// dropoutMask is the pure function uniform32 of (seed, position), whatever
// the offset parity and the split into parallel ranges; and it keeps 1-p of
// the elements (4 standard deviations of a binomial over 200,000 draws).
func TestDropoutMaskStream(t *testing.T) {
	const n, p = 200_001, float32(0.3)
	for _, off := range []uint64{0, 1, 12345, 1<<40 + 7} {
		mask := make([]float32, n)
		dropoutMask(mask, p, 99, off)
		kept := 0
		for i, m := range mask {
			want := float32(0)
			if uniform32(99, off+uint64(i)) >= uint32(float64(p)*(1<<32)) {
				want = 1 / (1 - p)
				kept++
			}
			if m != want {
				t.Fatalf("offset %d: mask[%d] = %v, want %v", off, i, m, want)
			}
		}
		sd := math.Sqrt(n * 0.3 * 0.7)
		if d := math.Abs(float64(kept) - 0.7*n); d > 4*sd {
			t.Errorf("offset %d: kept %d of %d, want 0.7·n ± %.0f", off, kept, n, 4*sd)
		}
	}
	// Both halves of a word are used, and differ between seeds.
	if uniform32(1, 0) == uniform32(1, 1) || uniform32(1, 0) == uniform32(2, 0) {
		t.Errorf("stream values repeat")
	}
}
