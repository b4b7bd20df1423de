package tensor

import (
	"fmt"
	"math"
	"testing"

	"github.com/distilgo/distilgo/kernels"
)

// TestDropoutMaskLevels: at every kernels level (the vector levels generate
// the pairs with kernels.DropoutWords), dropoutMask is uniform32 of (seed,
// offset+i) bit for bit: odd and even offsets and lengths, lengths that
// ParallelFor splits (into ranges that may start at odd positions), and
// offsets whose position counter wraps at 2^64 inside the mask.
func TestDropoutMaskLevels(t *testing.T) {
	start := kernels.Level()
	defer kernels.Use(start)
	for _, level := range kernels.Levels() {
		if err := kernels.Use(level); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			n      int
			offset uint64
			p      float32
		}{
			{0, 0, 0.1}, {1, 1, 0.1}, {2, 0, 0.1}, {37, 5, 0.5}, {64, 0, 0.1},
			{40_003, 1, 0.1}, {40_002, 1<<40 + 2, 0.999}, {33, 0, 0},
			{101, math.MaxUint64 - 40, 0.3}, {100, math.MaxUint64 - 41, 0.3}, {40_000, math.MaxUint64 - 20_001, 0.3},
		} {
			name := fmt.Sprintf("%s/n%d/offset%d/p%v", level, tc.n, tc.offset, tc.p)
			t.Run(name, func(t *testing.T) {
				mask := make([]float32, tc.n+1)
				mask[tc.n] = -1 // guard
				dropoutMask(mask[:tc.n], tc.p, 99, tc.offset)
				thr, keep := uint32(float64(tc.p)*(1<<32)), 1/(1-tc.p)
				for i, m := range mask[:tc.n] {
					want := float32(0)
					if uniform32(99, tc.offset+uint64(i)) >= thr {
						want = keep
					}
					if m != want {
						t.Fatalf("mask[%d] = %v, want %v (uniform32(99, %d))", i, m, want, tc.offset+uint64(i))
					}
				}
				if mask[tc.n] != -1 {
					t.Fatalf("wrote past the mask")
				}
			})
		}
	}
}

// BenchmarkDropoutMask: the attention dropout mask of one layer at B=16,
// seq 128, 12 heads (16·12·128² values), on all worker threads, per kernels
// level (generic runs the Go loop the vector levels replace); bytes are those
// written; allocations per call reported (none: see dropoutJob).
func BenchmarkDropoutMask(b *testing.B) {
	mask := make([]float32, 16*12*128*128)
	for i := range mask { // fault the pages in outside the timing
		mask[i] = 1
	}
	start := kernels.Level()
	defer kernels.Use(start)
	for _, level := range kernels.Levels() {
		b.Run(level, func(b *testing.B) {
			if err := kernels.Use(level); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(4 * len(mask)))
			for i := 0; b.Loop(); i++ {
				dropoutMask(mask, 0.1, 42, uint64(i)*uint64(len(mask)))
			}
		})
	}
}
