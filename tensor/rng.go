package tensor

import "github.com/distilgo/distilgo/kernels"

// Dropout randomness is counter-based: element i of a call with stream offset
// o keeps its value iff u(seed, o+i) ≥ p·2^32. The mask is a pure function
// of (seed, offset), so it can be generated in parallel, reproduced after a
// resume, and regenerated rather than stored.
//
// The stream is SplitMix64 (Steele, Lea, Flood 2014) keyed by mix64(seed):
// its 64-bit output number w = c/2 serves two positions, the high half for
// even c and the low half for odd c. One mix per two elements: the masks of
// attention dropout are large (B·NH·T² values per layer, made twice).
// cuda/kernels.cu (k_dropout) computes the same function.

const golden64 = 0x9e3779b97f4a7c15

// mix64 is SplitMix64's finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// streamWord is output number w of the SplitMix64 stream with state key.
func streamWord(key, w uint64) uint64 { return mix64(key + (w+1)*golden64) }

// uniform32 returns the 32-bit uniform value at position ctr of stream seed.
func uniform32(seed, ctr uint64) uint32 {
	w := streamWord(mix64(seed), ctr>>1)
	if ctr&1 == 0 {
		return uint32(w >> 32)
	}
	return uint32(w)
}

func dropoutMask(mask []float32, p float32, seed, offset uint64) {
	thr := uint32(float64(p) * (1 << 32))
	if p >= 1 {
		clear(mask)
		return
	}
	keep := 1 / (1 - p)
	key := mix64(seed)
	kernels.ParallelFor(len(mask), 1<<14, func(lo, hi int) {
		m := mask[lo:hi]
		c := offset + uint64(lo)
		j := 0
		if c&1 == 1 && len(m) > 0 { // odd start: the low half of its word
			m[0] = keepOrDrop(uint32(streamWord(key, c>>1)), thr, keep)
			j, c = 1, c+1
		}
		for ; j+1 < len(m); j, c = j+2, c+2 { // (even, odd) pairs share a word
			w := streamWord(key, c>>1)
			m[j] = keepOrDrop(uint32(w>>32), thr, keep)
			m[j+1] = keepOrDrop(uint32(w), thr, keep)
		}
		if j < len(m) {
			m[j] = keepOrDrop(uint32(streamWord(key, c>>1)>>32), thr, keep)
		}
	})
}

func keepOrDrop(u, thr uint32, keep float32) float32 {
	if u >= thr {
		return keep
	}
	return 0
}
