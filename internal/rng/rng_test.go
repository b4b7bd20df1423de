package rng

import (
	"math"
	"testing"

	"github.com/distilgo/distilgo/internal/stattest"
	"github.com/google/go-cmp/cmp"
)

// The expected values below were produced by the copies this package
// replaced (tensor/rng.go, trainer/rng.go, dataset/rng.go,
// distilbert/detinit.go) before they were removed: the streams of existing
// runs, checkpoints and goldens. A change here changes every run.

func TestSplitMix64(t *testing.T) {
	// Reference outputs of SplitMix64 seeded 0 (Vigna's splitmix64.c):
	// outputs 1 and 2 are Word(0, 0) and Word(0, 1).
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"SplitMix64(0)", SplitMix64(0), 0xe220a8397b1dcdaf},
		{"Word(0, 0)", Word(0, 0), 0xe220a8397b1dcdaf},
		{"Word(0, 1)", Word(0, 1), 0x6e789e6aa1b965f4},
		{"Word(0, 2)", Word(0, 2), 0x06c45d188009454f},
		{"Mix(golden)", Mix(golden), 0xe220a8397b1dcdaf},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#x, want %#x", tt.name, tt.got, tt.want)
		}
	}
}

func TestUniform32Pinned(t *testing.T) {
	// tensor's dropout stream (and cuda/kernels.cu's k_dropout).
	tests := []struct {
		seed uint64
		want []uint32
	}{
		{0, []uint32{0xe220a839, 0x7b1dcdaf, 0x6e789e6a, 0xa1b965f4, 0x6c45d18, 0x8009454f}},
		{1, []uint32{0xbfef8030, 0xddc2d772, 0x5f552ce4, 0x82f2aa47, 0x70335fc3, 0xdaf3d8a7}},
		{42, []uint32{0x989b3f13, 0xa063869, 0x290db4bf, 0x2570ded7, 0x2a990be6, 0x3a01b2d5}},
	}
	for _, tt := range tests {
		var got []uint32
		for c := range uint64(len(tt.want)) {
			got = append(got, Uniform32(tt.seed, c))
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("Uniform32(%d, 0..5) (-want +got):\n%s", tt.seed, d)
		}
	}
}

func TestDerivePinned(t *testing.T) {
	// The trainer's dropout seeds: Derive(seed, PurposeDropout, step, micro).
	tests := []struct {
		seed, step, micro uint64
		want              uint64
	}{
		{42, 0, 0, 0xce97934a4da6f6ea},
		{42, 5, 3, 0xda3c4e0d568b6afd},
		{1, 1000, 7, 0xb12e62aa0decfeb6},
	}
	for _, tt := range tests {
		if got := Derive(tt.seed, PurposeDropout, tt.step, tt.micro); got != tt.want {
			t.Errorf("Derive(%d, drop, %d, %d) = %#x, want %#x", tt.seed, tt.step, tt.micro, got, tt.want)
		}
	}
	if Derive(1, PurposeDropout, 2, 3) == Derive(1, PurposeDropout, 3, 2) || Derive(1, PurposeDropout, 2, 3) == Derive(2, PurposeDropout, 2, 3) {
		t.Error("derived seeds collide")
	}
}

func TestKeyedPinned(t *testing.T) {
	// The dataset's streams: first outputs, a Float64 and an IntN.
	neg := uint64(math.MaxUint64) // epoch -1 by two's complement
	tests := []struct {
		name                string
		seed, purpose, a, b uint64
		want                []uint64
		wantFloat           float64
		wantIntN, intNBound uint64
	}{
		{"coll(42, 2, 9)", 42, PurposeCollate, 2, 9, []uint64{0xe063abcfa9da141b, 0x7c5a1cd486e2cdd0, 0xd1fdac0a8890af6a}, 0.9125499451838064, 3023, 30522},
		{"eval(1, 0, 3)", 1, PurposeEval, 0, 3, []uint64{0xca3c94c8286d357c, 0x1e0fd68c293d513d, 0x3d9cdb47a16b3039}, -1, 0, 0},
		{"coll(5, -1, 0)", 5, PurposeCollate, neg, 0, []uint64{0x5fdce198e6ea8c69, 0x2e792cbd974a1e08}, -1, 0, 0},
	}
	for _, tt := range tests {
		r := Keyed(tt.seed, tt.purpose, tt.a, tt.b)
		var got []uint64
		for range tt.want {
			got = append(got, r.Uint64())
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s: first outputs (-want +got):\n%s", tt.name, d)
		}
		if tt.wantFloat < 0 {
			continue
		}
		if f := r.Float64(); f != tt.wantFloat {
			t.Errorf("%s: next Float64 = %v, want %v", tt.name, f, tt.wantFloat)
		}
		if n := r.IntN(tt.intNBound); n != tt.wantIntN {
			t.Errorf("%s: next IntN(%d) = %d, want %d", tt.name, tt.intNBound, n, tt.wantIntN)
		}
	}
}

