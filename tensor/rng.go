package tensor

import "github.com/distilgo/distilgo/kernels"

// Dropout randomness is counter-based: element i of a call with stream offset
// o keeps its value iff hash(seed, o+i) ≥ p·2^32. The mask is a pure function
// of (seed, offset), so it can be generated in parallel, reproduced after a
// resume, and regenerated rather than stored if memory requires.

// mix64 is splitmix64's finalizer (Steele, Lea, Flood 2014).
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// uniform32 returns a 32-bit uniform value for position ctr of stream seed.
func uniform32(seed, ctr uint64) uint32 {
	return uint32(mix64(seed^mix64(ctr+0x9e3779b97f4a7c15)) >> 32)
}

func dropoutMask(mask []float32, p float32, seed, offset uint64) {
	thr := uint32(float64(p) * (1 << 32))
	if p >= 1 {
		clear(mask)
		return
	}
	keep := 1 / (1 - p)
	kernels.ParallelFor(len(mask), 1<<14, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if uniform32(seed, offset+uint64(i)) >= thr {
				mask[i] = keep
			} else {
				mask[i] = 0
			}
		}
	})
}
