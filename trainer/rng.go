package trainer

import (
	"math/bits"
	"math/rand/v2"
)

// Purposes of the random streams the trainer derives from the run's seed.
const (
	streamShuffle uint64 = 0x73687566 // "shuf": order of the training chunks per epoch
	streamDropout uint64 = 0x64726f70 // "drop": dropout masks per micro-batch
)

// splitmix64 is the finaliser of SplitMix64: a bijective 64-bit mix.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// deriveSeed maps (seed, purpose, a, b) to a 64-bit seed; distinct tuples
// give independent-looking streams.
func deriveSeed(seed, purpose, a, b uint64) uint64 {
	return splitmix64(splitmix64(seed) ^ splitmix64(purpose^splitmix64(a^splitmix64(b))))
}

// DropoutSeed is the seed of the dropout stream of micro-batch micro of
// optimizer step step (both 0-based).
func DropoutSeed(seed uint64, step, micro int) uint64 {
	return deriveSeed(seed, streamDropout, uint64(step), uint64(micro))
}

// EpochOrder returns the order in which epoch e (0-based) visits n training
// chunks: a Fisher-Yates permutation from a PCG-DXSM generator seeded by
// (seed, e), with bounded draws by Lemire's method computed here so the
// order depends on this package alone, not on the Go release.
func EpochOrder(seed uint64, epoch, n int) []int {
	pcg := rand.NewPCG(deriveSeed(seed, streamShuffle, uint64(epoch), 0), deriveSeed(seed, streamShuffle, uint64(epoch), 1))
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(boundedUint64(pcg, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// boundedUint64 returns a uniform integer in [0, n), n > 0 (Lemire 2019).
func boundedUint64(r *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}
