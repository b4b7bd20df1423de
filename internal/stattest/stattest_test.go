package stattest

import (
	"math"
	"testing"
)

func TestChiSquare(t *testing.T) {
	tests := []struct {
		counts   []int
		expected float64
		want     float64
	}{
		{[]int{10, 10, 10}, 10, 0},
		{[]int{12, 8, 10}, 10, 0.8}, // (4 + 4 + 0) / 10
		{[]int{0, 30}, 15, 30},      // (225 + 225) / 15
	}
	for _, tt := range tests {
		if got := ChiSquare(tt.counts, tt.expected); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ChiSquare(%v, %v) = %v, want %v", tt.counts, tt.expected, got, tt.want)
		}
	}
}

// TestChiSquareBound compares the Wilson-Hilferty bound with the exact
// chi-square quantiles at 1 - 1e-6 (computed by bisection on the
// regularized upper incomplete gamma function in float64): the bound must
// not be below the quantile (so a correct stream fails a test with
// probability at most about 1e-6), and it is within the approximation's
// error above it: 15% at df 1, 4% at df 6, 1% at df 23.
func TestChiSquareBound(t *testing.T) {
	tests := []struct {
		df       int
		quantile float64
		rel      float64
	}{
		{1, 23.9281, 0.15},
		{6, 38.2583, 0.04},
		{23, 70.5496, 0.01},
	}
	for _, tt := range tests {
		got := ChiSquareBound(tt.df)
		if got < tt.quantile || got > tt.quantile*(1+tt.rel) {
			t.Errorf("ChiSquareBound(%d) = %v, want in [%v, %v]", tt.df, got, tt.quantile, tt.quantile*(1+tt.rel))
		}
	}
}
