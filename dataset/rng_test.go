package dataset

import (
	"math"
	"testing"
)

// chiSquareBound returns a bound that a chi-square statistic with df
// degrees of freedom exceeds with probability about 1e-6: the
// Wilson-Hilferty approximation at z = 4.75.
func chiSquareBound(df int) float64 {
	k := float64(df)
	z := 4.75
	return k * math.Pow(1-2/(9*k)+z*math.Sqrt(2/(9*k)), 3)
}

func chiSquare(counts []int, expected float64) float64 {
	s := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		s += d * d / expected
	}
	return s
}

func TestIntNUniform(t *testing.T) {
	// n = 7 does not divide 2^64, so the rejection step matters; n = 2^63+1
	// makes rejection frequent (about half the draws).
	r := newRNG(5, 0, 0, 0)
	const draws, n = 700000, 7
	counts := make([]int, n)
	for range draws {
		counts[r.intN(n)]++
	}
	if x, b := chiSquare(counts, draws/n), chiSquareBound(n-1); x > b {
		t.Errorf("intN(7): chi-square %.1f > %.1f, counts %v", x, b, counts)
	}
	big := uint64(1)<<63 + 1
	halves := make([]int, 2)
	for range 100000 {
		v := r.intN(big)
		if v >= big {
			t.Fatalf("intN(%d) = %d", big, v)
		}
		halves[v>>62]++
	}
	if x, b := chiSquare(halves, 50000), chiSquareBound(1); x > b {
		t.Errorf("intN(2^63+1): chi-square %.1f > %.1f, counts %v", x, b, halves)
	}
}

func TestPermutationUniform(t *testing.T) {
	// All 24 permutations of 4 elements, over 240,000 seeds.
	const seeds = 240000
	counts := map[[4]int]int{}
	for s := range seeds {
		p := newRNG(uint64(s), streamSplit, 0, 0).permutation(4)
		counts[[4]int(p)]++
	}
	if len(counts) != 24 {
		t.Fatalf("%d distinct permutations of 4, want 24", len(counts))
	}
	var c []int
	for _, v := range counts {
		c = append(c, v)
	}
	if x, b := chiSquare(c, seeds/24), chiSquareBound(23); x > b {
		t.Errorf("chi-square %.1f > %.1f", x, b)
	}
}

func TestRNGStreamsDiffer(t *testing.T) {
	first := func(seed, purpose uint64, epoch, step int64) uint64 {
		return newRNG(seed, purpose, epoch, step).pcg.Uint64()
	}
	base := first(1, streamCollate, 0, 0)
	for _, other := range []uint64{
		first(2, streamCollate, 0, 0), first(1, streamEval, 0, 0),
		first(1, streamCollate, 1, 0), first(1, streamCollate, 0, 1),
		first(1, streamCollate, -1, 0),
	} {
		if other == base {
			t.Error("two seeds give the same stream")
		}
	}
	if first(1, streamCollate, 3, 9) != first(1, streamCollate, 3, 9) {
		t.Error("same seed, different stream")
	}
	// Swapping epoch and step must not give the same stream.
	if first(1, streamCollate, 3, 9) == first(1, streamCollate, 9, 3) {
		t.Error("(epoch 3, step 9) and (9, 3) share a stream")
	}
}

func TestEpochOrder(t *testing.T) {
	a := EpochOrder(1000, 42, 0)
	seen := make([]bool, 1000)
	for _, i := range a {
		if seen[i] {
			t.Fatalf("%d twice", i)
		}
		seen[i] = true
	}
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, EpochOrder(1000, 42, 0)) {
		t.Error("same (seed, epoch), different orders")
	}
	if same(a, EpochOrder(1000, 42, 1)) || same(a, EpochOrder(1000, 43, 0)) {
		t.Error("another epoch or seed gives the same order")
	}
	// The order is not the downsampling permutation of the same seed.
	if same(a, newRNG(42, streamSplit, 0, 0).permutation(1000)) {
		t.Error("EpochOrder shares the split's stream")
	}
	if len(EpochOrder(0, 1, 0)) != 0 {
		t.Error("EpochOrder(0) not empty")
	}
}
