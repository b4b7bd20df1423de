package safetensors

import (
	"math"
	"testing"
)

// FirstNonFinite against a one-value-at-a-time reference, for every length
// up to 40 and every position of a bad value (so both the blocked loop and
// the tail are covered), with NaN payloads, both infinities, and the finite
// extremes (largest float, denormals, -0) that must pass.
func TestFirstNonFinite(t *testing.T) {
	ref := func(x []float32) int {
		for i, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return i
			}
		}
		return -1
	}
	finite := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40}
	bad := []float32{float32(math.NaN()), math.Float32frombits(0x7fc00001), math.Float32frombits(0xff800001), float32(math.Inf(1)), float32(math.Inf(-1))}
	for n := 0; n <= 40; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = finite[i%len(finite)]
		}
		if got := FirstNonFinite(x); got != -1 {
			t.Fatalf("n=%d all finite: got %d", n, got)
		}
		for p := 0; p < n; p++ {
			for _, b := range bad {
				y := append([]float32(nil), x...)
				y[p] = b
				if p+3 < n {
					y[p+3] = b // a later one must not win
				}
				if got, want := FirstNonFinite(y), ref(y); got != want || want != p {
					t.Fatalf("n=%d bad %v at %d: got %d, reference %d", n, b, p, got, want)
				}
			}
		}
	}
}

func TestCheckFinite(t *testing.T) {
	x := make([]float32, 24)
	if err := CheckFinite("w", []int{2, 3, 4}, x); err != nil {
		t.Fatal(err)
	}
	x[17] = float32(math.Inf(1))
	want := `tensor "w" holds +Inf at index [1 1 1] (element 17 of 24): the weights are corrupt or the model diverged`
	if err := CheckFinite("w", []int{2, 3, 4}, x); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// BenchmarkFirstNonFinite: the check of distilbert-base-uncased's largest
// tensor (30,522 x 768), to compare with reading it.
func BenchmarkFirstNonFinite(b *testing.B) {
	x := make([]float32, 30522*768)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		if FirstNonFinite(x) != -1 {
			b.Fatal("bad")
		}
	}
}
