// Package stattest holds the statistical checks that tests of random
// streams share (tests only).
package stattest

import "math"

// ChiSquare returns Pearson's chi-square statistic of counts against the
// same expected count in every cell.
func ChiSquare(counts []int, expected float64) float64 {
	s := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		s += d * d / expected
	}
	return s
}

// ChiSquareBound returns a bound that a chi-square statistic with df
// degrees of freedom exceeds with probability about 1e-6: the
// Wilson-Hilferty approximation at z = 4.75.
func ChiSquareBound(df int) float64 {
	k := float64(df)
	z := 4.75
	return k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
}
