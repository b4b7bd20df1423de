package kernels

import (
	"sync/atomic"
	"testing"
)

// TestParallelForCovers: every index is visited exactly once, in ranges of
// at least grain items (except when n is smaller), for several thread counts.
func TestParallelForCovers(t *testing.T) {
	for _, th := range []int{1, 2, 3, 8} {
		withThreads(th, func() {
			for _, n := range []int{0, 1, 5, 100, 1001} {
				for _, grain := range []int{0, 1, 7, 2000} {
					seen := make([]atomic.Int32, n)
					var parts atomic.Int32
					ParallelFor(n, grain, func(lo, hi int) {
						parts.Add(1)
						if hi-lo < min(max(grain, 1), n) {
							t.Errorf("threads %d n %d grain %d: range [%d,%d) below grain", th, n, grain, lo, hi)
						}
						for i := lo; i < hi; i++ {
							seen[i].Add(1)
						}
					})
					for i := range seen {
						if seen[i].Load() != 1 {
							t.Fatalf("threads %d n %d grain %d: index %d visited %d times", th, n, grain, i, seen[i].Load())
						}
					}
					if int(parts.Load()) > th {
						t.Fatalf("threads %d: %d ranges", th, parts.Load())
					}
				}
			}
		})
	}
}

// TestParallelForNested: bodies that call ParallelFor and kernels must not
// deadlock, even with every worker busy in an outer body.
func TestParallelForNested(t *testing.T) {
	withThreads(3, func() {
		var total atomic.Int64
		ParallelFor(12, 1, func(lo, hi int) {
			for range hi - lo {
				ParallelFor(100, 1, func(lo, hi int) {
					ParallelFor(hi-lo, 1, func(lo, hi int) { total.Add(int64(hi - lo)) })
				})
				a := make([]float32, 64*64)
				c := make([]float32, 64*64)
				Sgemm(false, false, 64, 64, 64, 1, a, 64, a, 64, 0, c, 64)
			}
		})
		if total.Load() != 1200 {
			t.Fatalf("nested total %d, want 1200", total.Load())
		}
	})
}

// TestKernelsDoNotAllocate: in steady state no kernel allocates, at any
// level and with threads, so a training step allocates nothing per call.
func TestKernelsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	const rows, cols = 64, 128
	x := make([]float32, rows*cols)
	y := make([]float32, rows*cols)
	dy := make([]float32, rows*cols)
	mask := make([]float32, cols)
	w, b := make([]float32, cols), make([]float32, cols)
	mean, rstd := make([]float32, rows), make([]float32, rows)
	labels := make([]int32, rows)
	idx := make([]int32, rows)
	big := make([]float32, 3*grain)
	a := make([]float32, 256*256)
	c := make([]float32, 256*256)
	att := make([]float32, 8*64*64)
	calls := map[string]func(){
		"Sgemm":            func() { Sgemm(false, true, 256, 256, 256, 1, a, 256, a, 256, 0, c, 256) },
		"SgemmSmall":       func() { Sgemm(true, false, 37, 29, 31, 1, a, 37, a, 29, 1, c, 29) },
		"SgemmBatched":     func() { SgemmBatched(false, true, 64, 64, 64, 1, att, 64, 64*64, att, 64, 64*64, 0, c, 64, 64*64, 8) },
		"SoftmaxRows":      func() { SoftmaxRows(y, x, rows, cols, 0.5, mask, rows) },
		"SoftmaxBackward":  func() { SoftmaxRowsBackward(dy, y, x, rows, cols, 0.5, mask, rows) },
		"LayerNorm":        func() { LayerNorm(y, mean, rstd, x, w, b, rows, cols, 1e-12) },
		"LayerNormBwd":     func() { LayerNormBackward(dy, w, b, y, x, w, mean, rstd, rows, cols) },
		"Gelu":             func() { Gelu(big, big) },
		"GeluBackward":     func() { GeluBackward(big, big, big) },
		"CrossEntropy":     func() { CrossEntropy(dy, x, labels, rows, cols, -100, 1) },
		"AdamW":            func() { AdamW(big, big, big, big, AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Step: 1}) },
		"Axpy":             func() { Axpy(2, big, big) },
		"Add":              func() { Add(big, big, big) },
		"AddRowVector":     func() { AddRowVector(x, w, rows, cols) },
		"SumRows":          func() { SumRows(w, x, rows, cols) },
		"GatherRows":       func() { GatherRows(y, x, idx, cols) },
		"ScatterAddRows":   func() { ScatterAddRows(y, x, idx, cols, -1) },
		"ParallelForNoCap": func() { ParallelFor(1000, 1, noop) },
	}
	for _, th := range []int{1, 2} {
		withThreads(th, func() {
			forEachLevel(t, func(t *testing.T) {
				for name, f := range calls {
					f() // warm up pools
					if n := testing.AllocsPerRun(20, f); n != 0 {
						t.Errorf("threads %d: %s allocates %.1f times per call", th, name, n)
					}
				}
			})
		})
	}
}

func noop(lo, hi int) {}
