//go:build cuda && cgo

package cuda

import (
	"math/rand/v2"
	"testing"

	"github.com/distilgo/distilgo/internal/optest"
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

// Tolerances of the tests here that compare with the CPU (see
// internal/optest for the op table's): reductions in another summation
// order, as package kernels' float32 sums of up to 1k terms (tolReduce).
const tolReduce = 1e-5
