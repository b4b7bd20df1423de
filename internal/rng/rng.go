// Package rng is the one home of the engine's random streams: SplitMix64
// (Steele, Lea, Flood 2014) for counter-based draws and seed derivation,
// PCG-DXSM generators seeded from (seed, purpose, a, b) tuples, Lemire's
// bounded draw and Fisher-Yates permutations.
//
// Every stream is defined here, not by math/rand/v2's helpers, so that it is
// fixed by this package alone and not by the Go release: checkpoints resume
// onto the same data order, masks and dropout, and the goldens stay valid.
// The tests pin the first values of each stream; changing any of them
// changes every run.
package rng

import (
	"math/bits"
	"math/rand/v2"
)

// Purposes separate the streams derived from one user seed, so that no two
// uses share draws.
const (
	PurposeSplit   uint64 = 0x73706c6974 // "split": the train/test downsampling permutation
	PurposeCollate uint64 = 0x636f6c6c   // "coll": training masks per (epoch, step)
	PurposeEval    uint64 = 0x6576616c   // "eval": the fixed evaluation masks
	PurposeShuffle uint64 = 0x73687566   // "shuf": the order of the training chunks per epoch
	PurposeDropout uint64 = 0x64726f70   // "drop": dropout masks per micro-batch
)

// golden is SplitMix64's increment, 2^64 divided by the golden ratio.
const golden = 0x9e3779b97f4a7c15

// Mix is SplitMix64's output function: a bijective 64-bit mix, so distinct
// inputs always give distinct outputs.
func Mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SplitMix64 returns the first output of SplitMix64 started at state x:
// Mix(x + 0x9e3779b97f4a7c15).
func SplitMix64(x uint64) uint64 { return Mix(x + golden) }

// Word returns output number w (0-based) of the SplitMix64 stream started
// at state key. Any word can be computed without the ones before it.
func Word(key, w uint64) uint64 { return Mix(key + (w+1)*golden) }

// Uniform32 returns the 32-bit uniform value at position ctr of the
// counter-based stream of seed: word ctr/2 of the SplitMix64 stream keyed by
// Mix(seed) serves two positions, its high half for even ctr and its low
// half for odd ctr. Dropout masks are this function of (seed, offset+i)
// (tensor's dropout and cuda/kernels.cu's k_dropout compute it in bulk).
func Uniform32(seed, ctr uint64) uint32 {
	w := Word(Mix(seed), ctr>>1)
	if ctr&1 == 0 {
		return uint32(w >> 32)
	}
	return uint32(w)
}

// Keys returns the two 64-bit keys of the tuple (seed, purpose, a, b):
//
//	hi = SplitMix64(seed)
//	lo = SplitMix64(purpose ^ SplitMix64(a ^ SplitMix64(b)))
//
// Signed a and b are converted to uint64 by two's complement.
func Keys(seed, purpose, a, b uint64) (hi, lo uint64) {
	return SplitMix64(seed), SplitMix64(purpose ^ SplitMix64(a^SplitMix64(b)))
}

// Derive maps the tuple (seed, purpose, a, b) to one 64-bit seed,
// SplitMix64(hi ^ lo) of Keys; distinct tuples give independent-looking
// seeds.
func Derive(seed, purpose, a, b uint64) uint64 {
	hi, lo := Keys(seed, purpose, a, b)
	return SplitMix64(hi ^ lo)
}

// PCG is a PCG-DXSM generator with the draws the engine needs. The zero
// value is a valid generator seeded (0, 0); Seed reseeds it without
// allocating.
type PCG struct{ pcg rand.PCG }

// NewPCG returns a generator seeded with (hi, lo).
func NewPCG(hi, lo uint64) *PCG {
	r := &PCG{}
	r.Seed(hi, lo)
	return r
}

// Seed reseeds r with (hi, lo), as rand.PCG.Seed does.
func (r *PCG) Seed(hi, lo uint64) { r.pcg.Seed(hi, lo) }

// Uint64 returns the next 64 random bits.
func (r *PCG) Uint64() uint64 { return r.pcg.Uint64() }

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *PCG) Float64() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// IntN returns a uniform integer in [0, n) by Lemire's multiply-and-reject
// method ("Fast random integer generation in an interval", 2019). n > 0.
func (r *PCG) IntN(n uint64) uint64 {
	hi, lo := bits.Mul64(r.pcg.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), n)
		}
	}
	return hi
}

// Perm returns a uniformly random permutation of [0, n) by the Fisher-Yates
// shuffle (Durstenfeld's variant, from the end), one IntN per position.
func (r *PCG) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.IntN(uint64(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Keyed returns the generator of the tuple (seed, purpose, a, b), seeded
// with Keys(seed, purpose, a, b). The dataset's split, training masks and
// evaluation masks are drawn from such generators.
func Keyed(seed, purpose, a, b uint64) *PCG { return NewPCG(Keys(seed, purpose, a, b)) }

// TrainingOrder returns the order in which epoch (0-based) of a training
// run visits n chunks: Perm(n) of a generator seeded with
// (Derive(seed, PurposeShuffle, epoch, 0), Derive(seed, PurposeShuffle,
// epoch, 1)). It is the trainer's data order: checkpoints record a position
// in it, so it must never change.
func TrainingOrder(seed uint64, epoch, n int) []int {
	e := uint64(epoch)
	return NewPCG(Derive(seed, PurposeShuffle, e, 0), Derive(seed, PurposeShuffle, e, 1)).Perm(n)
}