func TestPermutationsPinned(t *testing.T) {
	tests := []struct {
		name      string
		got, want []int
	}{
		// The trainer's epoch order (trainer.EpochOrder).
		{"TrainingOrder(42, 0, 10)", TrainingOrder(42, 0, 10), []int{1, 0, 9, 4, 7, 3, 6, 5, 8, 2}},
		{"TrainingOrder(7, 3, 20)", TrainingOrder(7, 3, 20), []int{16, 7, 14, 9, 13, 5, 19, 8, 11, 1, 10, 12, 4, 17, 15, 0, 6, 2, 18, 3}},
		// The dataset's train/test split (dataset.SplitTrainTest).
		{"Keyed(42, split, 0, 0).Perm(12)", Keyed(42, PurposeSplit, 0, 0).Perm(12), []int{1, 3, 10, 5, 11, 4, 8, 7, 0, 9, 2, 6}},
		// The dataset's former EpochOrder(n, seed, epoch), a keyed "shuf"
		// stream; no run used it (the trainer uses TrainingOrder).
		{"Keyed(42, shuf, 0, 0).Perm(10)", Keyed(42, PurposeShuffle, 0, 0).Perm(10), []int{4, 5, 1, 9, 0, 2, 8, 3, 7, 6}},
		{"Keyed(7, shuf, 3, 0).Perm(20)", Keyed(7, PurposeShuffle, 3, 0).Perm(20), []int{10, 3, 12, 1, 13, 6, 19, 14, 15, 4, 0, 17, 7, 8, 2, 9, 5, 18, 16, 11}},
		{"TrainingOrder(1, 0, 0)", TrainingOrder(1, 0, 0), []int{}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, tt.got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, d)
		}
	}
}

func TestTrainingOrderIsPermutation(t *testing.T) {
	a := TrainingOrder(42, 0, 1000)
	seen := make([]bool, 1000)
	for _, i := range a {
		if i < 0 || i >= 1000 || seen[i] {
			t.Fatalf("not a permutation: %v", a)
		}
		seen[i] = true
	}
	if !cmp.Equal(a, TrainingOrder(42, 0, 1000)) {
		t.Error("same (seed, epoch), different orders")
	}
	if cmp.Equal(a, TrainingOrder(42, 1, 1000)) || cmp.Equal(a, TrainingOrder(43, 0, 1000)) {
		t.Error("another epoch or seed gives the same order")
	}
	if cmp.Equal(a, Keyed(42, PurposeSplit, 0, 0).Perm(1000)) {
		t.Error("the training order shares the split's stream")
	}
}

func TestIntNUniform(t *testing.T) {
	// n = 7 does not divide 2^64, so the rejection step matters; n = 2^63+1
	// makes rejection frequent (about half the draws).
	r := Keyed(5, 0, 0, 0)
	const draws, n = 700000, 7
	counts := make([]int, n)
	for range draws {
		counts[r.IntN(n)]++
	}
	if x, b := stattest.ChiSquare(counts, draws/n), stattest.ChiSquareBound(n-1); x > b {
		t.Errorf("IntN(7): chi-square %.1f > %.1f, counts %v", x, b, counts)
	}
	big := uint64(1)<<63 + 1
	halves := make([]int, 2)
	for range 100000 {
		v := r.IntN(big)
		if v >= big {
			t.Fatalf("IntN(%d) = %d", big, v)
		}
		halves[v>>62]++
	}
	if x, b := stattest.ChiSquare(halves, 50000), stattest.ChiSquareBound(1); x > b {
		t.Errorf("IntN(2^63+1): chi-square %.1f > %.1f, counts %v", x, b, halves)
	}
}

func TestPermUniform(t *testing.T) {
	// All 24 permutations of 4 elements, over 240,000 seeds.
	const seeds = 240000
	counts := map[[4]int]int{}
	for s := range seeds {
		p := Keyed(uint64(s), PurposeSplit, 0, 0).Perm(4)
		counts[[4]int(p)]++
	}
	if len(counts) != 24 {
		t.Fatalf("%d distinct permutations of 4, want 24", len(counts))
	}
	var c []int
	for _, v := range counts {
		c = append(c, v)
	}
	if x, b := stattest.ChiSquare(c, seeds/24), stattest.ChiSquareBound(23); x > b {
		t.Errorf("chi-square %.1f > %.1f", x, b)
	}
}

func TestKeyedStreamsDiffer(t *testing.T) {
	first := func(seed, purpose, a, b uint64) uint64 { return Keyed(seed, purpose, a, b).Uint64() }
	base := first(1, PurposeCollate, 0, 0)
	for _, other := range []uint64{
		first(2, PurposeCollate, 0, 0), first(1, PurposeEval, 0, 0),
		first(1, PurposeCollate, 1, 0), first(1, PurposeCollate, 0, 1),
		first(1, PurposeCollate, math.MaxUint64, 0),
	} {
		if other == base {
			t.Error("two tuples give the same stream")
		}
	}
	// Swapping a and b must not give the same stream.
	if first(1, PurposeCollate, 3, 9) == first(1, PurposeCollate, 9, 3) {
		t.Error("(3, 9) and (9, 3) share a stream")
	}
}
