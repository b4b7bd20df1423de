package dataset

import (
	"math/bits"
	"math/rand/v2"
)

// Purposes separate the random streams derived from one user seed, so that
// the downsampling permutation, the training masks and the fixed evaluation
// masks never share draws.
const (
	streamSplit   uint64 = 0x73706c6974 // "split"
	streamCollate uint64 = 0x636f6c6c   // "coll"
	streamEval    uint64 = 0x6576616c   // "eval"
	streamShuffle uint64 = 0x73687566   // "shuf"
)

// splitmix64 is the finaliser of SplitMix64 (Steele, Lea, Flood 2014): a
// bijective 64-bit mix, so distinct inputs always give distinct seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// rng is the package's random source: a PCG-DXSM generator and the two
// derived draws the package needs, defined here (not by math/rand/v2's
// helpers) so that the streams are fixed by this package alone.
type rng struct{ pcg rand.PCG }

// newRNG seeds a generator for one (seed, purpose, epoch, step):
//
//	hi = splitmix64(seed)
//	lo = splitmix64(purpose ^ splitmix64(uint64(epoch) ^ splitmix64(uint64(step))))
//
// with epoch and step converted to uint64 by two's complement.
func newRNG(seed, purpose uint64, epoch, step int64) *rng {
	r := &rng{}
	r.seed(seed, purpose, epoch, step)
	return r
}

func (r *rng) seed(seed, purpose uint64, epoch, step int64) {
	hi := splitmix64(seed)
	lo := splitmix64(purpose ^ splitmix64(uint64(epoch)^splitmix64(uint64(step))))
	r.pcg.Seed(hi, lo)
}

// float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *rng) float64() float64 {
	return float64(r.pcg.Uint64()>>11) * 0x1p-53
}

// intN returns a uniform integer in [0, n) by Lemire's multiply-and-reject
// method ("Fast random integer generation in an interval", 2019). n > 0.
func (r *rng) intN(n uint64) uint64 {
	hi, lo := bits.Mul64(r.pcg.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), n)
		}
	}
	return hi
}

// permutation returns a uniformly random permutation of [0, n) by the
// Fisher-Yates shuffle (Durstenfeld's variant, from the end).
func (r *rng) permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(r.intN(uint64(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
