//go:build cuda && cgo

package cuda

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/internal/optest"
	"github.com/google/go-cmp/cmp"
)

// Every op, forward and backward, on the CUDA device: the shared op table
// (internal/optest, the same cases package tensor runs on the CPU devices)
// against the CPU device within each case's tolerance, and against its
// float64 reference and finite differences.
func TestOps(t *testing.T) {
	dev := device(t)
	optest.Run(t, optest.Device{Dev: dev})
}

func randData(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// relErr is max|a-b| / max|b| (0 when both are zero).
func relErr(a, b []float32) float64 {
	var d, m float64
	for i := range b {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		m = math.Max(m, math.Abs(float64(b[i])))
	}
	if d == 0 {
		return 0
	}
	if m == 0 {
		return math.Inf(1)
	}
	return d / m
}

func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, v := range got {
		if math.IsNaN(float64(v)) != math.IsNaN(float64(want[i])) {
			t.Fatalf("%s[%d] = %v, CPU %v", what, i, v, want[i])
		}
	}
	if tol == 0 {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s differs from the CPU bit for bit (-cpu +gpu):\n%s", what, diff)
		}
		return
	}
	if e := relErr(got, want); e > tol {
		t.Errorf("%s: normwise relative error %.3g > %.3g", what, e, tol)
	}
}

// Tolerances of the tests here that compare with the CPU (see
// internal/optest for the op table's): reductions in another summation
// order, as package kernels' float32 sums of up to 1k terms (tolReduce).
const tolReduce = 1e-5
